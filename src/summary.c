/* summary.c: from a run and a job to the numbers (see summary.h).
 *
 * Key decisions: every value carries its source; missing inputs give NAN plus the flag to pass,
 * never a default that changes a number silently (the defaults that do apply, MHA when no kv_heads,
 * ffn = 4*hidden, GELU MLP, bf16 peak, are Megatron's own defaults and are shown with source
 * "default"). Warm-up: explicit (--warmup N steps) or automatic: the leading records slower than
 * 1.5x the median of the second half, at most half of the records.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/summary.h"
#include "trainmon/xalloc.h"
#include "trainmon/sortd.h"
#include "banned.h"

double tm_quantile(const double *v, size_t n, double q)
{
	if (n == 0)
		return NAN;
	double pos = q * (double)(n - 1);
	size_t i = (size_t)pos;
	double frac = pos - (double)i;
	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (v[i + 1] - v[i]) * frac;
}

/* tm_quantile of v[0, n) as if sorted, by selection (O(n); v is reordered), for quantiles asked in
 * ascending order: *from (0 at first) is where the last one was selected, every rank above it is
 * in v[*from, n). Bit for bit tm_quantile's value when v holds no zero (a sort orders 0.0 and -0.0
 * by their input positions, a selection does not). */
static double quantile_sel(double *v, size_t n, double q, size_t *from)
{
	if (n == 0)
		return NAN;
	double pos = q * (double)(n - 1);
	size_t i = (size_t)pos;
	double frac = pos - (double)i;
	double a = tm_select_doubles(v + *from, n - *from, i - *from);
	*from = i;
	if (i + 1 >= n)
		return a;
	double b = v[i + 1];                /* the next rank: the smallest above index i */
	for (size_t j = i + 2; j < n; j++)
		b = v[j] < b ? v[j] : b;
	return a + (b - a) * frac;
}

static struct tm_val known(double v, enum tm_src_kind src)
{
	return (struct tm_val){ .v = v, .src = src };
}

static struct tm_val unknown(const char *needs)
{
	return (struct tm_val){ .v = NAN, .src = TM_SRC_NONE, .needs = needs };
}

static int have(double v)
{
	return !isnan(v) && v > 0;
}

/* A step's time: as logged, else from the throughput the framework logged for it (DeepSpeed
 * samples/s, torchtitan tokens/s per device): t = B / samples_per_s = B*s / tokens_per_s. */
double tm_summary_step_time(const struct tm_step *st, const struct tm_summary *s, const char **how)
{
	const char *unused;
	if (!how)
		how = &unused;
	if (isfinite(st->time_s) && st->time_s > 0)
		return st->time_s;
	double b = isfinite(st->global_batch) && st->global_batch > 0 ? st->global_batch : s->global_batch.v;
	double seq = s->seq_len.v, n = s->gpus.v;
	if (isfinite(st->samples_per_s) && st->samples_per_s > 0 && b > 0) {
		*how = "global batch / logged samples/s";
		return b / st->samples_per_s;
	}
	if (isfinite(st->tokens_per_s) && st->tokens_per_s > 0 && b > 0 && seq > 0) {
		*how = "global batch x seq_len / logged tokens/s";
		return b * seq / st->tokens_per_s;
	}
	if (isfinite(st->tokens_per_s_per_gpu) && st->tokens_per_s_per_gpu > 0 && b > 0 && seq > 0 && n > 0) {
		*how = "global batch x seq_len / (GPUs x logged tokens/s/GPU)";
		return b * seq / (n * st->tokens_per_s_per_gpu);
	}
	return NAN;
}

/* 1 when the run holds an event on a line between records i-1 and i (a checkpoint, an eval, an
 * error): the interval then timed more than steps. Events are in line order. */
static int event_between(const struct tm_run *r, size_t i)
{
	uint64_t lo = tm_run_stepline(r, i - 1), hi = tm_run_stepline(r, i);
	size_t a = 0, b = r->nevents;
	while (a < b) {
		size_t mid = (a + b) / 2;
		if (r->events[mid].last_line <= lo)
			a = mid + 1;
		else
			b = mid;
	}
	return a < r->nevents && r->events[a].line < hi;
}

/* From the wall-clock times of consecutive step records: (t_i - t_{i-1}) / (step_i - step_{i-1})
 * (docs/formulas.md §1.7). NAN without both times, with no step between them or an event. */
static double ts_step_time(const struct tm_run *r, size_t i)
{
	if (i == 0)
		return NAN;
	double dt = tm_run_stepf(r, i, TM_SF_TS) - tm_run_stepf(r, i - 1, TM_SF_TS);
	double dn = tm_run_stepf(r, i, TM_SF_STEP) - tm_run_stepf(r, i - 1, TM_SF_STEP);
	if (!isfinite(dt) || !(dt > 0) || !(dn > 0) || event_between(r, i))
		return NAN;
	return dt / dn;
}

double tm_step_time_at(const struct tm_run *r, size_t i, const struct tm_summary *s, int use_ts,
		       enum tm_time_src *src)
{
	const char *how = NULL;
	const struct tm_step st_v = tm_run_step(r, i), *st = &st_v;
	double t = tm_summary_step_time(st, s, &how);
	enum tm_time_src k = isnan(t) ? TM_TSRC_NONE : how ? TM_TSRC_THROUGHPUT :
			     st->time_src == TM_TSRC_TQDM ? TM_TSRC_TQDM : TM_TSRC_LOGGED;
	if (isnan(t) && use_ts) {
		t = ts_step_time(r, i);
		k = isnan(t) ? TM_TSRC_NONE : TM_TSRC_TIMESTAMPS;
	}
	if (src)
		*src = k;
	return t;
}

/* The resolution of the step records' times: 1 s when every one is whole, else 1 ms, else 1 us. */
static double ts_resolution(const struct tm_run *r)
{
	double res = 1;
	for (size_t i = 0; i < r->nsteps; i++) {
		double t = tm_run_stepf(r, i, TM_SF_TS);
		if (!isfinite(t))
			continue;
		if (res >= 1 && t != floor(t))
			res = 0.001;
		if (res < 1 && fabs(t * 1000 - round(t * 1000)) > 1e-3)
			return 1e-6;
	}
	return res;
}

/* Statistics of timestamp-derived times, each weighted by the steps of its interval: an interval
 * of 10 steps is 10 steps of that time (with a tenth of the resolution error), so long spans
 * dominate the median, and the mean is the total time over the total steps. */
struct wv { double v, w; };

static int cmp_wv(const void *a, const void *b)
{
	double x = ((const struct wv *)a)->v, y = ((const struct wv *)b)->v;
	return x < y ? -1 : x > y;
}

static double wquantile(const struct wv *p, size_t n, double total, double q)
{
	double acc = 0, at = q * total;
	for (size_t i = 0; i < n; i++) {
		acc += p[i].w;
		if (acc >= at)
			return p[i].v;
	}
	return n ? p[n - 1].v : NAN;
}

static void weighted_stats(const double *v, const double *w, size_t m, struct tm_stats *st)
{
	size_t bytes = (m + 1) * sizeof(struct wv);
	struct wv *p = tm_xpages(NULL, 0, bytes);
	double tw = 0, sum = 0;
	for (size_t i = 0; i < m; i++) {
		p[i].v = v[i];
		p[i].w = w[i];
		tw += w[i];
		sum += v[i] * w[i];
	}
	st->mean = sum / tw;
	qsort(p, m, sizeof(*p), cmp_wv);
	st->min = p[0].v;
	st->max = p[m - 1].v;
	st->median = wquantile(p, m, tw, 0.5);
	st->p10 = wquantile(p, m, tw, 0.1);
	st->p90 = wquantile(p, m, tw, 0.9);
	tm_xpages_free(p, bytes);
}

/* No record has a time of its own: the wall clock between consecutive records, into t, w (the
 * steps of each value) and idx; returns how many. The first interval after an eval or a
 * checkpoint timed more than steps: one with an event in it, or above 3x the median interval
 * time, is left out and counted (step_time_gaps). Neighbouring intervals are then joined into
 * spans of at least TM_TS_SPAN times the clock's resolution, so a 1 s clock gives values to 1 %
 * (a 10-step interval of 1.37 s steps would read 1.3 or 1.4); the resolution left is reported. */
#define TM_TS_SPAN 100
static size_t ts_times(const struct tm_run *r, struct tm_summary *s, double *t, double *w, size_t *idx)
{
	size_t n = 0;
	for (size_t i = 1; i < r->nsteps; i++)
		if (tm_run_stepf(r, i, TM_SF_TS) < tm_run_stepf(r, i - 1, TM_SF_TS))
			return 0;   /* time going back as steps go up: several runs or interleaved
				       copies in one file, whose times say nothing about a step */
	for (size_t i = 1; i < r->nsteps; i++) {
		double ti = ts_step_time(r, i);
		double dn = tm_run_stepf(r, i, TM_SF_STEP) - tm_run_stepf(r, i - 1, TM_SF_STEP);
		double t0 = tm_run_stepf(r, i - 1, TM_SF_TS), t1 = tm_run_stepf(r, i, TM_SF_TS);
		if (!isnan(ti)) {
			idx[n] = i;
			w[n] = dn;
			t[n++] = ti;
		} else if (isfinite(t1) && isfinite(t0) && dn > 0 && t1 > t0) {
			s->step_time_gaps++;
		}
	}
	if (n == 0)
		return 0;
	double *c = tm_xpages(NULL, 0, n * sizeof(*c));
	memcpy(c, t, n * sizeof(*c));
	tm_sort_doubles(c, n);
	double med = tm_quantile(c, n, 0.5);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (t[i] > 3 * med) {
			s->step_time_gaps++;
			idx[i] = 0;                 /* breaks the span it would have joined */
			continue;
		}
		t[k] = t[i], w[k] = w[i], idx[k] = idx[i];
		k++;
	}
	/* spans: consecutive intervals (no gap between) until TM_TS_SPAN x resolution */
	s->ts_resolution_s = ts_resolution(r);
	double want = TM_TS_SPAN * s->ts_resolution_s;
	size_t m = 0;
	for (size_t i = 0; i < k;) {
		double dt = t[i] * w[i], dn = w[i];
		size_t j = i + 1;
		while (j < k && dt < want && idx[j] == idx[j - 1] + 1) {
			dt += t[j] * w[j];
			dn += w[j];
			j++;
		}
		t[m] = dt / dn, w[m] = dn, idx[m] = idx[j - 1];
		m++;
		i = j;
	}
	/* the +- of a value: the resolution over the steps of the median span */
	for (size_t i = 0; i < m; i++)
		c[i] = w[i];
	tm_sort_doubles(c, m);
	s->ts_step_resolution_s = s->ts_resolution_s / tm_quantile(c, m, 0.5);
	tm_xpages_free(c, n * sizeof(*c));
	return m;
}

static void logged_stats(const struct tm_run *r, size_t first_steady, struct tm_summary *s);

/* Step record i's time of its own (tm_summary_step_time), its other fields read only when the
 * logged time is missing. */
static double own_time(const struct tm_run *r, size_t i, const struct tm_summary *s, const char **how)
{
	double t = tm_run_stepf(r, i, TM_SF_TIME_S);
	if (isfinite(t) && t > 0)
		return t;
	const struct tm_step st = tm_run_step(r, i);
	return tm_summary_step_time(&st, s, how);
}

/* The own times of the records that have one, in record order, into t (unless NULL); with by_src,
 * counted by source there and the derived ones in s. Returns how many. */
static size_t own_times(const struct tm_run *r, struct tm_summary *s, double *t, size_t *by_src)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nsteps; i++) {
		const char *how = NULL;
		double ti = own_time(r, i, s, &how);
		if (isnan(ti))
			continue;
		if (t)
			t[n] = ti;
		n++;
		if (!by_src)
			continue;
		by_src[how ? TM_TSRC_THROUGHPUT : tm_run_stepf(r, i, TM_SF_TIME_SRC) == TM_TSRC_TQDM ? TM_TSRC_TQDM :
		       TM_TSRC_LOGGED]++;
		if (how) {
			s->step_time_derived++;
			s->step_time_how = how;
		}
	}
	return n;
}

/* The first record at or after row `from` with an own time (r->nsteps: none). */
static size_t next_own(const struct tm_run *r, const struct tm_summary *s, size_t from)
{
	while (from < r->nsteps && isnan(own_time(r, from, s, NULL)))
		from++;
	return from;
}

/* The row of the k-th timed record: idx's (times from timestamps), else the k-th with an own time
 * (found again rather than kept: 8 bytes a record less at the peak). */
static size_t timed_row(const struct tm_run *r, const struct tm_summary *s, const size_t *idx, size_t k)
{
	if (idx)
		return idx[k];
	size_t row = next_own(r, s, 0);
	while (k--)
		row = next_own(r, s, row + 1);
	return row;
}

/* The step times: the records' own, else (none has one) from their timestamps. At most one array
 * of a double per record is alive on the path of own times (the values, sorted in place). */
static void step_stats(const struct tm_run *r, const struct tm_job *j, struct tm_summary *s)
{
	size_t by_src[TM_TSRC_N] = { 0 };
	size_t n = own_times(r, s, NULL, by_src);
	double *t, *w = NULL;
	size_t *idx = NULL;                         /* timestamp spans only */
	size_t rows = n ? n : r->nsteps + 1;        /* t, w and idx hold rows items */
	t = tm_xpages(NULL, 0, rows * sizeof(*t));
	if (n) {
		own_times(r, s, t, NULL);
	} else {
		w = tm_xpages(NULL, 0, rows * sizeof(*w));
		idx = tm_xpages(NULL, 0, rows * sizeof(*idx));
		if (r->nsteps > 1 && r->self_numbered == 0)
			n = ts_times(r, s, t, w, idx);    /* counted records have no steps between them */
	}
	by_src[TM_TSRC_TIMESTAMPS] = s->ts_resolution_s > 0 ? n : 0;
	size_t best = TM_TSRC_NONE;
	for (size_t k = 1; k < TM_TSRC_N; k++)
		if (by_src[k] > by_src[best])
			best = k;
	s->step_time_src = (enum tm_time_src)best;
	size_t k = 0;                               /* warm-up records among the timed ones */
	if (!isnan(j->warmup)) {
		double first = r->nsteps ? tm_run_stepf(r, 0, TM_SF_STEP) : 0;
		size_t row = n ? timed_row(r, s, idx, 0) : 0;
		while (k < n && tm_run_stepf(r, row, TM_SF_STEP) < first + j->warmup)
			if (++k < n)
				row = idx ? idx[k] : next_own(r, s, row + 1);
		s->warmup_auto = 0;
		s->warmup_steps = j->warmup;
	} else {
		s->warmup_auto = 1;
		if (n >= 3) {
			/* the median of the second half, by selection (every time here is positive): in
			 * place for own times, read again in order after; timestamp spans are a copy */
			size_t h = n / 2, from = 0;
			double *tail = idx ? tm_xpages(NULL, 0, (n - h) * sizeof(*tail)) : t + h;
			if (idx)
				memcpy(tail, t + h, (n - h) * sizeof(*tail));
			double med = quantile_sel(tail, n - h, 0.5, &from);
			if (idx)
				tm_xpages_free(tail, (n - h) * sizeof(*tail));
			else
				own_times(r, s, t, NULL);
			while (k < h && t[k] > 1.5 * med)
				k++;
		}
		s->warmup_steps = k && k < n ? tm_run_stepf(r, timed_row(r, s, idx, k), TM_SF_STEP) -
						 tm_run_stepf(r, 0, TM_SF_STEP) : 0;
	}
	s->warmup_records = k;
	size_t m = n - k;
	s->st.n = m;
	size_t first_steady = n ? timed_row(r, s, idx, k < n ? k : n - 1) : 0;
	double *v = t + k;
	if (m == 0) {
		s->st.last = s->st.median = s->st.mean = s->st.min = s->st.max = s->st.p10 = s->st.p90 = NAN;
	} else if (s->step_time_src == TM_TSRC_TIMESTAMPS) {    /* only when ts_times gave the times */
		s->st.last = v[m - 1];
		weighted_stats(v, w + k, m, &s->st);
	} else {
		s->st.last = v[m - 1];
		double sum = 0, mn = v[0], mx = v[0];
		for (size_t i = 0; i < m; i++) {
			sum += v[i];
			mn = v[i] < mn ? v[i] : mn;
			mx = v[i] > mx ? v[i] : mx;
		}
		s->st.mean = sum / (double)m;
		s->st.min = mn;
		s->st.max = mx;
		/* own times are positive: selection gives the sort's quantiles */
		size_t from = 0;
		s->st.p10 = quantile_sel(v, m, 0.1, &from);
		s->st.median = quantile_sel(v, m, 0.5, &from);
		s->st.p90 = quantile_sel(v, m, 0.9, &from);
	}
	tm_xpages_free(t, rows * sizeof(*t));
	tm_xpages_free(w, rows * sizeof(*w));
	tm_xpages_free(idx, rows * sizeof(*idx));
	logged_stats(r, first_steady, s);
}

/* The framework's own figures, over the steady records (from index first_steady on). */
static void logged_stats(const struct tm_run *r, size_t first_steady, struct tm_summary *s)
{
	double *lg = tm_xpages(NULL, 0, (r->nsteps + 1) * sizeof(*lg));
	for (int which = 0; which < 3; which++) {
		size_t c = 0, zeros = 0, from = 0;
		double last = NAN;
		enum tm_sf f = which == 0 ? TM_SF_TFLOPS : which == 1 ? TM_SF_MFU : TM_SF_TOKENS_PER_S_PER_GPU;
		for (size_t i = first_steady; i < r->nsteps; i++) {
			double x = tm_run_stepf(r, i, f);
			if (isfinite(x))
				lg[c++] = x, last = x, zeros += x == 0;
		}
		double med;
		if (zeros) {                    /* 0.0 and -0.0: the sort's order decides */
			tm_sort_doubles(lg, c);
			med = tm_quantile(lg, c, 0.5);
		} else {
			med = quantile_sel(lg, c, 0.5, &from);
		}
		if (which == 0)
			s->logged.tflops_median = med, s->logged.tflops_last = last;
		else if (which == 1)
			s->logged.mfu_median = med, s->logged.mfu_last = last;
		else
			s->logged.tokens_per_s_per_gpu_median = med;
	}
	tm_xpages_free(lg, (r->nsteps + 1) * sizeof(*lg));
}

static struct tm_val mul(struct tm_val a, struct tm_val b, const char *needs)
{
	if (isnan(a.v))
		return unknown(a.needs);
	if (isnan(b.v))
		return unknown(b.needs ? b.needs : needs);
	return known(a.v * b.v, TM_SRC_COMPUTED);
}

static struct tm_val divide(struct tm_val a, struct tm_val b)
{
	if (isnan(a.v))
		return unknown(a.needs);
	if (isnan(b.v) || b.v == 0)
		return unknown(b.needs);
	return known(a.v / b.v, TM_SRC_COMPUTED);
}

static void model_flops(const struct tm_run *r, const struct tm_job *j, struct tm_summary *s)
{
	struct tm_job_arch ja;
	tm_job_arch(j, r, &ja);
	s->layers = ja.layers;
	s->hidden = ja.hidden;
	s->heads = ja.heads;
	s->kv_heads = ja.kv_heads;
	s->ffn = ja.ffn;
	s->vocab = ja.vocab;
	s->mlp = ja.mlp;
	struct tm_arch a = ja.a;
	a.seq_len = s->seq_len.v;
	if (have(j->model_flops)) {
		s->model_flops_per_seq = known(j->model_flops, j->model_flops_src);
		snprintf(s->convention, sizeof(s->convention), "model FLOPs per sequence given (%s)",
			 tm_src_name(j->model_flops_src));
		return;
	}
	double f = tm_flops_per_seq(&a, &j->fo);
	if (isnan(f) || f <= 0) {
		s->model_flops_per_seq = unknown(tm_job_needs(tm_arch_missing(&a, &j->fo)));
		s->convention[0] = '\0';
		return;
	}
	s->model_flops_per_seq = known(f, TM_SRC_COMPUTED);
	tm_flops_describe(&a, &j->fo, s->convention, sizeof(s->convention));
	/* How far another framework's convention can move the figure (docs/formulas.md §2.12): causal
	 * halving of the s^2 term, leaving out the logit GEMM (6*h*V per token), and counting full
	 * recompute (hardware FLOPs). A logged TFLOP/s outside that range is a real disagreement. */
	s->conv_lo = s->conv_hi = 1;
	for (int k = 0; k < 2; k++)
		for (int rc = 0; rc < 2; rc++)
			for (int logit = 0; logit < 2; logit++) {
				struct tm_flops_opts o = j->fo;
				o.kappa = k ? 0.5 : 1.0;
				o.recompute = rc ? 2 : 0;
				double v = tm_flops_per_seq(&a, &o);
				if (!logit && a.vocab > 0 && a.hidden > 0 && a.seq_len > 0)
					v -= 6 * a.hidden * a.vocab * a.seq_len;
				if (isnan(v) || v <= 0)
					continue;
				s->conv_lo = fmin(s->conv_lo, v / f);
				s->conv_hi = fmax(s->conv_hi, v / f);
			}
}

/* The run-level mean step time of an end-of-run summary (HF Trainer's speed_metrics: its
 * train_steps_per_second is max_steps / train_runtime rounded to 3 decimals, so runtime / steps
 * is the better figure when the steps are known; docs/formulas.md §1.7). Never in the per-step
 * series: the runtime includes evaluations and saves. */
static void run_mean(const struct tm_run *r, struct tm_summary *s)
{
	double steps = r->params[TM_P_TRAIN_ITERS];
	if (have(r->run_runtime_s) && have(steps)) {
		s->run_mean_step_time = r->run_runtime_s / steps;
		s->run_mean_how = "train_runtime / train_iters";
	} else if (have(r->run_steps_per_s)) {
		s->run_mean_step_time = 1 / r->run_steps_per_s;
		s->run_mean_how = "1 / train_steps_per_second (rounded to 3 decimals by the framework)";
	}
}

/* A logged TFLOP/s/GPU above the dense peak of the run's accelerator (any dtype), or, with no
 * accelerator known, above every dense peak in the table, cannot be a measurement: warned. */
static void implausible(const struct tm_run *r, const struct tm_job *j, struct tm_summary *s)
{
	double mx = NAN;
	for (size_t i = 0; i < r->nsteps; i++) {
		double x = tm_run_stepf(r, i, TM_SF_TFLOPS);
		if (isfinite(x) && !(x <= mx))
			mx = x;
	}
	s->logged_tflops_max = mx;
	if (isnan(mx))
		return;
	const struct tm_gpu *g = j->gpu;
	if (!g && r->sparams[TM_P_GPU])
		g = tm_gpu_from_device_name(r->sparams[TM_P_GPU]);
	double pk = 0;
	for (size_t i = 0; g ? i == 0 : tm_gpu_at(i) != NULL; i++) {
		const struct tm_gpu *x = g ? g : tm_gpu_at(i);
		for (int d = 0; d < TM_DTYPE_N; d++)
			pk = fmax(pk, x->peak_tflops[d]);
	}
	if (pk > 0 && mx > pk) {
		s->logged_implausible = 1;
		s->implausible_peak = pk;
		s->implausible_what = g ? g->name : "any accelerator in the table";
	}
}

static void peak(const struct tm_run *r, const struct tm_job *j, struct tm_summary *s)
{
	enum tm_dtype dt = j->dtype;
	int dtype_known = j->dtype_src != TM_SRC_NONE;
	if (!dtype_known && r && r->sparams[TM_P_DTYPE] && tm_dtype_parse(r->sparams[TM_P_DTYPE], &dt) == 0)
		dtype_known = 1;
	if (!dtype_known)
		dt = TM_DTYPE_BF16;
	s->dtype_name = tm_dtype_name(dt);
	if (have(j->peak_tflops)) {
		s->peak_tflops = known(j->peak_tflops, j->peak_src);
		return;
	}
	const struct tm_gpu *g = j->gpu;
	if (!g && r && r->sparams[TM_P_GPU])
		g = tm_gpu_from_device_name(r->sparams[TM_P_GPU]);
	if (!g) {
		s->peak_tflops = unknown("--gpu or --peak-tflops");
		return;
	}
	s->gpu_name = g->name;
	double pk = tm_gpu_peak_flops(g, dt);
	if (pk <= 0) {
		s->peak_tflops = unknown("--peak-tflops (no table figure for this dtype)");
		return;
	}
	s->peak_tflops = known(pk / 1e12, j->gpu ? j->gpu_src : TM_SRC_LOG);
}

void tm_summarize(const struct tm_run *r, const struct tm_job *j, struct tm_summary *s)
{
	tm_summarize_at(r, j, NAN, s);
}

void tm_summarize_at(const struct tm_run *r, const struct tm_job *j, double level, struct tm_summary *s)
{
	tm_summary_stats(r, j, s);
	tm_summary_derive(r, j, level, s);
}

void tm_summary_stats(const struct tm_run *r, const struct tm_job *j, struct tm_summary *s)
{
	memset(s, 0, sizeof(*s));
	s->conv_lo = s->conv_hi = NAN;
	s->file = r->file;
	s->framework = r->framework >= 0 ? r->rs->packs[r->framework].name : NULL;
	s->steps = r->nsteps + (size_t)r->steps_dropped;
	s->first_step = r->nsteps ? tm_run_stepf(r, 0, TM_SF_STEP) : NAN;
	s->last_step = r->nsteps ? tm_run_stepf(r, r->nsteps - 1, TM_SF_STEP) : NAN;
	s->basis = j->basis;
	s->slurm_job_id = r->sparams[TM_P_SLURM_JOB_ID];
	s->logged.tflops_median = s->logged.tflops_last = NAN;
	s->logged.mfu_median = s->logged.mfu_last = NAN;
	s->logged.tokens_per_s_per_gpu_median = NAN;
	s->ts_resolution_s = s->ts_step_resolution_s = NAN;
	s->run_mean_step_time = s->remaining_s = s->logged_tflops_max = s->implausible_peak = NAN;
	s->steps_numbered = r->nsteps && r->self_numbered < r->nsteps;
	const struct tm_arch *p = j->preset;
	s->seq_len = tm_job_resolve(j, r, TM_P_SEQ_LEN, p ? p->seq_len : NAN, 0, "--seq-len");
	/* global batch: flag/config, else the last step record's, else the log's arguments */
	s->global_batch = tm_job_resolve(j, r, TM_P_GLOBAL_BATCH, NAN, 0, "--global-batch");
	double last_gb = r->nsteps ? tm_run_stepf(r, r->nsteps - 1, TM_SF_GLOBAL_BATCH) : NAN;
	if (s->global_batch.src != TM_SRC_FLAG && s->global_batch.src != TM_SRC_CONFIG && r->nsteps &&
	    isfinite(last_gb) && last_gb > 0)
		s->global_batch = known(last_gb, TM_SRC_LOG);
	s->gpus = tm_job_resolve(j, r, TM_P_GPUS, NAN, 0, "--gpus");
	if (isnan(s->gpus.v) && have(r->params[TM_P_NODES]) && have(r->params[TM_P_GPUS_PER_NODE]))
		s->gpus = known(r->params[TM_P_NODES] * r->params[TM_P_GPUS_PER_NODE], TM_SRC_LOG);
	step_stats(r, j, s);
	run_mean(r, s);
}

void tm_summary_derive(const struct tm_run *r, const struct tm_job *j, double level, struct tm_summary *s)
{
	double t = j->basis == TM_BASIS_LAST ? s->st.last : j->basis == TM_BASIS_MEAN ? s->st.mean : s->st.median;
	if (j->basis == TM_BASIS_MEDIAN && isfinite(level) && level > 0) {
		t = level;                   /* the current regime's median, not one across regimes */
		s->basis_level = 1;
	}
	if (isnan(t) && !isnan(s->run_mean_step_time)) {
		t = s->run_mean_step_time;     /* no per-step time: the summary's run mean is the basis */
		s->step_time_src = TM_TSRC_SUMMARY;
	}
	if (isnan(t)) {
		/* steps with a logged throughput but no time: say what the derivation lacks */
		const char *needs = r->nsteps ? "step times in the log" : "step records in the log";
		for (size_t i = 0; i < r->nsteps; i++) {
			const struct tm_step st_v = tm_run_step(r, i), *st = &st_v;
			if (!(st->samples_per_s > 0 || st->tokens_per_s > 0 || st->tokens_per_s_per_gpu > 0))
				continue;
			needs = isnan(s->global_batch.v) ? "--global-batch" :
				isnan(s->seq_len.v) && !(st->samples_per_s > 0) ? "--seq-len" :
				isnan(s->gpus.v) && st->tokens_per_s_per_gpu > 0 ? "--gpus" : needs;
			break;
		}
		s->step_time = unknown(needs);
	} else {
		s->step_time = known(t, TM_SRC_COMPUTED);
	}

	s->tokens_per_step = mul(s->global_batch, s->seq_len, NULL);
	s->tokens_per_s = divide(s->tokens_per_step, s->step_time);
	s->tokens_per_s_per_gpu = divide(s->tokens_per_s, s->gpus);

	model_flops(r, j, s);
	s->model_flops_per_step = mul(s->model_flops_per_seq, s->global_batch, NULL);
	struct tm_val per_s = divide(s->model_flops_per_step, s->step_time);
	struct tm_val x = divide(per_s, s->gpus);
	s->tflops_per_gpu = isnan(x.v) ? x : known(x.v / 1e12, TM_SRC_COMPUTED);
	peak(r, j, s);
	s->mfu = divide(s->tflops_per_gpu, s->peak_tflops);
	implausible(r, j, s);
	s->ratio_tflops = have(s->logged.tflops_median) && !isnan(s->tflops_per_gpu.v)
			  ? s->tflops_per_gpu.v / s->logged.tflops_median : NAN;
	if (!isnan(s->ratio_tflops) && !isnan(s->conv_lo)) {
		double back = 1 / s->ratio_tflops;         /* logged / ours */
		s->logged_disagrees = back < s->conv_lo * 0.97 || back > s->conv_hi * 1.03;
	}

	/* tokens done: logged consumed tokens, consumed samples x s, else steps x B x s */
	double last_consumed = NAN;
	for (size_t i = r->nsteps; i-- > 0;)
		if (isfinite(tm_run_stepf(r, i, TM_SF_CONSUMED))) {
			last_consumed = tm_run_stepf(r, i, TM_SF_CONSUMED);
			break;
		}
	if (have(r->consumed_tokens))
		s->tokens_done = known(r->consumed_tokens, TM_SRC_LOG);
	else if (!isnan(last_consumed) && !isnan(s->seq_len.v))
		s->tokens_done = known(last_consumed * s->seq_len.v, TM_SRC_COMPUTED);
	else if (r->nsteps && !isnan(s->tokens_per_step.v))
		s->tokens_done = known((s->last_step - r->step_base + 1) * s->tokens_per_step.v, TM_SRC_COMPUTED);
	else
		s->tokens_done = unknown(r->nsteps ? s->tokens_per_step.needs : "step records in the log");

	/* target: flag/config, else train_iters x B x s or train_samples x s from the log */
	if (have(j->target_tokens))
		s->target_tokens = known(j->target_tokens, j->target_src);
	else if (have(r->params[TM_P_TRAIN_ITERS]) && !isnan(s->tokens_per_step.v))
		s->target_tokens = known(r->params[TM_P_TRAIN_ITERS] * s->tokens_per_step.v, TM_SRC_LOG);
	else if (have(r->params[TM_P_TRAIN_SAMPLES]) && !isnan(s->seq_len.v))
		s->target_tokens = known(r->params[TM_P_TRAIN_SAMPLES] * s->seq_len.v, TM_SRC_LOG);
	else
		s->target_tokens = unknown("--target-tokens");
	struct tm_val days = divide(s->target_tokens, s->tokens_per_s);
	s->days_to_target = isnan(days.v) ? days : known(days.v / 86400.0, TM_SRC_COMPUTED);
	if (isnan(s->target_tokens.v) || isnan(s->tokens_per_s.v) || isnan(s->tokens_done.v)) {
		s->eta_s = unknown(isnan(s->target_tokens.v) ? s->target_tokens.needs :
				   isnan(s->tokens_per_s.v) ? s->tokens_per_s.needs : s->tokens_done.needs);
	} else {
		double left = s->target_tokens.v - s->tokens_done.v;
		s->eta_s = known(left > 0 ? left / s->tokens_per_s.v : 0, TM_SRC_COMPUTED);
	}
	/* A run that ended early has no ETA: what is left is worded as what it would take */
	struct tm_interruption ir;
	tm_interrupt_find(r, &ir);
	if (ir.interrupted && s->eta_s.v > 0) {
		s->ended = ir.end;
		s->remaining_s = s->eta_s.v;
		if (!isnan(s->eta_s.v))
			s->eta_s = unknown("the run ended");
	}
}

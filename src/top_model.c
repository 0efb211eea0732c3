/* top_model.c: `trainmon top`'s rows (top.h), from the in-process daemon's view or from a
 * scrape of a daemon's /metrics, and their order.
 *
 * Rows are rebuilt whole on every refresh (a few hundred runs cost microseconds); only the
 * sparkline of a scraped run is carried over from the previous rows, since /metrics has the
 * newest step time only. Values that are unknown stay NAN and print as "-". Must not: keep a
 * pointer into the view or the scrape (both are gone after the refresh).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/alert.h"
#include "trainmon/report.h"
#include "trainmon/top.h"
#include "trainmon/runkey.h"
#include "trainmon/xalloc.h"
#include "banned.h"

static void run_release(struct tm_top_run *r)
{
	free(r->kv);
	free(r->ev);
}

void tm_top_model_release(struct tm_top_model *m)
{
	for (size_t i = 0; i < m->n; i++)
		run_release(&m->runs[i]);
	free(m->runs);
	m->runs = NULL;
	m->n = m->cap = 0;
}

static struct tm_top_run *add_run(struct tm_top_model *m, const char *file)
{
	tm_xgrow((void **)&m->runs, &m->cap, m->n + 1, sizeof(*m->runs));
	struct tm_top_run *r = &m->runs[m->n++];
	memset(r, 0, sizeof(*r));
	r->step = r->step_time = r->tps = r->mfu = r->eta_s = r->spark_step = NAN;
	snprintf(r->file, sizeof(r->file), "%s", file);
	tm_run_name(file, r->name, sizeof(r->name));
	return r;
}

static void kv(struct tm_top_run *r, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void kv(struct tm_top_run *r, const char *key, const char *fmt, ...)
{
	tm_xgrow((void **)&r->kv, &r->capkv, r->nkv + 1, sizeof(*r->kv));
	struct tm_top_kv *e = &r->kv[r->nkv++];
	snprintf(e->key, sizeof(e->key), "%s", key);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->val, sizeof(e->val), fmt, ap);
	va_end(ap);
}

static struct tm_top_event *add_event(struct tm_top_run *r)
{
	tm_xgrow((void **)&r->ev, &r->capev, r->nev + 1, sizeof(*r->ev));
	struct tm_top_event *e = &r->ev[r->nev++];
	memset(e, 0, sizeof(*e));
	return e;
}

/* "1.23M" for counts and rates */
static const char *si(char *buf, size_t n, double v)
{
	if (isnan(v))
		snprintf(buf, n, "-");
	else if (fabs(v) >= 1e12)
		snprintf(buf, n, "%.3gT", v / 1e12);
	else if (fabs(v) >= 1e9)
		snprintf(buf, n, "%.3gG", v / 1e9);
	else if (fabs(v) >= 1e6)
		snprintf(buf, n, "%.3gM", v / 1e6);
	else if (fabs(v) >= 1e4)
		snprintf(buf, n, "%.3gk", v / 1e3);
	else
		snprintf(buf, n, "%.4g", v);
	return buf;
}

static const char *dur(char *buf, size_t n, double s)
{
	if (isnan(s))
		snprintf(buf, n, "-");
	else
		tm_fmt_duration(buf, n, s);
	return buf;
}

/* ---- the in-process daemon ---- */

static void from_file(struct tm_top_model *m, const struct tm_metrics_file *f)
{
	const struct tm_run *run = &f->tail->feed.run;
	const struct tm_summary *s = f->sum;
	const struct tm_alerts *a = f->alerts;
	struct tm_top_run *r = add_run(m, f->tail->path);
	snprintf(r->framework, sizeof(r->framework), "%s", s->framework ? s->framework : "");
	r->step = s->steps ? s->last_step : NAN;
	r->step_time = s->st.n ? s->st.last : run->nsteps ? tm_run_stepf(run, run->nsteps - 1, TM_SF_TIME_S) : NAN;
	r->tps = s->tokens_per_s.v;
	r->mfu = s->mfu.v;
	r->eta_s = s->eta_s.v;
	r->alerts = (unsigned)a->low_mfu.firing << TM_AL_LOW_MFU | (unsigned)a->drop.firing << TM_AL_THROUGHPUT_DROP |
		    (unsigned)a->stall.firing << TM_AL_STALL | (unsigned)(a->finished != 0) << TM_AL_FINISHED |
		    (unsigned)(a->ended != 0) << TM_AL_ENDED;
	size_t pos = 0;
	for (int k = 0; k < TM_EV_N; k++)
		if (a->failure_fired[k]) {
			r->alerts |= 1u << TM_AL_FAILURE;
			int w = snprintf(r->failure + pos, sizeof(r->failure) - pos, "%s%s", pos ? "," : "",
					 tm_event_kind_name(k));
			pos = w > 0 && pos + (size_t)w < sizeof(r->failure) ? pos + (size_t)w : pos;
		}
	size_t from = run->nsteps > TM_TOP_SPARK_N ? run->nsteps - TM_TOP_SPARK_N : 0;
	for (size_t i = from; i < run->nsteps; i++)
		r->spark[r->nspark++] = tm_run_stepf(run, i, TM_SF_TIME_S);
	for (size_t i = 0; i < run->nevents; i++) {
		const struct tm_event *ev = &run->events[i];
		struct tm_top_event *e = add_event(r);
		e->line = ev->line;
		e->count = ev->count;
		snprintf(e->kind, sizeof(e->kind), "%s", tm_event_kind_name(ev->kind));
		snprintf(e->severity, sizeof(e->severity), "%s", tm_ev_severity_name(ev->severity));
		snprintf(e->msg, sizeof(e->msg), "%s", ev->message);
	}
	for (int k = 0; k < TM_EV_N; k++)
		r->events_total += run->event_counts[k];

	char b1[64], b2[64], b3[64], b4[64], b5[64];
	kv(r, "file", "%s", r->file);
	kv(r, "framework", "%s%s%s", s->framework ? s->framework : "unknown", s->slurm_job_id ? ", Slurm job " : "",
	   s->slurm_job_id ? s->slurm_job_id : "");
	if (s->steps)
		kv(r, "steps", "%zu records, step %.0f to %.0f (%zu warm-up excluded)", s->steps, s->first_step,
		   s->last_step, s->warmup_records);
	else
		kv(r, "steps", "none yet");
	if (s->st.n)
		kv(r, "step time", "last %.4g s, median %.4g s, p10 %.4g s, p90 %.4g s (%zu steps)", s->st.last,
		   s->st.median, s->st.p10, s->st.p90, s->st.n);
	kv(r, "tokens/s", "%s (%s per GPU)%s%s", si(b1, sizeof(b1), s->tokens_per_s.v),
	   si(b2, sizeof(b2), s->tokens_per_s_per_gpu.v), s->tokens_per_s.needs && isnan(s->tokens_per_s.v) ? ", needs " : "",
	   s->tokens_per_s.needs && isnan(s->tokens_per_s.v) ? s->tokens_per_s.needs : "");
	if (!isnan(s->mfu.v))
		kv(r, "MFU", "%.1f%% (%.4g of %.4g TFLOP/s per GPU%s%s)", s->mfu.v * 100, s->tflops_per_gpu.v,
		   s->peak_tflops.v, s->gpu_name ? ", " : "", s->gpu_name ? s->gpu_name : "");
	else
		kv(r, "MFU", "-%s%s", s->mfu.needs ? ", needs " : "", s->mfu.needs ? s->mfu.needs : "");
	kv(r, "tokens", "%s done, target %s", si(b1, sizeof(b1), s->tokens_done.v), si(b2, sizeof(b2), s->target_tokens.v));
	kv(r, "ETA", "%s%s%s", dur(b1, sizeof(b1), s->eta_s.v), s->eta_s.needs && isnan(s->eta_s.v) ? ", needs " : "",
	   s->eta_s.needs && isnan(s->eta_s.v) ? s->eta_s.needs : "");
	kv(r, "job", "%s GPUs, global batch %s, sequence %s, %s layers, hidden %s", si(b1, sizeof(b1), s->gpus.v),
	   si(b2, sizeof(b2), s->global_batch.v), si(b3, sizeof(b3), s->seq_len.v), si(b4, sizeof(b4), s->layers.v),
	   si(b5, sizeof(b5), s->hidden.v));
	if (run->nsteps && !isnan(tm_run_stepf(run, run->nsteps - 1, TM_SF_LOSS)))
		kv(r, "loss", "%.4g", tm_run_stepf(run, run->nsteps - 1, TM_SF_LOSS));
	kv(r, "events", "%llu", (unsigned long long)r->events_total);
}

void tm_top_from_view(struct tm_top_model *m, const struct tm_metrics_view *v)
{
	for (size_t i = 0; i < m->n; i++)
		run_release(&m->runs[i]);
	m->n = 0;
	size_t n = v->nfiles(v->ctx);
	for (size_t i = 0; i < n; i++) {
		struct tm_metrics_file f;
		v->file(v->ctx, i, &f);
		from_file(m, &f);
	}
	tm_top_sort(m);
}

/* ---- a scrape of /metrics ---- */

enum { V_STEPS, V_MEDIAN, V_TPS_GPU, V_TOKENS, V_FLOPS, V_LOSS, V_AGE, V_N };

struct scraped {                        /* what one run's samples said, besides the row's values */
	double v[V_N];
};

static long find_file(const struct tm_top_run *runs, size_t n, const char *file)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(runs[i].file, file) == 0)
			return (long)i;
	return -1;
}

static void prom_sample(struct tm_top_run *r, struct scraped *x, const struct tm_prom_sample *s)
{
	const char *n = s->name + strlen("trainmon_run_");
	double v = s->value;
	const char *stat = tm_prom_label(s, "stat"), *alert = tm_prom_label(s, "alert"), *kind = tm_prom_label(s, "kind");
	if (strcmp(n, "step") == 0)
		r->step = v;
	else if (strcmp(n, "steps_total") == 0)
		x->v[V_STEPS] = v;
	else if (strcmp(n, "step_time_seconds") == 0 && stat && strcmp(stat, "last") == 0)
		r->step_time = v;
	else if (strcmp(n, "step_time_seconds") == 0 && stat && strcmp(stat, "median") == 0)
		x->v[V_MEDIAN] = v;
	else if (strcmp(n, "tokens_per_second") == 0)
		r->tps = v;
	else if (strcmp(n, "tokens_per_second_per_gpu") == 0)
		x->v[V_TPS_GPU] = v;
	else if (strcmp(n, "tokens_total") == 0)
		x->v[V_TOKENS] = v;
	else if (strcmp(n, "mfu_ratio") == 0)
		r->mfu = v;
	else if (strcmp(n, "flops_per_second_per_gpu") == 0)
		x->v[V_FLOPS] = v;
	else if (strcmp(n, "eta_seconds") == 0)
		r->eta_s = v;
	else if (strcmp(n, "loss") == 0)
		x->v[V_LOSS] = v;
	else if (strcmp(n, "last_step_age_seconds") == 0)
		x->v[V_AGE] = v;
	else if (strcmp(n, "events_total") == 0 && kind && v > 0) {
		struct tm_top_event *e = add_event(r);
		e->count = (uint64_t)v;
		snprintf(e->kind, sizeof(e->kind), "%s", kind);
		snprintf(e->msg, sizeof(e->msg), "(messages are in the log; /metrics has the counts)");
		r->events_total += (uint64_t)v;
	} else if (strcmp(n, "alert_active") == 0 && alert && v > 0) {
		for (int k = 0; k < TM_AL_N; k++)
			if (strcmp(alert, tm_alert_name(k)) == 0)
				r->alerts |= 1u << k;
	}
}

void tm_top_from_prom(struct tm_top_model *m, const struct tm_prom *p)
{
	struct tm_top_model old = *m;
	m->runs = NULL;
	m->n = m->cap = 0;
	struct scraped *xs = NULL;
	size_t capxs = 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct tm_prom_sample *s = &p->v[i];
		const char *file = tm_prom_label(s, "file");
		if (strncmp(s->name, "trainmon_run_", 13) != 0 || !file)
			continue;
		long k = find_file(m->runs, m->n, file);
		if (k < 0) {
			struct tm_top_run *r = add_run(m, file);
			const char *run = tm_prom_label(s, "run"), *fw = tm_prom_label(s, "framework");
			if (run)
				snprintf(r->name, sizeof(r->name), "%s", run);
			snprintf(r->framework, sizeof(r->framework), "%s", fw ? fw : "");
			k = (long)m->n - 1;
			tm_xgrow((void **)&xs, &capxs, m->n, sizeof(*xs));
			for (int j = 0; j < V_N; j++)
				xs[k].v[j] = NAN;
		}
		prom_sample(&m->runs[k], &xs[k], s);
	}
	char b1[64], b2[64];
	for (size_t i = 0; i < m->n; i++) {
		struct tm_top_run *r = &m->runs[i];
		const double *x = xs[i].v;
		long o = find_file(old.runs, old.n, r->file);
		if (o >= 0) {
			memcpy(r->spark, old.runs[o].spark, sizeof(r->spark));
			r->nspark = old.runs[o].nspark;
			r->spark_step = old.runs[o].spark_step;
		}
		if (!isnan(r->step) && !isnan(r->step_time) && r->step != r->spark_step) {
			if (r->nspark == TM_TOP_SPARK_N)
				memmove(r->spark, r->spark + 1, (TM_TOP_SPARK_N - 1) * sizeof(*r->spark));
			else
				r->nspark++;
			r->spark[r->nspark - 1] = r->step_time;
			r->spark_step = r->step;
		}
		kv(r, "file", "%s", r->file);
		kv(r, "framework", "%s", r->framework[0] ? r->framework : "unknown");
		kv(r, "steps", "%s records, last step %s", si(b1, sizeof(b1), x[V_STEPS]), si(b2, sizeof(b2), r->step));
		kv(r, "step time", "last %.4g s, median %.4g s", r->step_time, x[V_MEDIAN]);
		kv(r, "tokens/s", "%s (%s per GPU)", si(b1, sizeof(b1), r->tps), si(b2, sizeof(b2), x[V_TPS_GPU]));
		if (isnan(r->mfu))
			kv(r, "MFU", "-");
		else
			kv(r, "MFU", "%.1f%% (%.4g TFLOP/s per GPU)", r->mfu * 100, x[V_FLOPS] / 1e12);
		kv(r, "tokens", "%s done", si(b1, sizeof(b1), x[V_TOKENS]));
		kv(r, "ETA", "%s", dur(b1, sizeof(b1), r->eta_s));
		if (!isnan(x[V_LOSS]))
			kv(r, "loss", "%.4g", x[V_LOSS]);
		kv(r, "last step", "%s ago", dur(b1, sizeof(b1), x[V_AGE]));
		kv(r, "events", "%llu", (unsigned long long)r->events_total);
	}
	free(xs);
	tm_top_model_release(&old);
	tm_top_sort(m);
}

/* ---- order ---- */

/* -1, 0, 1 in the column's natural order: names A-Z; steps, step times, ETAs and alerts largest
 * first (the run furthest on, the slowest, the furthest from done, the most alarming); tokens/s
 * and MFU smallest first (the worst performers on top). */
static int severity(const struct tm_top_run *r)
{
	return (r->alerts >> TM_AL_FAILURE & 1) * 8 + (r->alerts >> TM_AL_ENDED & 1) * 4 +
	       ((r->alerts >> TM_AL_STALL & 1) + (r->alerts >> TM_AL_LOW_MFU & 1) + (r->alerts >> TM_AL_THROUGHPUT_DROP & 1)) * 2 +
	       (r->alerts >> TM_AL_FINISHED & 1);
}

static int num_cmp(double a, double b, int desc)
{
	if (isnan(a) || isnan(b))
		return isnan(a) - isnan(b);          /* unknown last, either way */
	return a < b ? (desc ? 1 : -1) : a > b ? (desc ? -1 : 1) : 0;
}

static int col_cmp(const struct tm_top_run *a, const struct tm_top_run *b, enum tm_top_col c, int reverse)
{
	int d = reverse ? -1 : 1;
	switch (c) {
	case TM_TOP_FRAMEWORK: {
		if (!a->framework[0] || !b->framework[0])
			return !a->framework[0] - !b->framework[0];
		return d * strcmp(a->framework, b->framework);
	}
	case TM_TOP_STEP: return num_cmp(a->step, b->step, !reverse);
	case TM_TOP_STEP_TIME: return num_cmp(a->step_time, b->step_time, !reverse);
	case TM_TOP_TPS: return num_cmp(a->tps, b->tps, reverse);
	case TM_TOP_MFU: return num_cmp(a->mfu, b->mfu, reverse);
	case TM_TOP_ETA: return num_cmp(a->eta_s, b->eta_s, !reverse);
	case TM_TOP_ALERTS: return d * (severity(b) - severity(a));
	default: return d * strcmp(a->name, b->name);
	}
}

static int run_cmp(const void *x, const void *y, void *ctx)
{
	const struct tm_top_model *m = ctx;
	const struct tm_top_run *a = x, *b = y;
	int c = col_cmp(a, b, m->sort, m->reverse);
	return c ? c : strcmp(a->file, b->file);   /* files are unique: a total order */
}

void tm_top_sort(struct tm_top_model *m)
{
	if (m->n > 1)
		qsort_r(m->runs, m->n, sizeof(*m->runs), run_cmp, m);
}

long tm_top_find(const struct tm_top_model *m, const char *file)
{
	return find_file(m->runs, m->n, file);
}

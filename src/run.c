/* run.c: folding rule hits into a run's record (see run.h).
 *
 * Steps: a hit with a step number already kept is a duplicate (another rank, or a progress-bar
 * redraw) and is counted, not kept; a new number below the highest is a late step, put in its
 * place: O(log n) amortised for descending steps and late ones near the end, while one landing
 * mid-array moves the shorter side (see open_slot). A step rule without a step number (Paxml's
 * "train_step() took") numbers its records itself. The run's steps are those of its framework
 * pack; another pack's step records go to a rival run of their own, and tm_run_settle() decides
 * from the whole file which pack's records are the run's (docs/rules.md, "Which framework").
 * Events of the same kind in a row fold into one entry with a count and line range.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "trainmon/run.h"
#include "trainmon/timefmt.h"
#include "trainmon/xalloc.h"
#include "banned.h"

void tm_run_init(struct tm_run *r, const char *file, const struct tm_ruleset *rs, struct tm_matcher *m)
{
	memset(r, 0, sizeof(*r));
	r->file = tm_xstrdup(file);
	r->framework = -1;
	r->step_base = 1;
	r->consumed_tokens = NAN;
	r->skipped_total = NAN;
	r->run_runtime_s = r->run_steps_per_s = r->bar_loss = r->rk_step = r->rk_first = NAN;
	r->ts = r->first_ts = r->last_ts = NAN;
	r->rank = -1;
	r->self_rank = -2;
	r->detected = -1;
	r->last_seqlen = r->grad_accum = NAN;
	for (int i = 0; i < TM_P_N; i++)
		r->params[i] = NAN;
	r->rs = rs;
	r->m = m;
}

const char *tm_time_src_name(enum tm_time_src s)
{
	static const char *const names[TM_TSRC_N] = { NULL, "logged", "throughput", "timestamps", "tqdm",
						      "summary" };
	return s < TM_TSRC_N ? names[s] : NULL;
}

void tm_run_release(struct tm_run *r)
{
	free(r->file);
	tm_steps_release(&r->steps);
	free(r->events);
	free(r->phases);
	free(r->reports);
	free(r->rk_time);
	for (int i = 0; i < TM_P_N; i++)
		free(r->sparams[i]);
	for (size_t i = 0; i < r->nrivals; i++)
		tm_run_release(&r->rivals[i]);
	free(r->rivals);
	memset(r, 0, sizeof(*r));
}

int tm_run_force_framework(struct tm_run *r, const char *pack)
{
	for (size_t i = 0; i < r->rs->npacks; i++)
		if (strcmp(r->rs->packs[i].name, pack) == 0) {
			r->framework = (int)i;
			r->framework_forced = 1;
			if (r->m) {
				r->m->skip_detect = 1;
				r->m->skip_fallback = !r->rs->packs[i].fallback;
			}
			return 0;
		}
	return -1;
}

static int truthy(const char *p, size_t n)
{
	return (n == 4 && (memcmp(p, "True", 4) == 0 || memcmp(p, "true", 4) == 0)) ||
	       (n == 1 && p[0] == '1');
}

static void set_param(struct tm_run *r, int param, const char *p, size_t n)
{
	if (param < 0 || param >= TM_P_N)
		return;
	if (param >= TM_P_NUM_STRINGS_FROM_HERE) {
		if (r->sparams[param] || n == 0 || (n == 4 && memcmp(p, "None", 4) == 0))
			return;
		r->sparams[param] = tm_xstrndup(p, n > 120 ? 120 : n);
		r->param_line[param] = r->line;
		return;
	}
	if (!isnan(r->params[param]))
		return;                 /* the first value printed wins */
	double v = tm_parse_num(p, n);
	if (isnan(v))
		return;             /* "None" and other non-numbers leave it unknown */
	r->params[param] = v;
	r->param_line[param] = r->line;
}

/* ---- the step records: sorted by step, in a column store (steps.c) ----
 * A record goes in by moving the shorter side of the store: late steps near the end move a few
 * rows, descending ones (each below all others) move none, taking a row in front. Both ends grow
 * by doubling, so either order costs O(1) amortised besides the O(log n) search. */

static void insert_step(struct tm_run *r, size_t i, const struct tm_step *st)
{
	tm_steps_insert(&r->steps, i, st);
	r->nsteps = r->steps.n;
}

static void clear_steps(struct tm_run *r)
{
	tm_steps_release(&r->steps);
	r->nsteps = 0;
}

void tm_run_push_step(struct tm_run *r, const struct tm_step *st)
{
	insert_step(r, r->nsteps, st);
}

struct tm_step tm_run_step(const struct tm_run *r, size_t i)
{
	struct tm_step st;
	tm_steps_row(&r->steps, i, &st);
	return st;
}

size_t tm_run_trim(struct tm_run *r, size_t max, size_t keep)
{
	if (max == 0 || r->nsteps <= max || keep >= r->nsteps)
		return 0;
	size_t drop = r->nsteps - keep;
	tm_steps_drop_front(&r->steps, drop);
	r->nsteps = r->steps.n;
	r->steps_dropped += drop;
	for (size_t i = 0; i < r->nrivals; i++)
		tm_run_trim(&r->rivals[i], max, keep);
	return drop;
}

void tm_run_set_sparam(struct tm_run *r, int param, const char *v, int from_filename)
{
	if (param < TM_P_NUM_STRINGS_FROM_HERE || param >= TM_P_N || r->sparams[param])
		return;
	r->sparams[param] = tm_xstrdup(v);
	r->param_line[param] = from_filename ? 0 : r->line;
}

/* What a rule's groups said about where an event happened (NULL/0/-1 when they did not). */
struct ev_where {
	const char *host, *ranks;
	size_t host_len, ranks_len;
	int code;
};

int tm_event_has_rank(const struct tm_event *e, unsigned rank)
{
	return rank < TM_EVENT_RANKS && (e->ranks[rank / 64] >> (rank % 64) & 1);
}

static void add_rank(struct tm_event *e, unsigned long rank)
{
	if (e->rank < 0 && rank <= INT32_MAX)
		e->rank = (int)rank;
	if (rank >= TM_EVENT_RANKS) {
		e->ranks_beyond++;
		return;
	}
	uint64_t bit = (uint64_t)1 << (rank % 64);
	if (!(e->ranks[rank / 64] & bit)) {
		e->ranks[rank / 64] |= bit;
		e->nranks++;
	}
}

/* A rank group's text: "3", "0-3", "0,2-5,8" (srun's task lists); other bytes end the list. A
 * range is walked up to TM_EVENT_RANKS; what lies beyond counts once in ranks_beyond. */
static void add_rank_list(struct tm_event *e, const char *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (p[i] < '0' || p[i] > '9')
			return;
		unsigned long a = 0, b;
		while (i < n && p[i] >= '0' && p[i] <= '9' && a < 100000000)
			a = a * 10 + (unsigned long)(p[i++] - '0');
		b = a;
		if (i + 1 < n && p[i] == '-' && p[i + 1] >= '0' && p[i + 1] <= '9') {
			b = 0;
			for (i++; i < n && p[i] >= '0' && p[i] <= '9' && b < 100000000; i++)
				b = b * 10 + (unsigned long)(p[i] - '0');
		}
		if (b < a)
			b = a;
		for (unsigned long k = a; k <= b && k < TM_EVENT_RANKS; k++)
			add_rank(e, k);
		if (b >= TM_EVENT_RANKS)
			e->ranks_beyond++;
		if (i < n && p[i] == ',')
			i++;
		else
			return;
	}
}

static void add_host(struct tm_event *e, const char *p, size_t n)
{
	while (n && (p[n - 1] == ':' || p[n - 1] == ' '))
		n--;
	if (!n)
		return;
	if (n >= sizeof(e->host))
		n = sizeof(e->host) - 1;
	if (!e->nhosts) {
		memcpy(e->host, p, n);
		e->host[n] = '\0';
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)e->host[i] < 0x20)
				e->host[i] = ' ';
		e->nhosts = 1;
	} else if (e->nhosts == 1 && (strlen(e->host) != n || memcmp(e->host, p, n) != 0)) {
		e->nhosts = 2;
	}
}

/* The incident this line joins, or NULL for a new one (see TM_INCIDENT_GAP_S in run.h). */
static struct tm_event *incident_of(struct tm_run *r, enum tm_event_kind k)
{
	if (!r->nevents)
		return NULL;
	struct tm_event *last = &r->events[r->nevents - 1];
	if (last->kind == k)
		return last;             /* same kind in a row: always one incident */
	for (size_t i = r->nevents - 1, seen = 0; i-- > 0 && seen < 32; seen++) {
		struct tm_event *e = &r->events[i];
		if (e->last_line < r->step_line)
			return NULL;         /* training went on since: a new incident */
		if (e->kind != k)
			continue;
		if (!isnan(r->ts) && !isnan(e->last_ts))
			return r->ts - e->last_ts > TM_INCIDENT_GAP_S ? NULL : e;
		return r->line - e->last_line > TM_INCIDENT_GAP_LINES ? NULL : e;
	}
	return NULL;
}

static void where(struct tm_run *r, struct tm_event *e, const struct ev_where *w)
{
	if (w && w->ranks_len)
		add_rank_list(e, w->ranks, w->ranks_len);
	else if (r->rank >= 0)
		add_rank(e, (unsigned long)r->rank);
	if (w && w->host_len)
		add_host(e, w->host, w->host_len);
	else if (r->rec_host_len)
		add_host(e, r->rec_host, r->rec_host_len);
	if (w && w->code >= 0 && e->code < 0)
		e->code = w->code;
	if (!isnan(r->ts)) {
		if (isnan(e->ts))
			e->ts = r->ts;
		e->last_ts = r->ts;
	}
}

static void add_event(struct tm_run *r, uint64_t line, enum tm_event_kind k, enum tm_ev_severity s,
		      const char *msg, size_t len, const struct ev_where *w)
{
	r->event_counts[k]++;
	if (k == TM_EV_SKIPPED_STEP) {
		r->skip_since++;
		r->skipped_steps++;
	}
	struct tm_event *e = incident_of(r, k);
	if (e) {
		e->count++;
		e->last_line = line;
		if (s > e->severity)
			e->severity = s;
		where(r, e, w);
		return;
	}
	r->incident_counts[k]++;
	if (r->nevents == TM_RUN_EVENTS_MAX) {
		r->events_dropped++;
		return;
	}
	tm_xgrow((void **)&r->events, &r->capevents, r->nevents + 1, sizeof(*r->events));
	e = &r->events[r->nevents++];
	memset(e, 0, sizeof(*e));
	e->line = e->last_line = line;
	e->count = 1;
	e->kind = k;
	e->severity = s;
	e->ts = e->last_ts = NAN;
	e->code = e->rank = -1;
	where(r, e, w);
	while (len && (msg[len - 1] == ' ' || msg[len - 1] == '\t'))
		len--;
	while (len && (*msg == ' ' || *msg == '\t'))
		msg++, len--;
	size_t c = len < sizeof(e->message) - 1 ? len : sizeof(e->message) - 1;
	memcpy(e->message, msg, c);
	e->message[c] = '\0';
	/* control bytes would break terminals and JSON consumers that skip escaping */
	for (size_t i = 0; i < c; i++)
		if ((unsigned char)e->message[i] < 0x20)
			e->message[i] = ' ';
}

void tm_run_event(struct tm_run *r, uint64_t line, enum tm_event_kind k, enum tm_ev_severity s,
		  const char *msg, size_t len)
{
	add_event(r, line, k, s, msg, len, NULL);
}

/* "TIME host ident[pid]: " (syslog, journald): the word before the ident is the host. */
void tm_run_at_prefix(struct tm_run *r, const char *cpre, size_t len)
{
	r->rec_host = NULL;
	r->rec_host_len = 0;
	while (len && cpre[len - 1] == ' ')
		len--;
	if (len < 4 || cpre[len - 1] != ':' || cpre[len - 2] != ']')
		return;
	size_t i = len;
	while (i && cpre[i - 1] != ' ')
		i--;                     /* start of ident[pid]: */
	if (i < 2)
		return;
	size_t end = i - 1, b = end;
	while (b && cpre[b - 1] != ' ')
		b--;
	if (b == end)
		return;
	r->rec_host = cpre + b;
	r->rec_host_len = end - b;
}

/* "nan", "inf", "-inf" as printed: a value that is there and is not a number */
static int nonfinite_text(const char *p, size_t n)
{
	while (n && (*p == ' ' || *p == '+' || *p == '-'))
		p++, n--;
	return n >= 3 && ((p[0] | 0x20) == 'n' || (p[0] | 0x20) == 'i') && (strncasecmp(p, "nan", 3) == 0 || strncasecmp(p, "inf", 3) == 0);
}

/* A param value through the rule's `values:` map: 1 with the meaning in (*p, *n), 0 when the
 * rule maps values and this one is not listed (left unknown, never guessed). */
static int map_value(const struct tm_rule *rule, const char **p, size_t *n)
{
	if (!rule->nvals)
		return 1;
	for (size_t i = 0; i < rule->nvals; i++)
		if (strlen(rule->vals[i].from) == *n && memcmp(rule->vals[i].from, *p, *n) == 0) {
			*p = rule->vals[i].to;
			*n = strlen(rule->vals[i].to);
			return 1;
		}
	return 0;
}

#define NF_LOSS 1      /* the loss was printed and is not finite */
#define NF_GRAD 2      /* the gradient norm was printed and is not finite */

/* How far the bytes from p[0, n) may be read: to the end of the hit's subject when they lie in it
 * (a captured or matched field), else to p + n (a value map's replacement text). */
static const char *in_subject(const struct tm_hit *h, const char *p, size_t n)
{
	uintptr_t a = (uintptr_t)h->subj, x = (uintptr_t)p;
	return x >= a && x - a <= h->len && n <= h->len - (x - a) ? h->subj + h->len : p + n;
}

/* A field that flags that its group took part (1), not a number read from it. */
static int flag_field(int target)
{
	return target == TM_F_BAR_TRAIN || target == TM_F_REPORT_REL || target == TM_F_REPORT_OTHER;
}

/* A capture's value p[0, n) into fields; lim: how far the bytes from p may be read (see
 * tm_parse_num_in). */
static void apply_capture(struct tm_run *r, const struct tm_capture *c, const char *p, size_t n, const char *lim,
			  double *fields, int *loss_nonfinite)
{
	if (c->kind == TM_CAP_FIELD) {
		if (c->target == TM_F_LOSS && nonfinite_text(p, n))
			*loss_nonfinite |= NF_LOSS;
		if (c->target == TM_F_GRAD_NORM && nonfinite_text(p, n))
			*loss_nonfinite |= NF_GRAD;
		if (flag_field(c->target)) {
			fields[c->target] = 1;      /* a flag: the group took part */
			return;
		}
		fields[c->target] = tm_parse_num_in(p, n, c->pow10, lim);
	} else if (c->kind == TM_CAP_PARAM) {
		set_param(r, c->target, p, n);
	}
}

static void fill_step(struct tm_run *r, struct tm_step *s, double step, const double *f);

/* Copies a record's values (field-indexed, NAN = absent) into a step: all present ones, or with
 * only_missing those the step lacks. */
static void take_fields(struct tm_step *s, const double *f, int only_missing)
{
	double *dst[] = { &s->time_s, &s->consumed, &s->loss, &s->global_batch, &s->tflops, &s->mfu,
			  &s->tokens_per_s_per_gpu, &s->tokens_per_s, &s->samples_per_s, &s->grad_norm };
	static const int src[] = { TM_F_STEP_TIME, TM_F_CONSUMED_SAMPLES, TM_F_LOSS, TM_F_GLOBAL_BATCH,
				   TM_F_TFLOPS, TM_F_MFU, TM_F_TOKENS_PER_S_PER_GPU, TM_F_TOKENS_PER_S,
				   TM_F_SAMPLES_PER_S, TM_F_GRAD_NORM };
	for (size_t i = 0; i < sizeof(src) / sizeof(src[0]); i++)
		if (!isnan(f[src[i]]) && (!only_missing || isnan(*dst[i])))
			*dst[i] = f[src[i]];
}

static void step_events(struct tm_run *r, const struct tm_hit *h, const double *f, double step,
			int loss_nonfinite);

static double inline_ts(struct tm_run *r, const struct tm_hit *h);

/* Which pack's step records the run keeps: the first pack to claim it (a detector or a step
 * line). A fallback pack's claim (generic.yaml) yields to any framework pack: the records it made
 * are dropped, they were that framework's lines read generically, or noise. Returns 0 when the
 * pack's records are this run's, 1 when they are another framework pack's (a rival's, see the
 * framework decision below), -1 when they are a fallback's reading of a claimed run's lines. */
static int is_fallback(const struct tm_run *r, int pack)
{
	return pack >= 0 && r->rs && r->rs->packs[pack].fallback;
}

static int claim(struct tm_run *r, unsigned pack)
{
	int fb = is_fallback(r, (int)pack);
	if (r->framework < 0) {
		r->framework = (int)pack;
	} else if ((unsigned)r->framework != pack) {
		if (fb)
			return -1;               /* a generic reading of a line a framework pack owns */
		if (r->framework_forced || !is_fallback(r, r->framework))
			return 1;                /* another framework pack's line: its own records */
		r->fallback_dropped += r->nsteps;
		clear_steps(r);
		r->dup_steps = r->out_of_order = r->self_numbered = r->bar_steps = 0;
		r->self_rank = -2;
		r->has_pending = 0;
		r->framework = (int)pack;
	}
	if (r->m && !fb)
		r->m->skip_fallback = 1;         /* a framework pack has the run */
	return 0;
}

/* A framework pack owns the run (also one restored from a state file): fallback rules need not
 * run any more. */
static void fallback_done(struct tm_run *r)
{
	if (r->m && r->rs && r->framework >= 0 && !r->rs->packs[r->framework].fallback)
		r->m->skip_fallback = 1;
}

/* A progress-bar record (tqdm): 1 when it is the training bar's, so a step record; 0 when not
 * (an eval or data bar, counted), or when it cannot be told (counted, never guessed). The bar's
 * description decides when the rule saw a training word (`bar_train`); else its total against
 * the run's train_iters. Eval descriptions are left out by the rule's regex. */
static int training_bar(struct tm_run *r, double *f)
{
	double total = f[TM_F_TOTAL_STEPS], ti = r->params[TM_P_TRAIN_ITERS];
	f[TM_F_TOTAL_STEPS] = NAN;             /* a bar's total is not train_iters (epoch bars) */
	double rate = f[TM_F_BAR_S_PER_IT];
	if (!(rate > 0) && f[TM_F_BAR_IT_PER_S] > 0)
		rate = 1 / f[TM_F_BAR_IT_PER_S];
	if (f[TM_F_BAR_TRAIN] != 1) {
		if (isnan(ti)) {
			r->bars_undecided++;
			return 0;
		}
		if (total != ti) {
			r->bars_eval++;
			return 0;
		}
	}
	f[TM_F_STEP_TIME] = rate > 0 && isfinite(rate) ? rate : NAN;
	return 1;
}

static void rival_step(struct tm_run *r, const struct tm_hit *h, double *f, int loss_nonfinite);

/* A step hit into r's step records; events go to ev (r itself, or the run a rival belongs to). */
static void on_step(struct tm_run *r, struct tm_run *ev, const struct tm_hit *h, double *f,
		    int loss_nonfinite)
{
	const struct tm_rule *rule = h->rule;
	int bar = !isnan(f[TM_F_BAR_S_PER_IT]) || !isnan(f[TM_F_BAR_IT_PER_S]) || f[TM_F_BAR_TRAIN] == 1;
	if (bar && !rule->fallback && (r->framework < 0 || (r->rs && r->rs->packs[r->framework].fallback))) {
		r->bars_unclaimed++;     /* a progress bar is no evidence of a framework: a framework
					    pack's bar counts once the pack has claimed the file */
		return;
	}
	int c = claim(r, rule->pack);
	if (c) {
		fallback_done(r);
		if (c > 0)
			rival_step(r, h, f, loss_nonfinite);   /* another pack's step line: its own records */
		return;
	}
	if (!isnan(f[TM_F_RUN_RUNTIME]) || !isnan(f[TM_F_RUN_STEPS_PER_S])) {
		/* an end-of-run summary: a run-level figure, never a step record (each rank may
		 * print it: the last one stays) */
		if (f[TM_F_RUN_RUNTIME] > 0)
			r->run_runtime_s = f[TM_F_RUN_RUNTIME];
		if (f[TM_F_RUN_STEPS_PER_S] > 0)
			r->run_steps_per_s = f[TM_F_RUN_STEPS_PER_S];
		r->run_summary_line = r->line;
		return;
	}
	if (bar && !training_bar(r, f))
		return;
	if (bar && !r->bar_steps && r->nsteps && r->self_numbered == r->nsteps) {
		/* records counted before the first bar (a dict printed before the bar's first redraw):
		 * their count is no step; the last one's values go to this bar step */
		const struct tm_step lv = tm_run_step(r, r->nsteps - 1), *l = &lv;
		double lf[TM_F_N];
		for (int i = 0; i < TM_F_N; i++)
			lf[i] = NAN;
		lf[TM_F_LOSS] = l->loss, lf[TM_F_CONSUMED_SAMPLES] = l->consumed;
		lf[TM_F_GLOBAL_BATCH] = l->global_batch, lf[TM_F_TFLOPS] = l->tflops, lf[TM_F_MFU] = l->mfu;
		lf[TM_F_TOKENS_PER_S_PER_GPU] = l->tokens_per_s_per_gpu, lf[TM_F_TOKENS_PER_S] = l->tokens_per_s;
		lf[TM_F_SAMPLES_PER_S] = l->samples_per_s;
		for (int i = 0; i < TM_F_N; i++)
			if (isnan(f[i]))
				f[i] = lf[i];
		clear_steps(r);
		r->self_numbered = 0;
		r->self_rank = -2;
	}
	if (!bar && r->bar_steps && isnan(f[TM_F_STEP]) && r->nsteps) {
		/* a record without a step number in a run the training bar numbers (HF dicts): tqdm.write
		 * clears the bar, prints the dict and redraws the bar at the dict's step, so its loss
		 * belongs to the next bar record, not to a count of records */
		if (!isnan(f[TM_F_LOSS]))
			r->bar_loss = f[TM_F_LOSS];
		step_events(ev, h, f, tm_run_stepf(r, r->nsteps - 1, TM_SF_STEP), loss_nonfinite);
		return;
	}
	if (bar && !isnan(r->bar_loss)) {
		f[TM_F_LOSS] = r->bar_loss;
		r->bar_loss = NAN;
	}
	if (rule->attach) {
		/* a metric line after its step's header: it completes the last step record */
		if (r->nsteps) {
			struct tm_step st = tm_run_step(r, r->nsteps - 1);
			if (!isnan(f[TM_F_STEP_TIME]))
				st.time_src = TM_TSRC_LOGGED;
			take_fields(&st, f, 0);
			tm_steps_put(&r->steps, r->nsteps - 1, &st);
		} else {
			/* nothing to attach to: kept for tm_run_append, ignored otherwise */
			if (!r->has_pending)
				for (int i = 0; i < TM_F_N; i++)
					r->pending[i] = NAN;
			r->has_pending = 1;
			for (int i = 0; i < TM_F_N; i++)
				if (!isnan(f[i]))
					r->pending[i] = f[i];
		}
		if (!isnan(f[TM_F_CONSUMED_TOKENS]))
			r->consumed_tokens = f[TM_F_CONSUMED_TOKENS];
		step_events(ev, h, f, r->nsteps ? tm_run_stepf(r, r->nsteps - 1, TM_SF_STEP) : NAN, loss_nonfinite);
		return;
	}
	r->step_base = rule->step_base;
	if (isnan(r->ts) && r->rs && r->rs->packs[rule->pack].ts) {
		const char *host = r->rec_host;        /* the same record: its host stays */
		size_t hn = r->rec_host_len;
		tm_run_at(r, r->line, r->rank, inline_ts(r, h));
		r->rec_host = host;
		r->rec_host_len = hn;
	}
	double step = f[TM_F_STEP];
	double last = r->nsteps ? tm_run_stepf(r, r->nsteps - 1, TM_SF_STEP) : NAN;
	if (isnan(step)) {
		/* self-numbered lines (no step number): every rank may print them, so count one rank's */
		if (r->self_rank == -2)
			r->self_rank = r->rank;
		if (r->rank != r->self_rank) {
			r->dup_steps++;
			return;
		}
		step = r->nsteps ? last + 1 : rule->step_base;
		r->self_numbered++;
	} else if (r->nsteps && step <= last) {
		/* Steps are kept sorted. An earlier number is either a step we have (another rank, a
		 * redraw, or a second line about it, like DeepSpeed's timer after its step line: fill in
		 * what the first record lacked) or one that arrived late (interleaved ranks, block-
		 * buffered stdout): it goes in its place. */
		size_t lo = 0, hi = r->nsteps;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (tm_run_stepf(r, mid, TM_SF_STEP) < step)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (tm_run_stepf(r, lo, TM_SF_STEP) != step) {
			r->out_of_order++;
			struct tm_step st;
			fill_step(r, &st, step, f);
			if (bar)
				st.time_src = (uint8_t)(isnan(st.time_s) ? TM_TSRC_NONE : TM_TSRC_TQDM);
			insert_step(r, lo, &st);
			step_events(ev, h, f, step, loss_nonfinite);
			return;
		}
		struct tm_step st = tm_run_step(r, lo);
		if (bar && !isnan(f[TM_F_LOSS]))
			st.loss = f[TM_F_LOSS];          /* the dict printed at this step (see above) */
		if (isnan(st.time_s) && !isnan(f[TM_F_STEP_TIME]))
			st.time_src = (uint8_t)(bar ? TM_TSRC_TQDM : TM_TSRC_LOGGED);
		take_fields(&st, f, 1);
		tm_steps_put(&r->steps, lo, &st);
		r->dup_steps++;
		return;
	}
	struct tm_step st;
	fill_step(r, &st, step, f);
	if (bar) {
		st.time_src = (uint8_t)(isnan(st.time_s) ? TM_TSRC_NONE : TM_TSRC_TQDM);
		r->bar_steps++;
	}
	insert_step(r, r->nsteps, &st);
	step_events(ev, h, f, step, loss_nonfinite);
}

/* ---- the framework decision ----
 * Every pack's step records are kept, the framework's in r, each other pack's in a rival run
 * (up to TM_RUN_RIVALS_MAX packs; more are ignored). Reading never switches: tm_run_settle()
 * does, from counts only, so watch (which settles at every summary) and analyze (once, at the
 * end) decide alike, and a split read whose halves hold rivals is read again in one pass. */

static void rival_step(struct tm_run *r, const struct tm_hit *h, double *f, int loss_nonfinite)
{
	struct tm_run *v = NULL;
	for (size_t i = 0; i < r->nrivals && !v; i++)
		if ((unsigned)r->rivals[i].framework == h->rule->pack)
			v = &r->rivals[i];
	if (!v) {
		if (r->nrivals == TM_RUN_RIVALS_MAX)
			return;
		r->rivals = tm_xrealloc(r->rivals, (r->nrivals + 1) * sizeof(*r->rivals));
		v = &r->rivals[r->nrivals++];
		tm_run_init(v, "", r->rs, r->m);
		v->framework = (int)h->rule->pack;
	}
	v->line = r->line;
	v->rank = r->rank;
	v->ts = r->ts;
	on_step(v, r, h, f, loss_nonfinite);
}

/* The step-record state of a run: what moves when another pack's records become the run's. */
static void swap_steps(struct tm_run *a, struct tm_run *b)
{
#define SWAP(T, x) do { T t_ = a->x; a->x = b->x; b->x = t_; } while (0)
	SWAP(int, framework);
	SWAP(int, step_base);
	SWAP(struct tm_steps, steps);
	SWAP(size_t, nsteps);
	SWAP(uint64_t, dup_steps);
	SWAP(uint64_t, steps_dropped);
	SWAP(uint64_t, out_of_order);
	SWAP(uint64_t, self_numbered);
	SWAP(int, self_rank);
	SWAP(int, has_pending);
	SWAP(double, consumed_tokens);
#undef SWAP
	double t[TM_F_N];
	memcpy(t, a->pending, sizeof(t));
	memcpy(a->pending, b->pending, sizeof(t));
	memcpy(b->pending, t, sizeof(t));
}

/* How strongly a run's records claim the file: a detector's pack with records beats any count. */
static uint64_t claim_weight(const struct tm_run *r, const struct tm_run *s)
{
	uint64_t n = s->nsteps + s->steps_dropped;
	if (n && r->detected >= 0 && s->framework == r->detected)
		return UINT64_MAX;
	return n;
}

/* a before b when both claim alike: the pack whose first record came first */
static int earlier(const struct tm_run *a, const struct tm_run *b)
{
	double la = a->nsteps ? tm_run_stepf(a, 0, TM_SF_LINE) : UINT32_MAX;
	double lb = b->nsteps ? tm_run_stepf(b, 0, TM_SF_LINE) : UINT32_MAX;
	return la < lb || (la == lb && a->framework < b->framework);
}

/* Fills what dst's steps lack from src's records with the same step number (both numbered by
 * the framework: a self-numbered record count is no step number to join on). */
static void join_beside(struct tm_run *dst, const struct tm_run *src)
{
	if (dst->self_numbered || src->self_numbered)
		return;
	size_t j = 0;
	for (size_t i = 0; i < dst->nsteps; i++) {
		double step = tm_run_stepf(dst, i, TM_SF_STEP);
		while (j < src->nsteps && tm_run_stepf(src, j, TM_SF_STEP) < step)
			j++;
		if (j == src->nsteps)
			break;
		if (tm_run_stepf(src, j, TM_SF_STEP) != step)
			continue;
		static const enum tm_sf fields[] = { TM_SF_TIME_S, TM_SF_CONSUMED, TM_SF_LOSS, TM_SF_GLOBAL_BATCH,
						     TM_SF_TFLOPS, TM_SF_MFU, TM_SF_TOKENS_PER_S_PER_GPU,
						     TM_SF_TOKENS_PER_S, TM_SF_SAMPLES_PER_S };
		for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
			double sv = tm_run_stepf(src, j, fields[k]);
			if (isnan(tm_run_stepf(dst, i, fields[k])) && !isnan(sv))
				tm_steps_set(&dst->steps, i, fields[k], sv);
		}
	}
}

static void settle_framework(struct tm_run *r);

/* Sets param p to a value derived from others unless the log printed it (then it wins); a
 * derived value is derived again at every settle, so watch ends where analyze does. */
static void derive(struct tm_run *r, int p, double v, uint64_t line)
{
	if (!isfinite(v) || v <= 0 || (!isnan(r->params[p]) && !(r->derived & (1u << p))))
		return;
	r->params[p] = v;
	r->param_line[p] = line;
	r->derived |= 1u << p;
}

static void derive_params(struct tm_run *r)
{
	double seq = r->last_seqlen;
	uint64_t line = r->last_seqlen_line;
	if (isnan(seq) && r->nsteps && r->consumed_tokens > 0) {
		const struct tm_step sv = tm_run_step(r, r->nsteps - 1), *s = &sv;
		double q = s->consumed > 0 ? r->consumed_tokens / s->consumed : NAN;
		if (isfinite(q) && q == floor(q))
			seq = q, line = s->line;
	}
	derive(r, TM_P_SEQ_LEN, seq, line);
	double gb = r->params[TM_P_GLOBAL_BATCH], mb = r->params[TM_P_MICRO_BATCH];
	if (r->grad_accum > 0 && gb > 0 && mb > 0) {
		double g = gb / (mb * r->grad_accum);
		if (g >= 1 && g == floor(g))
			derive(r, TM_P_GPUS, g, r->grad_accum_line);
	}
}

void tm_run_settle(struct tm_run *r)
{
	settle_framework(r);
	derive_params(r);
}

static void settle_framework(struct tm_run *r)
{
	if (!r->nrivals)
		return;
	struct tm_run *best = NULL;
	uint64_t bc = claim_weight(r, r);
	for (size_t i = 0; i < r->nrivals; i++) {
		struct tm_run *v = &r->rivals[i];
		uint64_t c = claim_weight(r, v);
		const struct tm_run *cur = best ? best : r;
		if (c > bc || (c == bc && c && earlier(v, cur)))
			best = v, bc = c;
	}
	if (best && !r->framework_forced)
		swap_steps(r, best);
	for (size_t i = 0; i < r->nrivals; i++)
		join_beside(r, &r->rivals[i]);
}

void tm_run_rebind(struct tm_run *r, const struct tm_ruleset *rs)
{
	const struct tm_ruleset *old = r->rs;
	int *packs[] = { &r->framework, &r->detected };
	for (size_t k = 0; k < sizeof(packs) / sizeof(packs[0]); k++) {
		int nf = -1;
		const char *fw = *packs[k] >= 0 && old ? old->packs[*packs[k]].name : NULL;
		for (size_t i = 0; fw && i < rs->npacks; i++)
			if (strcmp(rs->packs[i].name, fw) == 0)
				nf = (int)i;
		*packs[k] = nf;
	}
	size_t kept = 0;
	for (size_t i = 0; i < r->nrivals; i++) {
		struct tm_run *v = &r->rivals[i];
		v->detected = -1;
		tm_run_rebind(v, rs);
		if (v->framework < 0 || v->framework == r->framework) {
			tm_run_release(v);
			continue;
		}
		r->rivals[kept++] = *v;
	}
	r->nrivals = kept;
	r->rs = rs;
}

void tm_run_at(struct tm_run *r, uint64_t line, int rank, double ts)
{
	r->line = line;
	r->rank = rank;
	r->ts = ts;
	r->rec_host = NULL;           /* until tm_run_at_prefix says otherwise */
	r->rec_host_len = 0;
	if (!isnan(ts)) {
		if (isnan(r->first_ts))
			r->first_ts = ts;
		r->last_ts = ts;
	}
}

/* The time a pack's `timestamp:` regex reads in a step line that has no prefix time; NAN none.
 * It must name the year: an inline time without one is not used. */
static double inline_ts(struct tm_run *r, const struct tm_hit *h)
{
	const struct tm_pack *pk = &r->rs->packs[h->rule->pack];
	const char *p;
	size_t n;
	struct tm_civil c;
	if (!pk->ts || !r->m || !tm_match_sub(r->m, pk->ts, h->subj, h->len, &p, &n) ||
	    !tm_time_parse_any(p, n, &c) || !c.year)
		return NAN;
	return tm_time_epoch(&c);
}

static void fill_step(struct tm_run *r, struct tm_step *s, double step, const double *f)
{
	s->step = step;
	s->time_s = f[TM_F_STEP_TIME];
	s->consumed = f[TM_F_CONSUMED_SAMPLES];
	s->loss = f[TM_F_LOSS];
	s->global_batch = f[TM_F_GLOBAL_BATCH];
	s->tflops = f[TM_F_TFLOPS];
	s->mfu = f[TM_F_MFU];
	s->tokens_per_s_per_gpu = f[TM_F_TOKENS_PER_S_PER_GPU];
	s->tokens_per_s = f[TM_F_TOKENS_PER_S];
	s->samples_per_s = f[TM_F_SAMPLES_PER_S];
	s->grad_norm = f[TM_F_GRAD_NORM];
	s->line = r->line > UINT32_MAX ? UINT32_MAX : (uint32_t)r->line;
	s->ts = r->ts;
	s->time_src = (uint8_t)(isnan(s->time_s) ? TM_TSRC_NONE : TM_TSRC_LOGGED);
	if (!isnan(f[TM_F_CONSUMED_TOKENS]))
		r->consumed_tokens = f[TM_F_CONSUMED_TOKENS];
	if (!isnan(f[TM_F_TOTAL_STEPS]) && isnan(r->params[TM_P_TRAIN_ITERS])) {
		r->params[TM_P_TRAIN_ITERS] = f[TM_F_TOTAL_STEPS];
		r->param_line[TM_P_TRAIN_ITERS] = r->line;
	}
}

static void step_events(struct tm_run *r, const struct tm_hit *h, const double *f, double step,
			int loss_nonfinite)
{
	/* counters the framework prints with the step (Megatron): events without another regex */
	if (f[TM_F_NAN_ITERS] > 0) {
		char msg[96];
		int n = snprintf(msg, sizeof(msg), "%.0f NaN iterations in the interval ending at step %.0f",
				 f[TM_F_NAN_ITERS], step);
		tm_run_event(r, r->line, TM_EV_NAN_LOSS, TM_EVS_ERROR, msg, (size_t)n);
	}
	if (f[TM_F_SKIPPED] > 0) {
		char msg[96];
		int n = snprintf(msg, sizeof(msg), "%.0f skipped iterations in the interval ending at step %.0f",
				 f[TM_F_SKIPPED], step);
		tm_run_event(r, r->line, TM_EV_SKIPPED_STEP, TM_EVS_INFO, msg, (size_t)n);
		r->skipped_steps += f[TM_F_SKIPPED] - 1;   /* the event line counted one */
		r->skip_since += f[TM_F_SKIPPED] - 1;
	}
	if (loss_nonfinite & NF_LOSS)
		tm_run_event(r, r->line, TM_EV_NAN_LOSS, TM_EVS_ERROR, h->subj, h->len);
	else if (loss_nonfinite & NF_GRAD && !(f[TM_F_NAN_ITERS] > 0))
		tm_run_event(r, r->line, TM_EV_NAN_GRAD_NORM, TM_EVS_ERROR, h->subj, h->len);
}

/* A running total of skipped steps (DeepSpeed's `skipped=K`, whatever pack yields the steps): its
 * increase since the last total, less the skipped steps counted since (OVERFLOW lines, interval
 * counts: the same skips), becomes one event line; each skipped step is counted once. A total that goes down (a
 * restart) is a new baseline. A run's first total counts from 0. */
static void skipped_total(struct tm_run *r, double total, double step)
{
	if (isnan(total) || total < 0)
		return;
	double prev = isnan(r->skipped_total) ? 0 : r->skipped_total;
	double fresh = total - prev - r->skip_since;
	r->skipped_total = total;
	r->skip_since = 0;
	if (total < prev || !(fresh > 0))
		return;
	char msg[128];
	int n = snprintf(msg, sizeof(msg), "%.0f skipped steps by step %.0f (running total %.0f)", fresh, step, total);
	tm_run_event(r, r->line, TM_EV_SKIPPED_STEP, TM_EVS_INFO, msg, (size_t)n);
	r->skip_since = 0;
	r->skipped_steps += fresh - 1;     /* the event line counted one */
}

double tm_phase_seconds(const struct tm_phase *p)
{
	if (!isnan(p->duration_s))
		return p->duration_s;
	if (!isnan(p->start_ts) && !isnan(p->end_ts) && p->end_ts >= p->start_ts)
		return p->end_ts - p->start_ts;
	return NAN;
}

static struct tm_phase *new_phase(struct tm_run *r, enum tm_phase_kind k)
{
	if (r->nphases == TM_RUN_PHASES_MAX) {
		r->phases_dropped++;
		return NULL;
	}
	tm_xgrow((void **)&r->phases, &r->capphases, r->nphases + 1, sizeof(*r->phases));
	struct tm_phase *p = &r->phases[r->nphases++];
	*p = (struct tm_phase){ .kind = k, .step = NAN, .start_ts = NAN, .end_ts = NAN, .duration_s = NAN,
				.line = r->line, .nsteps_at = r->nsteps };
	return p;
}

/* A phase line (rules.h, enum tm_phase_mark). It completes the latest record of its kind when
 * no step record came in between and the step agrees: a save's "saving", "saved" and timer lines
 * are one record, as are an evaluation's timer and its "validation loss" line; start and end
 * lines repeated per rank or per file (DeepSpeed loads one file per line) add nothing but the
 * last end time. Otherwise it opens a record (a timer that finds a duration already there too). A save or evaluation line
 * without a step number is at the last step record; a load's step is only what its line says
 * (the step it resumes from). */
static void on_phase(struct tm_run *r, const struct tm_rule *rule, const double *f)
{
	if (rule->phase == TM_PH_TIME)
		return;                 /* its `ts` group has set the time; nothing else to keep */
	double step = f[TM_F_STEP], dur = f[TM_F_DURATION];
	if (isnan(step) && rule->phase != TM_PH_CKPT_LOAD && r->nsteps)
		step = tm_run_stepf(r, r->nsteps - 1, TM_SF_STEP);
	struct tm_phase *last = NULL;
	for (size_t i = r->nphases, k = 0; i-- > 0 && k < 16; k++)
		if (r->phases[i].kind == rule->phase) {
			last = &r->phases[i];
			break;
		}
	int near = last && last->nsteps_at == r->nsteps &&
		   (isnan(step) || isnan(last->step) || last->step == step);
	struct tm_phase *p = NULL;
	switch (rule->mark) {
	case TM_PM_START:
		/* a closed record near it: the same phase printed again (per file, per rank) */
		p = near ? last : new_phase(r, rule->phase);
		if (p && isnan(p->start_ts))
			p->start_ts = r->ts;
		break;
	case TM_PM_END:
		p = near ? last : new_phase(r, rule->phase);
		if (p) {
			if (!isnan(r->ts) || !p->closed)
				p->end_ts = r->ts;   /* the last end line of a phase printed per file */
			p->closed = 1;
		}
		break;
	case TM_PM_DURATION:
		p = near && isnan(last->duration_s) ? last : new_phase(r, rule->phase);
		break;
	}
	if (!p)
		return;
	if (isnan(p->step))
		p->step = step;
	if (!isnan(dur) && dur >= 0)
		p->duration_s = dur;
}

/* A `ts` group: the record's time when no prefix gave one. */
static void capture_ts(struct tm_run *r, const char *p, size_t n)
{
	struct tm_civil c;
	if (isnan(r->ts) && tm_time_parse_any(p, n, &c) && c.year)
		tm_run_at(r, r->line, r->rank, tm_time_epoch(&c));
}

static uint64_t events_made(const struct tm_run *r)
{
	uint64_t n = 0;
	for (int k = 0; k < TM_EV_N; k++)
		n += r->event_counts[k];
	return n;
}

static int run_hit(struct tm_run *r, const struct tm_hit *h);

int tm_run_hit(void *ctx, const struct tm_hit *h)
{
	struct tm_run *r = ctx;
	if (!h->rule->fallback)
		return run_hit(r, h);
	/* a fallback rule's events: one pass does not make them once a framework pack has claimed
	 * the file, so a split read's half that made some cannot be appended (tm_run_append) */
	uint64_t before = events_made(r);
	int rc = run_hit(r, h);
	r->fallback_events += events_made(r) - before;
	return rc;
}

static int run_hit(struct tm_run *r, const struct tm_hit *h)
{
	const struct tm_rule *rule = h->rule;
	if (rule->rec == TM_REC_DETECT) {
		claim(r, rule->pack);   /* a detector claims the run (and ends a fallback's claim) */
		if (r->detected < 0)
			r->detected = (int)rule->pack;
		if (r->m)
			r->m->skip_detect = 1;
		return 0;
	}
	if (r->framework_forced && rule->rec == TM_REC_STEP && (unsigned)r->framework != rule->pack)
		return 0;
	double f[TM_F_N];
	for (int i = 0; i < TM_F_N; i++)
		f[i] = NAN;
	int loss_nonfinite = 0;
	const char *msg = NULL, *key = NULL, *val = NULL;
	size_t msglen = 0, keylen = 0, vallen = 0;
	struct ev_where w = { .code = -1 };
	for (size_t i = 0; i < rule->ncaps; i++) {
		const struct tm_capture *c = &rule->caps[i];
		const char *p;
		size_t n;
		if (!tm_hit_group(h, c->group, &p, &n))
			continue;
		if (c->kind == TM_CAP_MSG)
			msg = p, msglen = n;
		else if (c->kind == TM_CAP_KEY)
			key = p, keylen = n;
		else if (c->kind == TM_CAP_VALUE)
			val = p, vallen = n;
		else if (c->kind == TM_CAP_TS)
			capture_ts(r, p, n);
		else if (c->kind == TM_CAP_HOST)
			w.host = p, w.host_len = n;
		else if (c->kind == TM_CAP_RANK)
			w.ranks = p, w.ranks_len = n;
		else if (c->kind == TM_CAP_CODE)
			w.code = n && n < 9 && p[0] >= '0' && p[0] <= '9' ? (int)tm_parse_num(p, n) : -1;
		else
			if (c->kind != TM_CAP_PARAM || map_value(rule, &p, &n))
				apply_capture(r, c, p, n, in_subject(h, p, n), f, &loss_nonfinite);
	}
	for (size_t i = 0; i < rule->nfields && r->m; i++) {
		const struct tm_capture *c = &rule->fields[i].cap;
		if (c->kind == TM_CAP_FIELD && !flag_field(c->target)) {
			/* a number read in passing (a finite decimal: no nan/inf flag to raise) */
			int x = tm_match_sub_num(r->m, &rule->fields[i], h->subj, h->len, c->pow10, &f[c->target]);
			if (x >= 0)
				continue;
		}
		const char *p;
		size_t n;
		if (tm_match_sub(r->m, &rule->fields[i], h->subj, h->len, &p, &n))
			if (rule->fields[i].cap.kind != TM_CAP_PARAM || map_value(rule, &p, &n))
				apply_capture(r, &rule->fields[i].cap, p, n, in_subject(h, p, n), f,
					      &loss_nonfinite);
	}
	/* job values kept for tm_run_settle's derivations */
	if (f[TM_F_ACTUAL_SEQLEN] > 0) {
		r->last_seqlen = f[TM_F_ACTUAL_SEQLEN];
		r->last_seqlen_line = r->line;
	}
	if (f[TM_F_GRAD_ACCUM] > 0 && isnan(r->grad_accum)) {
		r->grad_accum = f[TM_F_GRAD_ACCUM];
		r->grad_accum_line = r->line;
	}
	switch (rule->rec) {
	case TM_REC_STEP:
		/* a logged rate of optimizer steps: its inverse is the interval's mean step time */
		if (isnan(f[TM_F_STEP_TIME]) && f[TM_F_STEPS_PER_S] > 0)
			f[TM_F_STEP_TIME] = 1.0 / f[TM_F_STEPS_PER_S];
		skipped_total(r, f[TM_F_SKIPPED_TOTAL], f[TM_F_STEP]);
		r->step_line = r->line;
		tm_run_rank_close(r);
		r->report_mode = 0;
		tm_run_rank_step(r, r->rank, f[TM_F_STEP], f[TM_F_STEP_TIME]);
		on_step(r, r, h, f, loss_nonfinite);
		break;
	case TM_REC_RANK:
		tm_run_rank_hit(r, f, w.ranks, w.ranks_len, w.host, w.host_len);
		break;
	case TM_REC_PARAM:
		if (key && val) {
			while (vallen && (val[vallen - 1] == ' ' || val[vallen - 1] == '\t'))
				vallen--;
			for (size_t i = 0; i < rule->nkeys; i++) {
				const struct tm_keymap *km = &rule->keys[i];
				if (strlen(km->key) != keylen || memcmp(km->key, key, keylen) != 0)
					continue;
				if (km->when_true) {
					if (truthy(val, vallen))
						set_param(r, km->param, km->when_true, strlen(km->when_true));
				} else {
				{
					const char *mv = val;
					size_t mn = vallen;
					if (map_value(rule, &mv, &mn))
						set_param(r, km->param, mv, mn);
				}
				}
			}
		}
		break;
	case TM_REC_EVENT:
		if (msg)
			add_event(r, r->line, rule->kind, rule->severity, msg, msglen, &w);
		else
			add_event(r, r->line, rule->kind, rule->severity, h->subj, h->len, &w);
		break;
	case TM_REC_PHASE:
		on_phase(r, rule, f);
		break;
	case TM_REC_DETECT:
		break;
	}
	return 0;
}

/* ---- appending a run that read the next part of the same file (analyze's split read) ---- */

/* b's incident e continues a's incident l: ranks, hosts, times and code together. */
static void merge_where(struct tm_event *l, const struct tm_event *e)
{
	if (l->rank < 0)
		l->rank = e->rank;       /* the first rank one pass would have added (add_rank) */
	for (size_t w = 0; w < TM_EVENT_RANKS / 64; w++)
		l->ranks[w] |= e->ranks[w];
	l->nranks = 0;
	for (size_t w = 0; w < TM_EVENT_RANKS / 64; w++)
		l->nranks += (uint32_t)__builtin_popcountll(l->ranks[w]);
	l->ranks_beyond += e->ranks_beyond;
	if (e->nhosts)
		add_host(l, e->host, strlen(e->host));
	if (e->nhosts > 1)
		l->nhosts = 2;
	if (isnan(l->ts))
		l->ts = e->ts;
	if (!isnan(e->last_ts))
		l->last_ts = e->last_ts;
	if (l->code < 0)
		l->code = e->code;
}

int tm_run_append(struct tm_run *a, struct tm_run *b, uint64_t line_offset)
{
	if (a->framework >= 0 && b->framework >= 0 && a->framework != b->framework)
		return -1;
	if (a->nrivals || b->nrivals)
		return -1;                       /* two packs' steps: one pass decides (tm_run_settle) */
	if (a->bar_steps || b->bar_steps || b->bars_undecided || b->bars_eval || b->bars_unclaimed)
		return -1;                       /* progress-bar records: which are steps, and which step
						    a dict's values go to, depend on what came before */
	if (b->fallback_events && a->framework >= 0 && a->rs && !a->rs->packs[a->framework].fallback)
		return -1;                       /* events of b's fallback rules, which one pass never
						    runs after a's framework pack claimed the file */
	/* a detector fired in a's bytes: one pass would not have run b's (a's framework is b's,
	 * checked above); else b's first detector is the file's first */
	if (a->detected < 0)
		a->detected = b->detected;
	if (!isnan(b->last_seqlen)) {
		a->last_seqlen = b->last_seqlen;
		a->last_seqlen_line = b->last_seqlen_line + line_offset;
	}
	if (isnan(a->grad_accum) && !isnan(b->grad_accum)) {
		a->grad_accum = b->grad_accum;
		a->grad_accum_line = b->grad_accum_line + line_offset;
	}
	if (a->self_rank != -2 && b->self_rank != -2 && a->self_rank != b->self_rank)
		return -1;
	if (b->self_numbered && b->self_numbered != b->nsteps)
		return -1;                       /* mixed numbering: cannot renumber */
	/* b's bars could not be told apart without a's banner (train_iters), or b's unnumbered
	 * records belong to a's bar steps: one pass decides differently */
	if ((b->bars_undecided && !isnan(a->params[TM_P_TRAIN_ITERS])) || (a->bar_steps && b->self_numbered) ||
	    (!isnan(a->bar_loss) && b->bar_steps))
		return -1;
	/* b's steps must all come after a's: a step of b at or below a's last would, read in one
	 * pass, have been a repeat or a late arrival, with its events judged accordingly */
	if (a->nsteps && b->nsteps && !b->self_numbered &&
	    tm_run_stepf(b, 0, TM_SF_STEP) <= tm_run_stepf(a, a->nsteps - 1, TM_SF_STEP))
		return -1;
	/* a running total of skipped steps in b counts from a's; an event of b before its first step
	 * may join an incident of a that is not a's last entry: one pass says what they mean */
	if (!isnan(b->skipped_total) && (a->nsteps || a->nevents || !isnan(a->skipped_total)))
		return -1;
	if (tm_run_rank_can_append(a, b) < 0)
		return -1;                       /* a's report or rank-prefixed step is under way */
	uint64_t b_first_step = b->nsteps ? (uint64_t)tm_run_stepf(b, 0, TM_SF_LINE) : UINT64_MAX;
	for (size_t i = 0; i < b->nevents && b->events[i].line < b_first_step; i++)
		for (size_t k = a->nevents; k-- > 0 && a->events[k].last_line >= a->step_line;)
			if (a->events[k].kind == b->events[i].kind && !(i == 0 && k + 1 == a->nevents))
				return -1;
	int a_claimed = a->framework >= 0 && a->rs && !a->rs->packs[a->framework].fallback;
	if (a->framework < 0)
		a->framework = b->framework;
	if (a->self_rank == -2)
		a->self_rank = b->self_rank;
	/* self-numbered steps continue a's numbering */
	if (b->self_numbered && a->nsteps) {
		double shift = tm_run_stepf(a, a->nsteps - 1, TM_SF_STEP) + 1 - b->step_base;
		for (size_t i = 0; i < b->nsteps; i++)
			tm_steps_set(&b->steps, i, TM_SF_STEP, tm_run_stepf(b, i, TM_SF_STEP) + shift);
	}
	if (!a->nsteps)
		a->step_base = b->step_base;
	/* metric lines b read before its first step complete a's last step */
	if (b->has_pending && a->nsteps) {
		struct tm_step st = tm_run_step(a, a->nsteps - 1);
		take_fields(&st, b->pending, 0);
		tm_steps_put(&a->steps, a->nsteps - 1, &st);
	}
	tm_run_rank_append(a, b, line_offset);  /* before the steps: a report of b before its first
						    step is at a's last */
	/* steps: all of b's come after a's (checked above), so b's array follows a's */
	if (b->nsteps) {
		tm_steps_append(&a->steps, &b->steps, line_offset);
		a->nsteps = a->steps.n;
	}
	if (isnan(a->first_ts))
		a->first_ts = b->first_ts;
	if (!isnan(b->last_ts))
		a->last_ts = b->last_ts;
	a->dup_steps += b->dup_steps;
	a->out_of_order += b->out_of_order;
	a->bars_eval += b->bars_eval;
	a->bars_undecided += b->bars_undecided;
	a->bars_unclaimed += b->bars_unclaimed;
	a->fallback_events += b->fallback_events;
	a->bar_steps += b->bar_steps;
	/* b's fallback records were dropped because b began mid-file; read in one pass after a's
	 * framework pack had claimed the run, they would never have been made */
	if (!a_claimed)
		a->fallback_dropped += b->fallback_dropped;
	if (!isnan(b->run_runtime_s))
		a->run_runtime_s = b->run_runtime_s;
	if (!isnan(b->run_steps_per_s))
		a->run_steps_per_s = b->run_steps_per_s;
	if (b->run_summary_line)
		a->run_summary_line = b->run_summary_line + line_offset;
	a->self_numbered += b->self_numbered;
	if (!isnan(b->consumed_tokens))
		a->consumed_tokens = b->consumed_tokens;
	for (int p = 0; p < TM_P_N; p++) {
		if (p < TM_P_NUM_STRINGS_FROM_HERE && isnan(a->params[p]) && !isnan(b->params[p])) {
			a->params[p] = b->params[p];
			a->param_line[p] = b->param_line[p] + line_offset;
		} else if (p >= TM_P_NUM_STRINGS_FROM_HERE && !a->sparams[p] && b->sparams[p]) {
			a->sparams[p] = b->sparams[p];
			b->sparams[p] = NULL;
			a->param_line[p] = b->param_line[p] + line_offset;
		}
	}
	/* events: b's after a's; a kind continuing across the seam folds as it would have */
	for (size_t i = 0; i < b->nevents; i++) {
		struct tm_event e = b->events[i];
		e.line += line_offset;
		e.last_line += line_offset;
		if (i == 0 && a->nevents && a->events[a->nevents - 1].kind == e.kind) {
			struct tm_event *l = &a->events[a->nevents - 1];
			l->count += e.count;
			l->last_line = e.last_line;
			if (e.severity > l->severity)
				l->severity = e.severity;
			merge_where(l, &e);
			b->incident_counts[e.kind]--;    /* one incident across the seam */
		} else if (a->nevents == TM_RUN_EVENTS_MAX) {
			a->events_dropped += e.count;
		} else {
			tm_xgrow((void **)&a->events, &a->capevents, a->nevents + 1, sizeof(*a->events));
			a->events[a->nevents++] = e;
		}
	}
	a->events_dropped += b->events_dropped;
	/* phases: b's after a's (a record a left open stays open: its closing line was b's first) */
	for (size_t i = 0; i < b->nphases; i++) {
		if (a->nphases == TM_RUN_PHASES_MAX) {
			a->phases_dropped++;
			continue;
		}
		tm_xgrow((void **)&a->phases, &a->capphases, a->nphases + 1, sizeof(*a->phases));
		struct tm_phase *p = &a->phases[a->nphases++];
		*p = b->phases[i];
		p->line += line_offset;
		p->nsteps_at += a->nsteps - b->nsteps;
	}
	a->phases_dropped += b->phases_dropped;
	for (int k = 0; k < TM_EV_N; k++) {
		a->event_counts[k] += b->event_counts[k];
		a->incident_counts[k] += b->incident_counts[k];
	}
	a->skipped_steps += b->skipped_steps;
	a->skip_since += b->skip_since;
	if (!isnan(b->skipped_total))
		a->skipped_total = b->skipped_total;   /* the running total a next part goes on from */
	if (b->step_line)
		a->step_line = b->step_line + line_offset;
	return 0;
}

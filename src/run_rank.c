/* run_rank.c: per-rank reports folded into a run (run.h, struct tm_rank_report).
 *
 * Three sources, one record per interval naming its slowest rank and its ratio to a reference:
 *  - Megatron-LM's --log-straggler line (megatron/core/utils.py, StragglerDetector.report()):
 *    `MnRtt/Rnk: 3453.08ms/8 | MxRtt/Rnk: 3468.20ms/0 | ...`, the min and max across ranks of the
 *    time per iteration: slowest / fastest;
 *  - NVIDIA resiliency-ext's report (ptl_resiliency/straggler_det_callback.py): a header
 *    `GPU relative performance:` then `  Rank=13 Node=n3 Score=0.80` lines, a score being the
 *    fastest rank's median time over this rank's (attribution/straggler/reporting.py): 1 / score;
 *    the `GPU individual performance:` lines that may follow compare a rank with its own past and
 *    are not read as a report;
 *  - step lines printed by every rank under a launcher prefix: a step's ranks, once a later step
 *    arrives, give the slowest rank over the median rank.
 * Memory is bounded: at most TM_RUN_REPORTS_MAX reports (the oldest half let go past it) and one
 * array of TM_RANK_STEP_RANKS times for rank-prefixed steps. Nothing here allocates per line.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/run.h"
#include "trainmon/xalloc.h"
#include "banned.h"

static struct tm_rank_report *push(struct tm_run *r)
{
	if (r->nreports == TM_RUN_REPORTS_MAX) {
		size_t drop = r->nreports / 2;
		memmove(r->reports, r->reports + drop, (r->nreports - drop) * sizeof(*r->reports));
		r->nreports -= drop;
		r->reports_dropped += drop;
	}
	tm_xgrow((void **)&r->reports, &r->capreports, r->nreports + 1, sizeof(*r->reports));
	struct tm_rank_report *p = &r->reports[r->nreports++];
	memset(p, 0, sizeof(*p));
	p->step = r->nsteps ? tm_run_stepf(r, r->nsteps - 1, TM_SF_STEP) : NAN;
	p->ts = r->ts;
	p->line = r->line > UINT32_MAX ? UINT32_MAX : (uint32_t)r->line;
	p->ratio = p->value_s = p->ref_s = NAN;
	p->rank = -1;
	return p;
}

static int parse_rank(const char *p, size_t n)
{
	if (!p || n == 0 || n > 9)
		return -1;
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

static void set_host(struct tm_rank_report *p, const char *host, size_t n)
{
	if (!host)
		return;
	if (n >= sizeof(p->host))
		n = sizeof(p->host) - 1;
	memcpy(p->host, host, n);
	p->host[n] = 0;
	if (strcmp(p->host, "None") == 0)
		p->host[0] = 0;
}

void tm_run_rank_close(struct tm_run *r)
{
	if (r->nreports)
		r->reports[r->nreports - 1].open = 0;
}

void tm_run_rank_hit(struct tm_run *r, const double *f, const char *rank, size_t ranklen, const char *host,
		     size_t hostlen)
{
	if (f[TM_F_REPORT_REL] == 1 || f[TM_F_REPORT_OTHER] == 1) {
		tm_run_rank_close(r);
		r->report_mode = f[TM_F_REPORT_REL] == 1;
		if (r->report_mode)
			push(r)->open = 1;
		return;
	}
	int rk = parse_rank(rank, ranklen);
	if (!isnan(f[TM_F_SCORE])) {
		/* a score line counts inside a relative report only */
		if (!r->report_mode || !r->nreports || !r->reports[r->nreports - 1].open || rk < 0)
			return;
		struct tm_rank_report *p = &r->reports[r->nreports - 1];
		double ratio = f[TM_F_SCORE] > 0 ? 1 / f[TM_F_SCORE] : INFINITY;
		p->nranks++;
		if (p->rank < 0 || ratio > p->ratio) {
			p->rank = rk;
			p->ratio = ratio;
			p->host[0] = 0;
			set_host(p, host, hostlen);
		}
		return;
	}
	if (rk < 0 || !(f[TM_F_RANK_TIME] > 0))
		return;
	/* a one-line report: the slowest rank, against the fastest when the line names it */
	tm_run_rank_close(r);
	r->report_mode = 0;
	struct tm_rank_report *p = push(r);
	p->rank = rk;
	p->value_s = f[TM_F_RANK_TIME];
	p->ref_s = f[TM_F_FAST_TIME];
	p->ratio = p->ref_s > 0 ? p->value_s / p->ref_s : NAN;
	p->nranks = 0;
	p->basis = TM_RB_FASTEST;
	set_host(p, host, hostlen);
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

/* The ranks that gave a time at rk_step, in arrival order: TM_RANK_STEP_RANKS uint16_t kept in the
 * same allocation, after the times (so that append moves both at once). */
static uint16_t *rk_list(const struct tm_run *r)
{
	return (uint16_t *)(r->rk_time + TM_RANK_STEP_RANKS);
}

/* The step's ranks as one report: at least three ranks, else no median worth the name. Only the
 * ranks that gave a time are visited (a step line from one rank must not cost a sweep of all). */
static void finish_step(struct tm_run *r)
{
	const uint16_t *list = rk_list(r);
	if (r->rk_n >= 3) {
		double v[TM_RANK_STEP_RANKS];
		int worst = -1;
		for (uint32_t j = 0; j < r->rk_n; j++) {
			int k = list[j];
			v[j] = r->rk_time[k];
			if (worst < 0 || v[j] > r->rk_time[worst] || (v[j] == r->rk_time[worst] && k < worst))
				worst = k;
		}
		size_t n = r->rk_n;
		qsort(v, n, sizeof(*v), cmp_double);
		double med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
		tm_run_rank_close(r);
		struct tm_rank_report *p = push(r);
		p->step = r->rk_step;
		p->rank = worst;
		p->value_s = r->rk_time[worst];
		p->ref_s = med;
		p->ratio = med > 0 ? p->value_s / med : NAN;
		p->nranks = r->rk_n;
		p->basis = TM_RB_MEDIAN;
	}
	for (uint32_t j = 0; j < r->rk_n; j++)
		r->rk_time[list[j]] = NAN;
	r->rk_n = 0;
}

void tm_run_rank_step(struct tm_run *r, int rank, double step, double time_s)
{
	if (rank < 0 || rank >= TM_RANK_STEP_RANKS || isnan(step) || !(time_s > 0))
		return;
	if (!r->rk_time) {
		r->rk_time = tm_xmalloc(TM_RANK_STEP_RANKS * (sizeof(*r->rk_time) + sizeof(uint16_t)));
		for (int k = 0; k < TM_RANK_STEP_RANKS; k++)
			r->rk_time[k] = NAN;
		r->rk_step = NAN;
	}
	if (step != r->rk_step) {
		if (!isnan(r->rk_step) && step > r->rk_step)
			finish_step(r);
		else if (!isnan(r->rk_step))
			return;                  /* an older step printed late: not a report */
		if (isnan(r->rk_step))
			r->rk_first = step;
		r->rk_step = step;
	}
	if (isnan(r->rk_time[rank]))
		rk_list(r)[r->rk_n++] = (uint16_t)rank;
	r->rk_time[rank] = time_s;
}

int tm_run_rank_can_append(const struct tm_run *a, const struct tm_run *b)
{
	if (!b->nreports && !b->rk_n)
		return 0;
	if (a->report_mode)
		return -1;
	/* a's step collection under way: read in one pass, b's first collected step (a later one)
	 * would have finished it, with no report below three ranks (a log where one rank prints) */
	if (a->rk_n && !(a->rk_n < 3 && b->rk_n && b->rk_first > a->rk_step))
		return -1;
	return 0;
}

static uint32_t add_line(uint32_t line, uint64_t off)
{
	uint64_t v = line + off;
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

void tm_run_rank_append(struct tm_run *a, struct tm_run *b, uint64_t line_offset)
{
	if (b->nreports)
		tm_run_rank_close(a);
	for (size_t i = 0; i < b->nreports; i++) {
		double step = a->nsteps && isnan(b->reports[i].step) ? tm_run_stepf(a, a->nsteps - 1, TM_SF_STEP) : NAN;
		struct tm_rank_report *p = push(a);
		*p = b->reports[i];
		p->line = add_line(p->line, line_offset);
		if (!isnan(step))
			p->step = step;
	}
	a->reports_dropped += b->reports_dropped;
	a->report_mode = b->report_mode;
	if (b->rk_n) {
		free(a->rk_time);
		a->rk_time = b->rk_time;
		a->rk_step = b->rk_step;
		a->rk_n = b->rk_n;
		b->rk_time = NULL;
		b->rk_n = 0;
	}
}

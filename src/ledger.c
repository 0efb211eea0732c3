/* ledger.c: one chain's goodput ledger, tokens done and interruptions (chain.h).
 *
 * The wall time (first segment's first line time to the last one's last) is split into buckets
 * that add up to it exactly: `other` is the remainder, and when the others already exceed the
 * wall it is unknown with the reason, never negative. Training time comes from the framework's
 * step times (a Megatron record's time is the mean over its log interval, so it counts for every
 * step of the interval); the steps after the point a later segment restarted from are wasted.
 * Checkpoint and evaluation time is the framework's own timer where it prints one. A bucket that
 * needs times the log does not have is unknown, with the reason. Pure arithmetic; never prints.
 * Definitions: docs/analyze.md "Chains"; formulas: docs/formulas.md §5.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/chain.h"
#include "trainmon/xalloc.h"
#include "banned.h"

static const char *const bucket_names[TM_B_N] = {
	"productive", "startup", "checkpoint_load", "checkpoint_save", "evaluation", "wasted_progress",
	"recovery", "stall", "other",
};

const char *tm_bucket_name(enum tm_bucket b) { return b < TM_B_N ? bucket_names[b] : "?"; }

static double nz(double v) { return isnan(v) ? 0 : v; }

/* Seconds of save, load and evaluation phases whose first line lies in (lo, hi]. */
static double phases_between(const struct tm_segment *sg, uint64_t lo, uint64_t hi)
{
	double t = 0;
	for (size_t i = 0; i < sg->nphases; i++)
		if (sg->phases[i].line > lo && sg->phases[i].line <= hi)
			t += nz(tm_phase_seconds(&sg->phases[i]));
	return t;
}

/* Training time of step record k: its step time for every step of its interval; without one,
 * the time between its line and the previous record's, less the phases between them. */
static double record_time(const struct tm_segment *sg, size_t k, double cover)
{
	const struct tm_seg_step *s = &sg->steps[k];
	if (!isnan(s->time_s))
		return s->time_s * cover;
	if (k > 0 && !isnan(s->ts) && !isnan(sg->steps[k - 1].ts))
		return s->ts - sg->steps[k - 1].ts - phases_between(sg, sg->steps[k - 1].line, s->line);
	return NAN;
}

/* A segment's times cover its training: its first and last line times, and its last step
 * record's (a log whose only times are start-up lines says nothing about how long it ran). */
static int seg_timed(const struct tm_segment *sg)
{
	return !isnan(sg->first_ts) && !isnan(sg->last_ts) &&
	       (!sg->nsteps || !isnan(sg->steps[sg->nsteps - 1].ts));
}

struct seg_notes {                   /* what made a segment's buckets unknown */
	int no_step_time, unnamed_saves;
};

static void segment(struct tm_segment *sg, double restart, double stall_s, struct seg_notes *nt)
{
	struct tm_seg_ledger *L = &sg->led;
	int timed = seg_timed(sg);
	double prev = L->from_step, train = 0, waste = 0;
	for (size_t k = 0; k < sg->nsteps; k++) {
		double st = sg->steps[k].step;
		double cover = isnan(prev) ? 1 : st - prev;
		prev = st;
		if (cover <= 0)
			continue;
		double t = record_time(sg, k, cover);
		if (isnan(t)) {
			nt->no_step_time = 1;
			continue;
		}
		double lo = st - cover;
		double frac = (st - (restart > lo ? restart : lo)) / cover;
		frac = frac < 0 ? 0 : frac > 1 ? 1 : frac;
		train += t;
		waste += t * frac;
	}
	L->productive = nt->no_step_time ? NAN : train - waste;
	L->wasted = nt->no_step_time ? NAN : waste;
	if (sg->nsteps && !isnan(L->from_step)) {
		double last = sg->steps[sg->nsteps - 1].step;
		double top = last < restart ? last : restart;
		L->kept_steps = top > L->from_step ? top - L->from_step : 0;
		double low = restart > L->from_step ? restart : L->from_step;
		L->wasted_steps = last > low ? last - low : 0;
	}
	/* phases: loads before the first step record are part of the start-up */
	double load_before = 0, load_after = 0, save = 0, eval = 0;
	uint64_t first_line = sg->nsteps ? sg->steps[0].line : UINT64_MAX;
	for (size_t i = 0; i < sg->nphases; i++) {
		const struct tm_phase *p = &sg->phases[i];
		double d = tm_phase_seconds(p);
		if (p->kind == TM_PH_CKPT_SAVE) {
			L->saves++;
			nt->unnamed_saves += isnan(d);
		}
		if (isnan(d))
			continue;
		if (p->kind == TM_PH_CKPT_LOAD && p->line < first_line)
			load_before += d;
		else if (p->kind == TM_PH_CKPT_LOAD)
			load_after += d;
		else if (p->kind == TM_PH_CKPT_SAVE)
			save += d;
		else if (p->kind == TM_PH_EVAL)
			eval += d;
	}
	L->ckpt_save = save;
	L->eval = eval;
	L->ckpt_load = load_before + load_after;
	L->startup = L->stall = L->other = NAN;
	if (!timed)
		return;
	/* start-up: the segment's first time to where its first interval's training began; the
	 * part of a load before the first time seen is outside the wall time */
	double span = sg->last_ts - sg->first_ts;
	double before = span;
	if (sg->nsteps && !isnan(sg->steps[0].ts)) {
		double cover0 = isnan(L->from_step) ? 1 : sg->steps[0].step - L->from_step;
		double t0 = cover0 > 0 ? nz(record_time(sg, 0, cover0)) : 0;
		before = sg->steps[0].ts - t0 - sg->first_ts;
		before = before < 0 ? 0 : before;
	}
	double load_in = load_before < before ? load_before : before;
	L->ckpt_load = load_in + load_after;
	L->startup = before - load_in;
	/* stalls: time between step records beyond their training and phases, when longer than
	 * stall_s; and the same after the last record, to the segment's last line */
	double stall = 0;
	for (size_t k = 1; k < sg->nsteps; k++) {
		const struct tm_seg_step *a = &sg->steps[k - 1], *b = &sg->steps[k];
		if (isnan(a->ts) || isnan(b->ts))
			continue;
		double gap = b->ts - a->ts - nz(record_time(sg, k, b->step - a->step)) -
			     phases_between(sg, a->line, b->line);
		if (gap > stall_s)
			stall += gap;
	}
	if (sg->nsteps && !isnan(sg->steps[sg->nsteps - 1].ts)) {
		const struct tm_seg_step *z = &sg->steps[sg->nsteps - 1];
		double tail = sg->last_ts - z->ts - phases_between(sg, z->line, UINT64_MAX);
		if (tail > stall_s)
			stall += tail;
	}
	L->stall = stall;
	L->other = span - (L->startup + L->ckpt_load + save + eval + nz(L->productive) + nz(L->wasted) + stall);
}

/* The first reason a bucket is unknown (or incomplete) wins: "<what> <file>". */
static void why(struct tm_chain *c, enum tm_bucket b, const char *what, const char *file)
{
	if (!c->why[b][0])
		snprintf(c->why[b], sizeof(c->why[b]), "%s%s%s", what, file ? " " : "", file ? file : "");
}

/* An interruption that counts (a time limit is how a chain's jobs end on schedule: none). */
static int counts(const struct tm_segment *sg)
{
	return sg->intr.interrupted && sg->intr.end != TM_END_TIME_LIMIT;
}

static void interruptions(struct tm_chain *c, const struct tm_segment *segs, int timed)
{
	double uptime = 0, repair = 0;
	size_t nrepair = 0;
	struct tm_recurrence *g = tm_xcalloc(c->nsegs, sizeof(*g));
	size_t ng = 0;
	for (size_t i = 0; i < c->nsegs; i++) {
		const struct tm_segment *sg = &segs[c->segs[i]];
		if (timed)
			uptime += sg->last_ts - sg->first_ts;   /* timed: every segment's times cover it */
		if (!counts(sg))
			continue;
		c->interruptions++;
		c->by_category[sg->intr.category]++;
		if (timed && i + 1 < c->nsegs) {
			double gap = segs[c->segs[i + 1]].led.recovery_before;
			if (!isnan(gap) && gap >= 0)
				repair += gap, nrepair++;
		}
		if (!sg->intr.has_initiating)
			continue;
		size_t k = 0;
		while (k < ng && !(g[k].kind == sg->intr.initiating &&
				   (g[k].step == sg->intr.last_step || (isnan(g[k].step) && isnan(sg->intr.last_step)))))
			k++;
		if (k == ng)
			g[ng++] = (struct tm_recurrence){ sg->intr.initiating, sg->intr.last_step, 0 };
		g[k].count++;
	}
	c->mtbf_s = c->interruptions && timed ? uptime / (double)c->interruptions : NAN;
	c->mttr_s = nrepair ? repair / (double)nrepair : NAN;
	c->recurrence = c->interruptions ? 1 : 0;
	for (size_t k = 0; k < ng; k++) {
		if (g[k].count > c->recurrence)
			c->recurrence = g[k].count;
		if (g[k].count >= 2)
			g[c->nrecur++] = g[k];
	}
	if (c->nrecur)
		c->recur = g;
	else
		free(g);
}

static void tokens(struct tm_chain *c, const struct tm_segment *segs)
{
	double done = 0;
	c->tokens_needs = NULL;
	c->target_tokens = c->tokens_per_s = NAN;
	for (size_t i = 0; i < c->nsegs; i++) {
		const struct tm_segment *sg = &segs[c->segs[i]];
		if (isnan(sg->led.kept_steps))
			continue;
		if (sg->led.kept_steps > 0 && isnan(sg->tokens_per_step)) {
			done = NAN;
			if (!c->tokens_needs)
				c->tokens_needs = sg->tokens_needs ? sg->tokens_needs : "--seq-len";
		}
		done += sg->led.kept_steps * nz(sg->tokens_per_step);
		if (!isnan(sg->target_tokens))
			c->target_tokens = sg->target_tokens;
	}
	const struct tm_segment *last = &segs[c->segs[c->nsegs - 1]];
	c->tokens_done = done;
	c->tokens_per_s = last->tokens_per_s;
	c->ended = last->intr.end != TM_END_UNKNOWN;
	c->progress = done / c->target_tokens;
	double left = c->target_tokens - done;
	left = left < 0 ? 0 : left;
	c->eta_s = c->remaining_s = NAN;
	if (c->ended)
		c->remaining_s = left / c->tokens_per_s;
	else
		c->eta_s = left / c->tokens_per_s;
}

void tm_chain_compute(struct tm_chain *c, struct tm_segment *segs, double stall_s)
{
	size_t n = c->nsegs;
	for (size_t i = 0; i < n; i++) {
		struct tm_segment *sg = &segs[c->segs[i]];
		memset(&sg->led, 0, sizeof(sg->led));
		sg->led.from_step = tm_segment_from_step(sg);
		sg->led.kept_steps = sg->led.wasted_steps = sg->led.recovery_before = NAN;
	}
	for (int b = 0; b < TM_B_N; b++) {
		c->bucket[b] = 0;
		c->why[b][0] = '\0';
	}
	c->wall = NAN;
	c->wall_why = NULL;
	int timed = 1;
	double start = INFINITY, end = -INFINITY;
	for (size_t i = 0; i < n; i++) {
		struct tm_segment *sg = &segs[c->segs[i]];
		double restart = INFINITY;
		for (size_t j = i + 1; j < n; j++) {
			double f = segs[c->segs[j]].led.from_step;
			if (!isnan(f) && f < restart)
				restart = f;
		}
		struct seg_notes nt = { 0, 0 };
		segment(sg, restart, stall_s, &nt);
		if (!seg_timed(sg)) {
			const char *w = isnan(sg->first_ts) ? "no line has a time in" : "the steps have no time in";
			timed = 0;
			why(c, TM_B_STARTUP, w, sg->file);
			why(c, TM_B_RECOVERY, w, sg->file);
			why(c, TM_B_STALL, w, sg->file);
		} else {
			start = sg->first_ts < start ? sg->first_ts : start;
			end = sg->last_ts > end ? sg->last_ts : end;
		}
		if (nt.no_step_time) {
			why(c, TM_B_PRODUCTIVE, "step times unknown in", sg->file);
			why(c, TM_B_WASTED, "step times unknown in", sg->file);
		}
		if (nt.unnamed_saves)
			why(c, TM_B_CKPT_SAVE, "saves without a printed duration count as other in", sg->file);
		if (i > 0 && timed) {
			const struct tm_segment *pv = &segs[c->segs[i - 1]];
			sg->led.recovery_before = sg->first_ts - pv->last_ts;
		}
		c->bucket[TM_B_PRODUCTIVE] += sg->led.productive;
		c->bucket[TM_B_WASTED] += sg->led.wasted;
		c->bucket[TM_B_STARTUP] += sg->led.startup;
		c->bucket[TM_B_CKPT_LOAD] += sg->led.ckpt_load;
		c->bucket[TM_B_CKPT_SAVE] += sg->led.ckpt_save;
		c->bucket[TM_B_EVAL] += sg->led.eval;
		c->bucket[TM_B_STALL] += sg->led.stall;
		if (!isnan(sg->led.recovery_before) && sg->led.recovery_before > 0)
			c->bucket[TM_B_RECOVERY] += sg->led.recovery_before;
	}
	if (!timed) {
		c->wall_why = "a segment's steps have no time";
		c->bucket[TM_B_STARTUP] = c->bucket[TM_B_RECOVERY] = c->bucket[TM_B_STALL] = NAN;
		c->bucket[TM_B_OTHER] = NAN;
		why(c, TM_B_OTHER, "needs the wall time", NULL);
	} else {
		c->wall = end - start;
		double sum = 0;
		for (int b = 0; b < TM_B_OTHER; b++)
			sum += c->bucket[b];
		c->bucket[TM_B_OTHER] = c->wall - sum;
		if (isnan(sum)) {
			why(c, TM_B_OTHER, "needs every other bucket", NULL);
		} else if (c->bucket[TM_B_OTHER] < -1e-6) {
			char w[120];
			snprintf(w, sizeof(w), "the buckets exceed the wall time by %.3f s (segments overlap in time, or "
				 "timers longer than the times between lines)", -c->bucket[TM_B_OTHER]);
			snprintf(c->why[TM_B_OTHER], sizeof(c->why[TM_B_OTHER]), "%s", w);
			c->bucket[TM_B_OTHER] = NAN;
		} else if (c->bucket[TM_B_OTHER] < 0) {
			c->bucket[TM_B_OTHER] = 0;
		}
	}
	c->goodput = c->bucket[TM_B_PRODUCTIVE] / c->wall;
	c->gpus = c->mfu = NAN;
	for (size_t i = n; i-- > 0;) {
		const struct tm_segment *sg = &segs[c->segs[i]];
		if (isnan(c->gpus))
			c->gpus = sg->gpus;
		if (isnan(c->mfu))
			c->mfu = sg->mfu;
	}
	c->effective_mfu = c->mfu * c->goodput;
	tokens(c, segs);
	memset(c->by_category, 0, sizeof(c->by_category));
	c->interruptions = c->nrecur = 0;
	free(c->recur);
	c->recur = NULL;
	interruptions(c, segs, timed);
}


size_t tm_chain_same_cause(const struct tm_chain *c, const struct tm_segment *segs, size_t *which)
{
	size_t best = 0;
	for (size_t i = 0; i < c->nsegs; i++) {
		const struct tm_segment *a = &segs[c->segs[i]];
		if (!counts(a))
			continue;
		size_t n = 0;          /* segments up to i with a's cause: i is the group's latest */
		for (size_t j = 0; j <= i; j++) {
			const struct tm_segment *b = &segs[c->segs[j]];
			n += j == i || (counts(b) && tm_interrupt_same_cause(&a->intr, &b->intr));
		}
		if (n > best || (n == best && n)) {
			best = n;
			if (which)
				*which = c->segs[i];
		}
	}
	return best;
}

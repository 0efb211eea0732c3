/* livechain.c: watch's chains, kept live (livechain.h).
 *
 * One segment per followed file that has said something (steps or events), made again from its
 * run when new lines came; grouping and the ledger are chain.c's and ledger.c's, run over all of
 * them whenever one changed, exactly as `analyze` runs them over finished files, so a replay of
 * the same logs gives the same figures. Each chain's counters hold the highest value each bucket
 * has had (see tm_chain_counters); a chain is known by its name (its first segment's file stem,
 * or the --chain / --chain-by / --chain-param key), which is what the counters and the state file
 * go by. Owns its segments, counters and copies of the options; never prints.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/livechain.h"
#include "trainmon/xalloc.h"
#include "banned.h"

struct seg_info {
	int live;                    /* its file is followed (0: gone, kept for its chain) */
	size_t chain;                /* index into counters as of the last compute; SIZE_MAX none */
	size_t chain_len;            /* segments of that chain then */
};

struct tm_livechain {
	struct tm_chain_opts o;      /* name and by_regex owned copies */
	struct tm_segment *segs;     /* owned, nsegs */
	struct seg_info *info;       /* owned, nsegs */
	size_t nsegs, capsegs, capinfo;
	struct tm_chain_counters *c; /* owned, nc */
	size_t nc, capc;
	int dirty;                   /* a segment changed since the last compute */
};

struct tm_livechain *tm_livechain_new(const struct tm_chain_opts *o)
{
	struct tm_livechain *lc = tm_xcalloc(1, sizeof(*lc));
	lc->o = *o;
	lc->o.singles = 1;
	lc->o.name = o->name ? tm_xstrdup(o->name) : NULL;
	lc->o.by_regex = o->by_regex ? tm_xstrdup(o->by_regex) : NULL;
	return lc;
}

void tm_livechain_free(struct tm_livechain *lc)
{
	if (!lc)
		return;
	for (size_t i = 0; i < lc->nsegs; i++)
		tm_segment_release(&lc->segs[i]);
	for (size_t i = 0; i < lc->nc; i++)
		free(lc->c[i].name);
	free(lc->segs);
	free(lc->info);
	free(lc->c);
	free((char *)(uintptr_t)lc->o.name);
	free((char *)(uintptr_t)lc->o.by_regex);
	free(lc);
}

static size_t seg_find(const struct tm_livechain *lc, const char *path)
{
	for (size_t i = 0; i < lc->nsegs; i++)
		if (strcmp(lc->segs[i].file, path) == 0)
			return i;
	return SIZE_MAX;
}

static void seg_drop(struct tm_livechain *lc, size_t i)
{
	tm_segment_release(&lc->segs[i]);
	memmove(lc->segs + i, lc->segs + i + 1, (lc->nsegs - i - 1) * sizeof(*lc->segs));
	memmove(lc->info + i, lc->info + i + 1, (lc->nsegs - i - 1) * sizeof(*lc->info));
	lc->nsegs--;
	lc->dirty = 1;
}

void tm_livechain_update(struct tm_livechain *lc, const struct tm_run *r, const struct tm_summary *s)
{
	size_t i = seg_find(lc, r->file);
	if (!r->nsteps && !r->nevents) {          /* as analyze: a file that said nothing is no segment */
		if (i != SIZE_MAX)
			seg_drop(lc, i);
		return;
	}
	if (i == SIZE_MAX) {
		i = lc->nsegs++;
		tm_xgrow((void **)&lc->segs, &lc->capsegs, lc->nsegs, sizeof(*lc->segs));
		tm_xgrow((void **)&lc->info, &lc->capinfo, lc->nsegs, sizeof(*lc->info));
		lc->info[i] = (struct seg_info){ .chain = SIZE_MAX };
	} else {
		tm_segment_release(&lc->segs[i]);
	}
	tm_segment_from_run(&lc->segs[i], r, s, lc->o.by_param);
	lc->info[i].live = 1;
	lc->dirty = 1;
}

void tm_livechain_gone(struct tm_livechain *lc, const char *path)
{
	size_t i = seg_find(lc, path);
	if (i == SIZE_MAX)
		return;
	if (lc->info[i].chain_len >= 2)
		lc->info[i].live = 0;
	else
		seg_drop(lc, i);
}

static size_t counters_find(const struct tm_livechain *lc, const char *name)
{
	for (size_t i = 0; i < lc->nc; i++)
		if (strcmp(lc->c[i].name, name) == 0)
			return i;
	return SIZE_MAX;
}

static struct tm_chain_counters *counters_get(struct tm_livechain *lc, const char *name)
{
	size_t i = counters_find(lc, name);
	if (i != SIZE_MAX)
		return &lc->c[i];
	tm_xgrow((void **)&lc->c, &lc->capc, lc->nc + 1, sizeof(*lc->c));
	struct tm_chain_counters *k = &lc->c[lc->nc++];
	memset(k, 0, sizeof(*k));
	k->name = tm_xstrdup(name);
	for (int b = 0; b < TM_B_N; b++)
		k->bucket[b] = NAN;
	k->tokens = NAN;
	return k;
}

void tm_livechain_restore(struct tm_livechain *lc, const struct tm_chain_counters *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct tm_chain_counters *k = counters_get(lc, v[i].name);
		char *name = k->name;
		*k = v[i];
		k->name = name;
		k->segments = k->recurrence = 0;
	}
}

/* A counter goes up to v, never down; an unknown v changes nothing. */
static void ratchet(double *counter, double v)
{
	if (!isnan(v) && (isnan(*counter) || v > *counter))
		*counter = v;
}

static void recurring_note(const struct tm_chain_counters *k, const struct tm_segment *sg, size_t n,
			   tm_livechain_note_fn note, void *ctx)
{
	const struct tm_interruption *in = &sg->intr;
	double step = !isnan(in->initiating_step) ? in->initiating_step : in->last_step;
	char where[160] = "";
	if (!isnan(step))
		snprintf(where, sizeof(where), " at step %.0f", step);
	if (in->host[0])
		snprintf(where + strlen(where), sizeof(where) - strlen(where), " on %s", in->host);
	char msg[600];
	snprintf(msg, sizeof(msg), "chain %s: %s%s again in %s: %zu interruptions with the same cause", k->name,
		 tm_event_kind_name(in->initiating), where, sg->file, n);
	note(ctx, msg);
}

void tm_livechain_compute(struct tm_livechain *lc, tm_livechain_note_fn note, void *ctx)
{
	if (!lc->dirty)
		return;
	lc->dirty = 0;
	struct tm_chain *ch = NULL;
	char err[300];
	long n = tm_chains_build(lc->segs, lc->nsegs, &lc->o, &ch, err, sizeof(err));
	n = n < 0 ? 0 : n;                         /* the --chain-by regex was checked at start */
	for (size_t i = 0; i < lc->nc; i++)
		lc->c[i].segments = 0;
	for (long j = 0; j < n; j++) {
		const struct tm_chain *c = &ch[j];
		struct tm_chain_counters *k = counters_get(lc, c->name);
		k->segments = c->nsegs;
		for (int b = 0; b < TM_B_N; b++)
			ratchet(&k->bucket[b], c->bucket[b]);
		ratchet(&k->tokens, c->tokens_done);
		for (int cat = 0; cat < TM_IC_N; cat++)
			if (c->by_category[cat] > k->interruptions[cat])
				k->interruptions[cat] = c->by_category[cat];
		size_t which = 0, r = tm_chain_same_cause(c, lc->segs, &which);
		if (r >= 2 && r > k->recurrence && note)
			recurring_note(k, &lc->segs[which], r, note, ctx);
		k->recurrence = r;
	}
	/* chains no segment belongs to any more (their files gone, or a restart's that did not come
	 * back) leave, with their series */
	size_t kept = 0;
	for (size_t i = 0; i < lc->nc; i++) {
		if (lc->c[i].segments)
			lc->c[kept++] = lc->c[i];
		else
			free(lc->c[i].name);
	}
	lc->nc = kept;
	for (size_t i = 0; i < lc->nsegs; i++)
		lc->info[i].chain = SIZE_MAX, lc->info[i].chain_len = 0;
	for (long j = 0; j < n; j++) {
		size_t k = counters_find(lc, ch[j].name);
		for (size_t i = 0; i < ch[j].nsegs; i++)
			lc->info[ch[j].segs[i]] = (struct seg_info){ lc->info[ch[j].segs[i]].live, k, ch[j].nsegs };
	}
	/* a gone segment whose chain no longer needs it (regrouped alone) goes */
	for (size_t i = lc->nsegs; i-- > 0;)
		if (!lc->info[i].live && lc->info[i].chain_len < 2)
			seg_drop(lc, i);   /* its chain of one leaves at the next compute */
	tm_chains_free(ch, (size_t)n);
}

const char *tm_livechain_chain_of(const struct tm_livechain *lc, const char *path)
{
	size_t i = seg_find(lc, path);
	return i != SIZE_MAX && lc->info[i].chain < lc->nc ? lc->c[lc->info[i].chain].name : NULL;
}

const struct tm_chain_counters *tm_livechain_counters(const struct tm_livechain *lc, size_t *n)
{
	*n = lc->nc;
	return lc->c;
}

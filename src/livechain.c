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

#define TM_LIVECHAIN_GONE_MAX 512    /* segments of files no longer followed, kept for their chains */

struct seg_info {
	const void *key;             /* borrowed identity of its followed file; NULL once gone (then
				       kept while its chain needs it) */
	size_t chain;                /* index into counters as of the last compute; SIZE_MAX none */
	size_t chain_len;            /* segments of that chain then */
	uint64_t gone_seq;           /* order in which files went (for the cap) */
};

struct offset {                      /* what dropped segments contributed to a chain's ledger */
	double bucket[TM_B_N], tokens;
	int64_t intr[TM_IC_N];
};

struct tm_livechain {
	struct tm_chain_opts o;      /* name and by_regex owned copies */
	struct tm_segment *segs;     /* owned, nsegs */
	struct seg_info *info;       /* owned, nsegs */
	size_t nsegs, capsegs, capinfo;
	struct tm_chain_counters *c; /* owned, nc */
	struct offset *off;          /* owned, nc: beside c */
	size_t nc, capc, capoff;
	uint64_t gone_seq;           /* files gone so far */
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
	free(lc->off);
	free((char *)(uintptr_t)lc->o.name);
	free((char *)(uintptr_t)lc->o.by_regex);
	free(lc);
}

static size_t seg_find(const struct tm_livechain *lc, const void *key)
{
	for (size_t i = 0; i < lc->nsegs; i++)
		if (lc->info[i].key == key)
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

void tm_livechain_update(struct tm_livechain *lc, const void *key, const struct tm_run *r,
			 const struct tm_summary *s)
{
	size_t i = seg_find(lc, key);
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
		tm_segment_from_run(&lc->segs[i], r, s, lc->o.by_param);
	} else {
		tm_segment_refresh(&lc->segs[i], r, s, lc->o.by_param);   /* copies only what is new */
	}
	lc->info[i].key = key;
	lc->dirty = 1;
}

void tm_livechain_gone(struct tm_livechain *lc, const void *key)
{
	size_t i = seg_find(lc, key);
	if (i == SIZE_MAX)
		return;
	lc->info[i].key = NULL;
	lc->info[i].gone_seq = ++lc->gone_seq;
	lc->dirty = 1;
}

static size_t counters_find(const struct tm_livechain *lc, const char *name)
{
	for (size_t i = 0; i < lc->nc; i++)
		if (strcmp(lc->c[i].name, name) == 0)
			return i;
	return SIZE_MAX;
}

static size_t counters_get(struct tm_livechain *lc, const char *name)
{
	size_t i = counters_find(lc, name);
	if (i != SIZE_MAX)
		return i;
	tm_xgrow((void **)&lc->c, &lc->capc, lc->nc + 1, sizeof(*lc->c));
	tm_xgrow((void **)&lc->off, &lc->capoff, lc->nc + 1, sizeof(*lc->off));
	struct tm_chain_counters *k = &lc->c[lc->nc];
	memset(k, 0, sizeof(*k));
	memset(&lc->off[lc->nc], 0, sizeof(*lc->off));
	k->name = tm_xstrdup(name);
	for (int b = 0; b < TM_B_N; b++)
		k->bucket[b] = NAN;
	k->tokens = NAN;
	return lc->nc++;
}

void tm_livechain_restore(struct tm_livechain *lc, const struct tm_chain_counters *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t idx = counters_get(lc, v[i].name);   /* may move lc->c */
		struct tm_chain_counters *k = &lc->c[idx];
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

/* A chain keeps the name it had: the name of the chain its first segment (in chain order) that
 * was in one at the last compute was in, unless another chain took that name first (a split).
 * Without this a chain would be renamed when its first job's log leaves, and its counters with it. */
static void stable_names(const struct tm_livechain *lc, struct tm_chain *ch, long n)
{
	unsigned char *taken = tm_xcalloc(lc->nc + 1, 1);
	for (long j = 0; j < n; j++)
		for (size_t i = 0; i < ch[j].nsegs; i++) {
			size_t p = lc->info[ch[j].segs[i]].chain;
			if (p >= lc->nc || taken[p])
				continue;
			taken[p] = 1;
			free(ch[j].name);
			ch[j].name = tm_xstrdup(lc->c[p].name);
			break;
		}
	free(taken);
}

/* The chains' values into their counters: offset (what segments dropped earlier contributed) plus
 * the ledger, never lower than before. */
static void account(struct tm_livechain *lc, const struct tm_chain *ch, long n, tm_livechain_note_fn note, void *ctx)
{
	for (size_t i = 0; i < lc->nc; i++)
		lc->c[i].segments = 0;
	for (long j = 0; j < n; j++) {
		const struct tm_chain *c = &ch[j];
		size_t idx = counters_get(lc, c->name);
		struct tm_chain_counters *k = &lc->c[idx];
		const struct offset *o = &lc->off[idx];
		k->segments = c->nsegs;
		for (int b = 0; b < TM_B_N; b++)
			ratchet(&k->bucket[b], o->bucket[b] + c->bucket[b]);
		ratchet(&k->tokens, o->tokens + c->tokens_done);
		for (int cat = 0; cat < TM_IC_N; cat++) {
			int64_t v = o->intr[cat] + (int64_t)c->by_category[cat];
			if (v > 0 && (uint64_t)v > k->interruptions[cat])
				k->interruptions[cat] = (uint64_t)v;
		}
		size_t which = 0, r = tm_chain_same_cause(c, lc->segs, &which);
		if (r >= 2 && r > k->recurrence && note)
			recurring_note(k, &lc->segs[which], r, note, ctx);
		k->recurrence = r;
	}
}

/* Counters no chain has now leave (their files gone, or a restart's chain that did not come
 * back), with their series; each segment learns its chain. */
static void assign(struct tm_livechain *lc, const struct tm_chain *ch, long n)
{
	size_t kept = 0;
	for (size_t i = 0; i < lc->nc; i++) {
		if (lc->c[i].segments) {
			lc->off[kept] = lc->off[i];
			lc->c[kept++] = lc->c[i];
		} else {
			free(lc->c[i].name);
		}
	}
	lc->nc = kept;
	for (size_t i = 0; i < lc->nsegs; i++)
		lc->info[i].chain = SIZE_MAX, lc->info[i].chain_len = 0;
	for (long j = 0; j < n; j++) {
		size_t k = counters_find(lc, ch[j].name);
		for (size_t i = 0; i < ch[j].nsegs; i++) {
			lc->info[ch[j].segs[i]].chain = k;
			lc->info[ch[j].segs[i]].chain_len = ch[j].nsegs;
		}
	}
}

static long build(struct tm_livechain *lc, struct tm_chain **ch)
{
	char err[300];
	long n = tm_chains_build(lc->segs, lc->nsegs, &lc->o, ch, err, sizeof(err));
	n = n < 0 ? 0 : n;                         /* the --chain-by regex was checked at start */
	stable_names(lc, *ch, n);
	return n;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Marks (drop = 1) the gone segments to let go: those no chain of two or more holds, and past
 * TM_LIVECHAIN_GONE_MAX the ones gone longest. Returns 1 when one of a chain of two or more is
 * among them (its contribution must be folded into the offsets). */
static int pick_drops(struct tm_livechain *lc, unsigned char *drop)
{
	size_t ngone = 0;
	for (size_t i = 0; i < lc->nsegs; i++)
		ngone += !lc->info[i].key;
	uint64_t oldest_kept = 0;
	if (ngone > TM_LIVECHAIN_GONE_MAX) {
		uint64_t *seq = tm_xcalloc(ngone, sizeof(*seq));
		size_t k = 0;
		for (size_t i = 0; i < lc->nsegs; i++)
			if (!lc->info[i].key)
				seq[k++] = lc->info[i].gone_seq;
		qsort(seq, ngone, sizeof(*seq), cmp_u64);
		oldest_kept = seq[ngone - TM_LIVECHAIN_GONE_MAX];
		free(seq);
	}
	int fold = 0;
	for (size_t i = 0; i < lc->nsegs; i++) {
		const struct seg_info *in = &lc->info[i];
		drop[i] = !in->key && (in->chain_len < 2 || in->gone_seq < oldest_kept);
		fold |= drop[i] && in->chain_len >= 2;
	}
	return fold;
}

static void chain_add(struct offset *o, const struct tm_chain *c, int sign)
{
	for (int b = 0; b < TM_B_N; b++)
		if (!isnan(c->bucket[b]))
			o->bucket[b] += sign * c->bucket[b];
	if (!isnan(c->tokens_done))
		o->tokens += sign * c->tokens_done;
	for (int k = 0; k < TM_IC_N; k++)
		o->intr[k] += sign * (int64_t)c->by_category[k];
}

int tm_livechain_compute(struct tm_livechain *lc, tm_livechain_note_fn note, void *ctx)
{
	if (!lc->dirty)
		return 0;
	lc->dirty = 0;
	struct tm_chain *ch = NULL;
	long n = build(lc, &ch);
	account(lc, ch, n, note, ctx);
	assign(lc, ch, n);
	unsigned char *drop = tm_xcalloc(lc->nsegs + 1, 1);
	int fold = pick_drops(lc, drop);
	/* dropping a segment a chain of two or more holds would lower its ledger: what the chain
	 * had with it minus what it has without goes into the chain's offset, so the counters go on
	 * counting only what comes next */
	if (fold)
		for (long j = 0; j < n; j++)
			chain_add(&lc->off[counters_find(lc, ch[j].name)], &ch[j], 1);
	tm_chains_free(ch, (size_t)n);
	for (size_t i = lc->nsegs; i-- > 0;)
		if (drop[i])
			seg_drop(lc, i);
	free(drop);
	if (fold) {
		n = build(lc, &ch);
		for (long j = 0; j < n; j++) {
			size_t idx = counters_get(lc, ch[j].name);   /* may move lc->off */
			chain_add(&lc->off[idx], &ch[j], -1);
		}
		account(lc, ch, n, NULL, NULL);
		assign(lc, ch, n);
		tm_chains_free(ch, (size_t)n);
		lc->dirty = 0;
	}
	return 1;
}

const char *tm_livechain_chain_of(const struct tm_livechain *lc, const void *key)
{
	size_t i = seg_find(lc, key);
	return i != SIZE_MAX && lc->info[i].chain < lc->nc ? lc->c[lc->info[i].chain].name : NULL;
}

void tm_livechain_each(const struct tm_livechain *lc, void (*fn)(void *ctx, const void *key, const char *name),
		       void *ctx)
{
	for (size_t i = 0; i < lc->nsegs; i++)
		if (lc->info[i].key)
			fn(ctx, lc->info[i].key, lc->info[i].chain < lc->nc ? lc->c[lc->info[i].chain].name : NULL);
}

const struct tm_chain_counters *tm_livechain_counters(const struct tm_livechain *lc, size_t *n)
{
	*n = lc->nc;
	return lc->c;
}

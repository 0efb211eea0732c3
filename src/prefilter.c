/* prefilter.c: which rules a record may match, from their literals (see prefilter.h).
 *
 * every distinct rule literal of 4+ bytes is represented by one of its 4-byte windows
 * (the one most likely to be rare: it crosses a word boundary), hashed into a 64 KiB table of
 * flags. A record is scanned once, several windows per 8-byte load; when every literal has 5+
 * bytes only even positions are hashed (each literal then enters two adjacent windows). A set
 * flag is verified exactly (the window, then the literal's bytes a word at a time) against the
 * few literals of that hash (a direct table gives the first), so a record yields exactly the rules whose literal it
 * holds, and most log lines cost about one hash per two bytes and nothing else. Shorter literals
 * are searched with memmem. No per-record allocation. Built once per ruleset; never changed after.
 * Needles (fields' prefixes of 5+ bytes) are literals of no rule or of some: a verified needle
 * only notes its first offset in the record, for match.c to read the field there.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/xalloc.h"
#include "trainmon/prefilter.h"
#include "banned.h"

#define TM_GRAM_LOG2 16                  /* 2^16 one-byte flags: 64 KiB, one load per window */
#define TM_GRAM_BITS (1u << TM_GRAM_LOG2)
#define TM_HASH_MUL 2654435761u          /* Knuth's multiplicative hash */

struct tm_lit {                          /* one distinct literal; what a hit compares first */
	uint32_t hash;                   /* of the hashed window */
	uint32_t win;                    /* that window's bytes, loaded as the scan loads them */
	uint32_t needle;                 /* its needle number, or TM_NO_NEEDLE */
	size_t len;
	size_t off;                      /* offset of the hashed window in the literal */
	const char *p;                   /* borrowed from a rule of the ruleset */
	uint32_t *rules;                 /* owned: rules that use this literal */
	size_t nrules;
};

struct tm_prefilter {
	uint8_t grams[TM_GRAM_BITS];     /* 1 where some literal's window hashes */
	struct tm_lit *lits;             /* owned, literals of 4+ bytes, sorted by hash; with stride 2
					    each literal has two entries (windows at off and off + 1) */
	size_t nlits, caplits;
	unsigned stride;                 /* 2 when every literal has 5+ bytes: only even positions
					    are hashed; else 1 */
	struct tm_lit *shorts;           /* owned, literals of 1-3 bytes: memmem on every record
	                                    (slow; `rules check` warns about them) */
	size_t nshorts, capshorts;
	uint32_t *first;                 /* owned, TM_GRAM_BITS: hash -> its first literal in lits
					    (read only where grams is set) */
	uint32_t *always;                /* owned: rules with no literal, run on every record */
	uint32_t nalways;
	uint32_t nneedles;
};

void tm_prefilter_free(struct tm_prefilter *ac)
{
	if (!ac)
		return;
	for (size_t i = 0; i < ac->nlits; i++)
		free(ac->lits[i].rules);
	for (size_t i = 0; i < ac->nshorts; i++)
		free(ac->shorts[i].rules);
	free(ac->lits);
	free(ac->first);
	free(ac->shorts);
	free(ac->always);
	free(ac);
}

/* Mid-word windows ("tion", "memo") are common in any text; a window that crosses a word
 * boundary (letter <-> space or punctuation) is likelier to be rare, then upper case and
 * punctuation beat lower case and spaces. */
static int byte_class(unsigned char c)
{
	return (c >= 'a' && c <= 'z') ? 0 : (c >= 'A' && c <= 'Z') ? 1 : (c >= '0' && c <= '9') ? 2 : c == ' ' ? 3 : 4;
}

static uint32_t gram_hash(const unsigned char *p, unsigned gram)
{
	uint32_t x = 0;
	for (unsigned k = 0; k < gram; k++)
		x |= (uint32_t)p[k] << (8 * k);
	return (x * TM_HASH_MUL) >> (32 - TM_GRAM_LOG2);
}

static int gram_score(const unsigned char *u)
{
	static const int rarity[5] = { 1, 2, 1, 0, 2 };
	int sc = 0;
	for (size_t k = 0; k < 4; k++) {
		sc += rarity[byte_class(u[k])];
		if (k && byte_class(u[k]) != byte_class(u[k - 1]))
			sc += 4;
	}
	return sc;
}

/* The offset of the literal's best window of `grams` consecutive 4-grams (1, or 2 when sampling
 * every other position): the one whose weakest 4-gram is strongest, since any of them may be
 * the one the scan lands on. */
static size_t best_window(const unsigned char *u, size_t n, unsigned grams)
{
	size_t best = 0;
	int bestmin = -1, bestsum = -1;
	for (size_t j = 0; j + 4 + grams - 1 <= n; j++) {
		int mn = 1 << 30, sum = 0;
		for (unsigned g = 0; g < grams; g++) {
			int sc = gram_score(u + j + g);
			mn = sc < mn ? sc : mn;
			sum += sc;
		}
		if (mn > bestmin || (mn == bestmin && sum > bestsum))
			bestmin = mn, bestsum = sum, best = j;
	}
	return best;
}

static int cmp_lit_hash(const void *a, const void *b)
{
	const struct tm_lit *x = a, *y = b;
	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

/* Finds or adds literal (p, n) in *v; returns its entry. */
static struct tm_lit *lit_entry(struct tm_lit **v, size_t *nv, size_t *cap, const char *p, size_t n)
{
	for (size_t k = 0; k < *nv; k++)
		if ((*v)[k].len == n && memcmp((*v)[k].p, p, n) == 0)
			return &(*v)[k];
	tm_xgrow((void **)v, cap, *nv + 1, sizeof(**v));
	struct tm_lit *t = &(*v)[(*nv)++];
	memset(t, 0, sizeof(*t));
	t->p = p;
	t->len = n;
	t->needle = TM_NO_NEEDLE;
	return t;
}

struct tm_prefilter *tm_prefilter_new(size_t nrules)
{
	struct tm_prefilter *ac = tm_xcalloc(1, sizeof(*ac));
	ac->always = tm_xcalloc(nrules + 1, sizeof(*ac->always));
	return ac;
}

void tm_prefilter_always(struct tm_prefilter *ac, uint32_t rule)
{
	ac->always[ac->nalways++] = rule;
}

void tm_prefilter_add(struct tm_prefilter *ac, uint32_t rule, const char *lit, size_t n)
{
	struct tm_lit *t = n < 4 ? lit_entry(&ac->shorts, &ac->nshorts, &ac->capshorts, lit, n)
				 : lit_entry(&ac->lits, &ac->nlits, &ac->caplits, lit, n);
	if (t->nrules == 0 || t->rules[t->nrules - 1] != rule) {
		t->rules = tm_xrealloc(t->rules, (t->nrules + 1) * sizeof(*t->rules));
		t->rules[t->nrules++] = rule;
	}
}

uint32_t tm_prefilter_needle(struct tm_prefilter *ac, const char *lit, size_t n)
{
	if (n < 5)
		return TM_NO_NEEDLE;
	struct tm_lit *t = lit_entry(&ac->lits, &ac->nlits, &ac->caplits, lit, n);
	if (t->needle == TM_NO_NEEDLE)
		t->needle = ac->nneedles++;
	return t->needle;
}

size_t tm_prefilter_needles(const struct tm_prefilter *ac)
{
	return ac->nneedles;
}

void tm_prefilter_done(struct tm_prefilter *ac)
{
	/* Sampling: when every literal has 5+ bytes, hash only even positions. A literal occurrence
	 * then always has one of two consecutive windows (off, off + 1) at an even position, so each
	 * literal is entered twice, with a 5-byte best window split into two 4-grams. */
	size_t minlen = SIZE_MAX;
	for (size_t i = 0; i < ac->nlits; i++)
		if (ac->lits[i].len < minlen)
			minlen = ac->lits[i].len;
	ac->stride = ac->nlits && minlen >= 5 ? 2 : 1;
	size_t n = ac->nlits;
	if (ac->stride == 2)
		tm_xgrow((void **)&ac->lits, &ac->caplits, 2 * n, sizeof(*ac->lits));
	for (size_t i = 0; i < n; i++) {
		struct tm_lit *t = &ac->lits[i];
		t->off = best_window((const unsigned char *)t->p, t->len, ac->stride);
		t->hash = gram_hash((const unsigned char *)t->p + t->off, 4);
		memcpy(&t->win, t->p + t->off, 4);
		ac->grams[t->hash] = 1;
		if (ac->stride == 2) {
			struct tm_lit *u = &ac->lits[n + i];
			*u = *t;
			u->rules = NULL;         /* a needle alone has no rules */
			if (t->nrules) {
				u->rules = tm_xmalloc(t->nrules * sizeof(*u->rules));
				memcpy(u->rules, t->rules, t->nrules * sizeof(*u->rules));
			}
			u->off = t->off + 1;
			u->hash = gram_hash((const unsigned char *)u->p + u->off, 4);
			memcpy(&u->win, u->p + u->off, 4);
			ac->grams[u->hash] = 1;
		}
	}
	ac->nlits = n * ac->stride;
	if (ac->nlits)
		qsort(ac->lits, ac->nlits, sizeof(*ac->lits), cmp_lit_hash);
	ac->first = tm_xcalloc(TM_GRAM_BITS, sizeof(*ac->first));
	for (size_t i = ac->nlits; i-- > 0;)
		ac->first[ac->lits[i].hash] = (uint32_t)i;
}


/* Adds rule r to the record's candidates once. */
static inline void candidate(struct tm_cands *m, size_t *nc, uint32_t r)
{
	if (m->seen[r] != m->gen) {
		m->seen[r] = m->gen;
		m->cand[(*nc)++] = r;
	}
}

/* a[0, len) == b[0, len) for len >= 4, without a call: words from both ends inwards, the last
 * one first (literals sharing a window differ mostly at an end: "time_" "time=" "time:" in a
 * line's "time "). */
static inline int same_bytes(const unsigned char *a, const unsigned char *b, size_t len)
{
	if (len < 8) {
		uint32_t x0, y0, x1, y1;
		memcpy(&x0, a, 4);
		memcpy(&y0, b, 4);
		memcpy(&x1, a + len - 4, 4);
		memcpy(&y1, b + len - 4, 4);
		return ((x0 ^ y0) | (x1 ^ y1)) == 0;
	}
	uint64_t x, y;
	memcpy(&x, a + len - 8, 8);
	memcpy(&y, b + len - 8, 8);
	if (x != y)
		return 0;
	for (size_t j = 0; j + 8 < len; j += 8) {
		memcpy(&x, a + j, 8);
		memcpy(&y, b + j, 8);
		if (x != y)
			return 0;
	}
	return 1;
}

/* Window positions whose flag is set, noted by the scan without a branch each and verified
 * together: one call per TM_HITS of them, not one per hit. */
#define TM_HITS 64

/* A set flag at window position i: verify the literals of that hash exactly. */
static inline void verify1(const struct tm_prefilter *ac, struct tm_cands *m, size_t *nc, const unsigned char *p,
			   size_t n, size_t i)
{
	uint32_t win;
	memcpy(&win, p + i, 4);
	uint32_t h = gram_hash(p + i, 4);
	for (size_t lo = ac->first[h]; lo < ac->nlits && ac->lits[lo].hash == h; lo++) {
		const struct tm_lit *t = &ac->lits[lo];
		if (win != t->win)
			continue;               /* another window with the same hash */
		if (i < t->off || i - t->off + t->len > n)
			continue;
		const unsigned char *at = p + i - t->off;
		if (!same_bytes(at, (const unsigned char *)t->p, t->len))
			continue;
		if (t->needle != TM_NO_NEEDLE) {
			/* the first occurrence: one at q may be seen from window q + off + 1 after one at
			 * q + 1 from window q + 1 + off, at the same position */
			size_t q = i - t->off;
			if (m->nseen[t->needle] != m->gen || q < m->npos[t->needle]) {
				m->nseen[t->needle] = m->gen;
				m->npos[t->needle] = q;
			}
		}
		for (size_t k = 0; k < t->nrules; k++)
			candidate(m, nc, t->rules[k]);
	}
}

/* The set flags at window positions pos[0, k): verify the literals of their hashes exactly. */
static void verify(const struct tm_prefilter *ac, struct tm_cands *m, size_t *nc, const unsigned char *p,
		   size_t n, const uint32_t *pos, size_t k)
{
	for (size_t j = 0; j < k; j++)
		verify1(ac, m, nc, p, n, pos[j]);
}

size_t tm_prefilter_scan(const struct tm_prefilter *ac, struct tm_cands *m, const unsigned char *p, size_t n)
{
	size_t nc = 0;
	const uint8_t *gr = ac->grams;
	uint32_t pos[TM_HITS];
	size_t k = 0, i = 0, len = n;
	if (n > UINT32_MAX)
		n = UINT32_MAX;                 /* window positions are 32-bit (records are cut at
					   --line-max, far shorter); the short literals see all */
	if (ac->stride == 2) {
		/* even positions: three windows (0, 2, 4) per 8-byte load */
		for (; i + 8 <= n; i += 6) {
			uint64_t w;
			memcpy(&w, p + i, 8);
			uint32_t h0 = ((uint32_t)w * TM_HASH_MUL) >> (32 - TM_GRAM_LOG2);
			uint32_t h1 = ((uint32_t)(w >> 16) * TM_HASH_MUL) >> (32 - TM_GRAM_LOG2);
			uint32_t h2 = ((uint32_t)(w >> 32) * TM_HASH_MUL) >> (32 - TM_GRAM_LOG2);
			unsigned b0 = gr[h0], b1 = gr[h1];
			unsigned b2 = gr[h2];
			if (!(b0 | b1 | b2))
				continue;
			pos[k] = (uint32_t)i, k += b0;
			pos[k] = (uint32_t)i + 2, k += b1;
			pos[k] = (uint32_t)i + 4, k += b2;
			if (k > TM_HITS - 4)
				verify(ac, m, &nc, p, n, pos, k), k = 0;
		}
		for (; i + 4 <= n; i += 2)
			if (gr[gram_hash(p + i, 4)])
				pos[k++] = (uint32_t)i;
	} else {
		/* four windows per 8-byte load and one branch: independent lookups keep the core busy */
		for (; i + 8 <= n; i += 4) {
			uint64_t w;
			memcpy(&w, p + i, 8);       /* windows as little-endian integers, as gram_hash() */
			uint32_t h0 = ((uint32_t)w * TM_HASH_MUL) >> (32 - TM_GRAM_LOG2);
			uint32_t h1 = ((uint32_t)(w >> 8) * TM_HASH_MUL) >> (32 - TM_GRAM_LOG2);
			uint32_t h2 = ((uint32_t)(w >> 16) * TM_HASH_MUL) >> (32 - TM_GRAM_LOG2);
			uint32_t h3 = ((uint32_t)(w >> 24) * TM_HASH_MUL) >> (32 - TM_GRAM_LOG2);
			unsigned b0 = gr[h0], b1 = gr[h1];
			unsigned b2 = gr[h2], b3 = gr[h3];
			if (!(b0 | b1 | b2 | b3))
				continue;
			pos[k] = (uint32_t)i, k += b0;
			pos[k] = (uint32_t)i + 1, k += b1;
			pos[k] = (uint32_t)i + 2, k += b2;
			pos[k] = (uint32_t)i + 3, k += b3;
			if (k > TM_HITS - 5)
				verify(ac, m, &nc, p, n, pos, k), k = 0;
		}
	}
	for (; i + 4 <= n; i++) {
		if (k == TM_HITS)
			verify(ac, m, &nc, p, n, pos, k), k = 0;
		if (gr[gram_hash(p + i, 4)])
			pos[k++] = (uint32_t)i;
	}
	verify(ac, m, &nc, p, n, pos, k);
	for (size_t j = 0; j < ac->nshorts; j++) {
		const struct tm_lit *t = &ac->shorts[j];
		if (memmem(p, len, t->p, t->len))
			for (size_t r = 0; r < t->nrules; r++)
				candidate(m, &nc, t->rules[r]);
	}
	m->literal_hit = nc != 0;
	for (uint32_t j = 0; j < ac->nalways; j++)
		candidate(m, &nc, ac->always[j]);
	return nc;
}


/* prefilter.c: which rules a record may match, from their literals (see prefilter.h).
 *
 * every distinct rule literal of 4+ bytes is represented by one of its 4-byte windows
 * (the one most likely to be rare: it crosses a word boundary), hashed into a table of 65 536
 * 16-bit flags, each 0 or the number of its bucket of entries. A record is scanned once, several
 * windows per 8-byte load; when every literal has 5+ bytes only even positions are hashed (each
 * literal then enters two adjacent windows). The hash folds a window x to 16 bits,
 * x ^ (x >> 15): one shift and xor per load serve all its windows, and no multiply (a
 * multiplicative hash, one multiply per window, was bound by the core's one multiply port: 6 %
 * slower on the bench log, though the fold flags an eighth more windows there and a quarter more
 * on mixed real logs, each rejected by one compare). A set flag is verified exactly (the window,
 * then the literal's bytes a word at a time) against the few entries of that hash, found from
 * the flag itself (no second table indexed by hash: that one, 256 KiB, cost a load from the
 * second-level cache per set flag), so a record yields exactly the rules whose literal it holds,
 * and most log lines cost about one hash per two bytes and nothing else. Shorter literals are
 * searched with memmem. No per-record allocation. Built once per ruleset; never changed after.
 * Needles (fields' prefixes of 5+ bytes) are literals of no rule or of some: a verified needle
 * only notes its first offset in the record, for match.c to read the field there.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/xalloc.h"
#include "trainmon/prefilter.h"
#include "banned.h"

/* The scan reads windows out of 64-bit loads as little-endian integers (as gram_hash() builds
 * them) and verifies with masked loads: a big-endian port would need both changed. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "prefilter.c assumes little-endian loads");

#define TM_GRAM_LOG2 16                  /* 2^16 flags: 128 KiB, one load per window */
#define TM_GRAM_BITS (1u << TM_GRAM_LOG2)
/* A window's hash is the low 16 bits of TM_FOLD(x): its bits 0-15 xor its bits 15-30, no bit
 * outside the window, so the windows of one load share one fold of it (bits 8j.. for window j). */
#define TM_FOLD(x) ((x) ^ ((x) >> 15))

struct tm_lit {                          /* one distinct literal */
	uint32_t needle;                 /* its needle number, or TM_NO_NEEDLE */
	size_t len;
	const char *p;                   /* borrowed from a rule of the ruleset */
	uint32_t *rules;                 /* owned: rules that use this literal */
	size_t nrules;
};

/* What a set flag is verified against: a literal seen from one of its windows. A literal has one
 * entry, or two with stride 2 (windows at off and off + 1); entries are grouped by hash. */
struct tm_vent {
	uint64_t head, hmask;            /* the literal's first min(len, 8) bytes as a little-endian
					    load gives them, and which bytes of the load count */
	uint64_t tail;                   /* len > 8: its last 8 bytes */
	uint32_t win;                    /* the window's bytes, loaded as the scan loads them */
	uint32_t off;                    /* offset of the window in the literal */
	uint32_t len;                    /* the literal's bytes (a rule's literal: far below 4 GiB) */
	uint32_t lit;                    /* index into lits */
	uint32_t needle;                 /* the literal's needle number, or TM_NO_NEEDLE */
	uint32_t rule;                   /* its only rule when it has one and is no needle, else
					    TM_NO_RULE: nothing to verify once that rule is a candidate */
};

#define TM_NO_RULE UINT32_MAX

struct tm_prefilter {
	uint16_t grams[TM_GRAM_BITS];    /* 0, or the bucket (from 1) of the entries whose window
					    hashes here: the scan's flag is the verification's index */
	struct tm_lit *lits;             /* owned, literals of 4+ bytes */
	size_t nlits, caplits;
	struct tm_vent *vents;           /* owned, nlits * stride entries sorted by hash */
	uint32_t *bucket;                /* owned: bucket b's entries are vents[bucket[b],
					    bucket[b + 1]), one bucket per hash (the hashes past
					    the 65 535th share the last one: a window compare
					    tells their entries apart) */
	unsigned stride;                 /* 2 when every literal has 5+ bytes: only even positions
					    are hashed; else 1 */
	struct tm_lit *shorts;           /* owned, literals of 1-3 bytes: memmem on every record
	                                    (slow; `rules check` warns about them) */
	size_t nshorts, capshorts;
	uint32_t *always;                /* owned: rules with no literal, run on every record */
	uint32_t nalways;
	uint32_t nneedles;
	unsigned char **dskel;           /* owned: the skeletons of the literals with a digit (each
					    digit made '0'; scan_memo.h), each owned */
	const char **dlit;               /* owned array: those literals (borrowed bytes) */
	size_t *dlen;                    /* owned: their lengths */
	size_t ndskel;
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
	free(ac->vents);
	free(ac->bucket);
	free(ac->shorts);
	free(ac->always);
	for (size_t i = 0; i < ac->ndskel; i++)
		free(ac->dskel[i]);
	free(ac->dskel);
	free(ac->dlit);
	free(ac->dlen);
	free(ac);
}

/* Mid-word windows ("tion", "memo") are common in any text; a window that crosses a word
 * boundary (letter <-> space or punctuation) is likelier to be rare, then upper case and
 * punctuation beat lower case and spaces. */
static int byte_class(unsigned char c)
{
	return (c >= 'a' && c <= 'z') ? 0 : (c >= 'A' && c <= 'Z') ? 1 : (c >= '0' && c <= '9') ? 2 : c == ' ' ? 3 : 4;
}

/* The hash of the 4-byte window at p. */
static uint32_t gram_hash(const unsigned char *p)
{
	uint32_t x = 0;
	for (unsigned k = 0; k < 4; k++)
		x |= (uint32_t)p[k] << (8 * k);
	return TM_FOLD(x) & (TM_GRAM_BITS - 1);
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

static uint64_t load_le(const unsigned char *p, size_t n)   /* n <= 8 bytes, little-endian */
{
	uint64_t x = 0;
	for (size_t k = 0; k < n; k++)
		x |= (uint64_t)p[k] << (8 * k);
	return x;
}

/* The entry of literal t (index lit) seen from its window at offset off. */
static struct tm_vent vent_of(const struct tm_lit *t, uint32_t lit, size_t off)
{
	const unsigned char *u = (const unsigned char *)t->p;
	size_t h = t->len < 8 ? t->len : 8;
	struct tm_vent v = {
		.head = load_le(u, h),
		.hmask = h == 8 ? UINT64_MAX : (UINT64_C(1) << (8 * h)) - 1,
		.tail = t->len > 8 ? load_le(u + t->len - 8, 8) : 0,
		.win = (uint32_t)load_le(u + off, 4),
		.off = (uint32_t)off,
		.len = (uint32_t)t->len,
		.lit = lit,
		.needle = t->needle,
		.rule = t->needle == TM_NO_NEEDLE && t->nrules == 1 ? t->rules[0] : TM_NO_RULE,
	};
	return v;
}

/* The skeleton of every literal that has a digit, for tm_prefilter_digit_probes. */
static void add_digit_skeleton(struct tm_prefilter *ac, const struct tm_lit *t, size_t *cap)
{
	const unsigned char *u = (const unsigned char *)t->p;
	size_t k = 0;
	while (k < t->len && !(u[k] >= '0' && u[k] <= '9'))
		k++;
	if (k == t->len)
		return;
	tm_xgrow((void **)&ac->dskel, cap, ac->ndskel + 1, sizeof(*ac->dskel));
	ac->dlen = tm_xrealloc(ac->dlen, *cap * sizeof(*ac->dlen));
	ac->dlit = tm_xrealloc(ac->dlit, *cap * sizeof(*ac->dlit));
	unsigned char *sk = tm_xmalloc(t->len);
	for (k = 0; k < t->len; k++)
		sk[k] = u[k] >= '0' && u[k] <= '9' ? '0' : u[k];
	ac->dskel[ac->ndskel] = sk;
	ac->dlit[ac->ndskel] = t->p;
	ac->dlen[ac->ndskel++] = t->len;
}

static void digit_skeletons(struct tm_prefilter *ac)
{
	size_t cap = 0;
	for (size_t i = 0; i < ac->nlits; i++)
		add_digit_skeleton(ac, &ac->lits[i], &cap);
	for (size_t i = 0; i < ac->nshorts; i++)
		add_digit_skeleton(ac, &ac->shorts[i], &cap);
}

void tm_prefilter_done(struct tm_prefilter *ac)
{
	/* Sampling: when every literal has 5+ bytes, hash only even positions. A literal occurrence
	 * then always has one of two consecutive windows (off, off + 1) at an even position, so each
	 * literal has two entries, with a 5-byte best window split into two 4-grams. */
	size_t minlen = SIZE_MAX;
	for (size_t i = 0; i < ac->nlits; i++)
		if (ac->lits[i].len < minlen)
			minlen = ac->lits[i].len;
	ac->stride = ac->nlits && minlen >= 5 ? 2 : 1;
	size_t nv = ac->nlits * ac->stride;
	struct tm_vent *v = tm_xcalloc(nv ? nv : 1, sizeof(*v));
	for (size_t i = 0; i < ac->nlits; i++) {
		const struct tm_lit *t = &ac->lits[i];
		size_t off = best_window((const unsigned char *)t->p, t->len, ac->stride);
		for (unsigned k = 0; k < ac->stride; k++)
			v[i * ac->stride + k] = vent_of(t, (uint32_t)i, off + k);
	}
	/* grouped by hash (a counting sort: entries of one hash keep the literals' order) */
	uint32_t *first = tm_xcalloc(TM_GRAM_BITS + 1, sizeof(*first));
	for (size_t e = 0; e < nv; e++)
		first[gram_hash((const unsigned char *)&v[e].win) + 1]++;
	for (size_t h = 0; h < TM_GRAM_BITS; h++)
		first[h + 1] += first[h];
	ac->vents = tm_xcalloc(nv ? nv : 1, sizeof(*ac->vents));
	uint32_t *fill = tm_xcalloc(TM_GRAM_BITS, sizeof(*fill));
	for (size_t e = 0; e < nv; e++) {
		uint32_t h = gram_hash((const unsigned char *)&v[e].win);
		ac->vents[first[h] + fill[h]++] = v[e];
	}
	/* the hashes that have entries, numbered in order */
	size_t used = 0;
	for (size_t h = 0; h < TM_GRAM_BITS; h++)
		used += first[h + 1] > first[h];
	ac->bucket = tm_xcalloc((used < UINT16_MAX ? used : UINT16_MAX) + 2, sizeof(*ac->bucket));
	uint32_t nb = 0;
	for (size_t h = 0; h < TM_GRAM_BITS; h++) {
		if (first[h + 1] == first[h])
			continue;
		if (nb < UINT16_MAX)
			ac->bucket[++nb] = first[h];
		ac->grams[h] = (uint16_t)nb;
		ac->bucket[nb + 1] = first[h + 1];
	}
	free(fill);
	free(first);
	free(v);
	digit_skeletons(ac);
}

size_t tm_prefilter_digit_probes(const struct tm_prefilter *ac, const unsigned char *s, size_t n,
				 struct tm_digit_probe *out, size_t max)
{
	size_t k = 0;
	for (size_t i = 0; i < ac->ndskel; i++) {
		const unsigned char *q = s, *end = s + n;
		while ((q = memmem(q, (size_t)(end - q), ac->dskel[i], ac->dlen[i]))) {
			if (k == max)
				return max + 1;
			out[k++] = (struct tm_digit_probe){ .lit = ac->dlit[i], .len = (uint32_t)ac->dlen[i],
							     .off = (uint32_t)(q - s) };
			q++;
		}
	}
	return k;
}


/* Adds rule r to the record's candidates once. */
static inline void candidate(struct tm_cands *m, size_t *nc, uint32_t r)
{
	if (m->seen[r] != m->gen) {
		m->seen[r] = m->gen;
		m->cand[(*nc)++] = r;
	}
}

/* The 8 bytes at a (a 64-bit load: no call, any alignment) */
static inline uint64_t load8(const unsigned char *a)
{
	uint64_t x;
	memcpy(&x, a, 8);
	return x;
}

/* Whether the literal of entry v occurs at p + q (q + v->len <= n): its head under the mask, its
 * tail, then the words between (literals sharing a window differ mostly at an end: "time_"
 * "time=" "time:" in a line's "time "). */
static inline int lit_at(const struct tm_prefilter *ac, const struct tm_vent *v, const unsigned char *p, size_t n,
			 size_t q)
{
	uint64_t x;
	if (q + 8 <= n)
		x = load8(p + q);
	else if (n >= 8)
		x = load8(p + n - 8) >> (8 * (q + 8 - n));   /* the record's last 8 bytes, shifted */
	else
		x = load_le(p + q, n - q);
	if ((x & v->hmask) != v->head)
		return 0;
	if (v->len <= 8)
		return 1;
	if (load8(p + q + v->len - 8) != v->tail)
		return 0;
	const unsigned char *u = (const unsigned char *)ac->lits[v->lit].p;
	for (size_t j = 8; j + 8 < v->len; j += 8)
		if (load8(p + q + j) != load8(u + j))
			return 0;
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
	uint32_t h = TM_FOLD(win) & (TM_GRAM_BITS - 1);   /* gram_hash(p + i) */
	uint32_t b = ac->grams[h];               /* read by the scan a moment ago */
	for (uint32_t e = ac->bucket[b], end = ac->bucket[b + 1]; e < end; e++) {
		const struct tm_vent *v = &ac->vents[e];
		if (win != v->win || i < v->off)
			continue;               /* another window with the same hash, or the literal
						   would begin before the record */
		if (v->rule != TM_NO_RULE && m->seen[v->rule] == m->gen)
			continue;               /* its rule is a candidate already */
		size_t q = i - v->off;
		if (q + v->len > n || !lit_at(ac, v, p, n, q))
			continue;
		if (v->needle != TM_NO_NEEDLE) {
			/* the first occurrence: one at q may be seen from window q + off + 1 after one at
			 * q + 1 from window q + 1 + off, at the same position */
			if (m->nseen[v->needle] != m->gen || q < m->npos[v->needle]) {
				m->nseen[v->needle] = m->gen;
				m->npos[v->needle] = q;
			}
		}
		const struct tm_lit *t = &ac->lits[v->lit];
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
	const uint16_t *gr = ac->grams;
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
			uint64_t t = TM_FOLD(w);
			uint32_t h0 = (uint32_t)t & (TM_GRAM_BITS - 1);
			uint32_t h1 = (uint32_t)(t >> 16) & (TM_GRAM_BITS - 1);
			uint32_t h2 = (uint32_t)(t >> 32) & (TM_GRAM_BITS - 1);
			unsigned b0 = gr[h0], b1 = gr[h1];
			unsigned b2 = gr[h2];
			if (!(b0 | b1 | b2))
				continue;
			pos[k] = (uint32_t)i, k += b0 != 0;
			pos[k] = (uint32_t)i + 2, k += b1 != 0;
			pos[k] = (uint32_t)i + 4, k += b2 != 0;
			if (k > TM_HITS - 4)
				verify(ac, m, &nc, p, n, pos, k), k = 0;
		}
		for (; i + 4 <= n; i += 2)
			if (gr[gram_hash(p + i)])
				pos[k++] = (uint32_t)i;
	} else {
		/* four windows per 8-byte load and one branch: independent lookups keep the core busy */
		for (; i + 8 <= n; i += 4) {
			uint64_t w;
			memcpy(&w, p + i, 8);       /* windows as little-endian integers, as gram_hash() */
			uint64_t t = TM_FOLD(w);
			uint32_t h0 = (uint32_t)t & (TM_GRAM_BITS - 1);
			uint32_t h1 = (uint32_t)(t >> 8) & (TM_GRAM_BITS - 1);
			uint32_t h2 = (uint32_t)(t >> 16) & (TM_GRAM_BITS - 1);
			uint32_t h3 = (uint32_t)(t >> 24) & (TM_GRAM_BITS - 1);
			unsigned b0 = gr[h0], b1 = gr[h1];
			unsigned b2 = gr[h2], b3 = gr[h3];
			if (!(b0 | b1 | b2 | b3))
				continue;
			pos[k] = (uint32_t)i, k += b0 != 0;
			pos[k] = (uint32_t)i + 1, k += b1 != 0;
			pos[k] = (uint32_t)i + 2, k += b2 != 0;
			pos[k] = (uint32_t)i + 3, k += b3 != 0;
			if (k > TM_HITS - 5)
				verify(ac, m, &nc, p, n, pos, k), k = 0;
		}
	}
	for (; i + 4 <= n; i++) {
		if (k == TM_HITS)
			verify(ac, m, &nc, p, n, pos, k), k = 0;
		if (gr[gram_hash(p + i)])
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


/* match.c: the literal prefilter and the per-record matcher (see match.h).
 *
 * Prefilter: every distinct rule literal of 4+ bytes is represented by one of its 4-byte windows
 * (the one most likely to be rare: it crosses a word boundary), hashed into a 64 KiB table of
 * flags. A record is scanned once, several windows per 8-byte load; when every literal has 5+
 * bytes only even positions are hashed (each literal then enters two adjacent windows). A set
 * flag is verified exactly with memcmp against the few literals in that hash bucket, so a record
 * yields exactly the rules whose literal it holds, and most log lines cost about one hash per two
 * bytes and nothing else. Shorter literals are searched with memmem. No per-record allocation.
 * Built once per ruleset; never changed after.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/match.h"
#include "trainmon/xalloc.h"
#include "banned.h"

#define TM_GRAM_LOG2 16                  /* 2^16 one-byte flags: 64 KiB, one load per window */
#define TM_GRAM_BITS (1u << TM_GRAM_LOG2)
#define TM_HASH_MUL 2654435761u          /* Knuth's multiplicative hash */

struct tm_lit {                          /* one distinct literal */
	const char *p;                   /* borrowed from a rule of the ruleset */
	size_t len;
	size_t off;                      /* offset of the hashed window in the literal */
	uint32_t hash;                   /* of that window */
	uint32_t *rules;                 /* owned: rules that use this literal */
	size_t nrules;
};

struct tm_prefilter {
	uint8_t grams[TM_GRAM_BITS];     /* 1 where some literal's window hashes */
	struct tm_lit *lits;             /* owned, literals of 4+ bytes, sorted by hash; with stride 2
					    each literal has two entries (windows at off and off + 1) */
	size_t nlits;
	unsigned stride;                 /* 2 when every literal has 5+ bytes: only even positions
					    are hashed; else 1 */
	struct tm_lit *shorts;           /* owned, literals of 1-3 bytes: memmem on every record
	                                    (slow; `rules check` warns about them) */
	size_t nshorts;
	uint32_t *always;                /* owned: rules with no literal, run on every record */
	uint32_t nalways;
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
	return t;
}

struct tm_prefilter *tm_prefilter_build(const struct tm_ruleset *rs)
{
	struct tm_prefilter *ac = tm_xcalloc(1, sizeof(*ac));
	ac->always = tm_xcalloc(rs->nrules + 1, sizeof(*ac->always));
	size_t cap = 0, capshort = 0;
	for (size_t i = 0; i < rs->nrules; i++) {
		const struct tm_rule *r = &rs->rules[i];
		if (!r->nlits)
			ac->always[ac->nalways++] = (uint32_t)i;
		for (size_t l = 0; l < r->nlits; l++) {
			size_t n = r->lit_lens[l];
			struct tm_lit *t;
			if (n < 4) {
				t = lit_entry(&ac->shorts, &ac->nshorts, &capshort, r->lits[l], n);
			} else {
				t = lit_entry(&ac->lits, &ac->nlits, &cap, r->lits[l], n);
			}
			if (t->nrules == 0 || t->rules[t->nrules - 1] != (uint32_t)i) {
				t->rules = tm_xrealloc(t->rules, (t->nrules + 1) * sizeof(*t->rules));
				t->rules[t->nrules++] = (uint32_t)i;
			}
		}
	}
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
		tm_xgrow((void **)&ac->lits, &cap, 2 * n, sizeof(*ac->lits));
	for (size_t i = 0; i < n; i++) {
		struct tm_lit *t = &ac->lits[i];
		t->off = best_window((const unsigned char *)t->p, t->len, ac->stride);
		t->hash = gram_hash((const unsigned char *)t->p + t->off, 4);
		ac->grams[t->hash] = 1;
		if (ac->stride == 2) {
			struct tm_lit *u = &ac->lits[n + i];
			*u = *t;
			u->rules = tm_xmalloc(t->nrules * sizeof(*u->rules));
			memcpy(u->rules, t->rules, t->nrules * sizeof(*u->rules));
			u->off = t->off + 1;
			u->hash = gram_hash((const unsigned char *)u->p + u->off, 4);
			ac->grams[u->hash] = 1;
		}
	}
	ac->nlits = n * ac->stride;
	if (ac->nlits)
		qsort(ac->lits, ac->nlits, sizeof(*ac->lits), cmp_lit_hash);
	return ac;
}

/* Fallback limits for a regex run that exhausted the JIT stack: a JIT stack of up to 1 MiB, then
 * the interpreter (its backtracking frames live on the heap) with these limits. */
#define TM_JIT_STACK_START (32u << 10)
#define TM_JIT_STACK_MAX   (1u << 20)
#define TM_HEAP_LIMIT_KIB  (64u << 10)
#define TM_MATCH_LIMIT     10000000u

/* The slow path of run_re: the JIT ran out of stack (a long line with a pattern that backtracks
 * per character). Retries with the matcher's own larger JIT stack, then with the interpreter. */
static int retry_re(struct tm_matcher *m, const void *re, const char *s, size_t n, size_t start, void *md)
{
	if (!m->mctx) {
		m->mctx = pcre2_match_context_create(NULL);
		m->jit_stack = pcre2_jit_stack_create(TM_JIT_STACK_START, TM_JIT_STACK_MAX, NULL);
		if (!m->mctx || !m->jit_stack)
			abort();   /* PCRE2 only fails here when malloc does */
		pcre2_jit_stack_assign(m->mctx, NULL, m->jit_stack);
		pcre2_set_heap_limit(m->mctx, TM_HEAP_LIMIT_KIB);
		pcre2_set_match_limit(m->mctx, TM_MATCH_LIMIT);
	}
	int rc = pcre2_jit_match(re, (PCRE2_SPTR)s, n, start, 0, md, m->mctx);
	if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
		rc = pcre2_match(re, (PCRE2_SPTR)s, n, start, PCRE2_NO_JIT, md, m->mctx);
	return rc;
}

/* One regex run: pcre2_jit_match (the JIT's fast entry: no option checks) when the pattern was
 * JIT-compiled, the interpreter otherwise. Same results either way. A run that fails other than
 * by not matching (a match, heap or stack limit, even after retry_re) is counted in
 * m->regex_aborted and reads as no match. */
static inline int run_re(struct tm_matcher *m, const void *re, int jit, const char *s, size_t n, size_t start,
			 void *md)
{
	int rc;
	if (jit) {
		rc = pcre2_jit_match(re, (PCRE2_SPTR)s, n, start, 0, md, NULL);
		if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
			rc = retry_re(m, re, s, n, start, md);
	} else {
		rc = pcre2_match(re, (PCRE2_SPTR)s, n, start, 0, md, NULL);
	}
	if (rc < 0 && rc != PCRE2_ERROR_NOMATCH)
		m->regex_aborted++;
	return rc;
}

/* Adds rule r to the record's candidates once. */
static inline void candidate(struct tm_matcher *m, size_t *nc, uint32_t r)
{
	if (m->seen[r] != m->gen) {
		m->seen[r] = m->gen;
		m->cand[(*nc)++] = r;
	}
}

/* A set bit at window position i: verify the literals of that bucket exactly. */
static void verify(const struct tm_prefilter *ac, struct tm_matcher *m, size_t *nc, const unsigned char *p,
		   size_t n, size_t i, uint32_t h)
{
	size_t lo = 0, hi = ac->nlits;
	while (lo < hi) {                     /* first literal with this hash */
		size_t mid = (lo + hi) / 2;
		if (ac->lits[mid].hash < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < ac->nlits && ac->lits[lo].hash == h; lo++) {
		const struct tm_lit *t = &ac->lits[lo];
		if (i < t->off || i - t->off + t->len > n)
			continue;
		if (memcmp(p + i - t->off, t->p, t->len) != 0)
			continue;
		for (size_t k = 0; k < t->nrules; k++)
			candidate(m, nc, t->rules[k]);
	}
}

/* Every rule whose literal occurs in p[0, n), into m->cand; returns their number. */
static size_t prefilter(const struct tm_prefilter *ac, struct tm_matcher *m, const unsigned char *p, size_t n)
{
	size_t nc = 0;
	const uint8_t *gr = ac->grams;
	size_t i = 0;
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
			if (!((b0 | b1 | b2) & 1))
				continue;
			if (b0 & 1) verify(ac, m, &nc, p, n, i, h0);
			if (b1 & 1) verify(ac, m, &nc, p, n, i + 2, h1);
			if (b2 & 1) verify(ac, m, &nc, p, n, i + 4, h2);
		}
		for (; i + 4 <= n; i += 2) {
			uint32_t h = gram_hash(p + i, 4);
			if (gr[h])
				verify(ac, m, &nc, p, n, i, h);
		}
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
			if (!((b0 | b1 | b2 | b3) & 1))
				continue;
			if (b0 & 1) verify(ac, m, &nc, p, n, i, h0);
			if (b1 & 1) verify(ac, m, &nc, p, n, i + 1, h1);
			if (b2 & 1) verify(ac, m, &nc, p, n, i + 2, h2);
			if (b3 & 1) verify(ac, m, &nc, p, n, i + 3, h3);
		}
	}
	for (; i + 4 <= n; i++) {
		uint32_t h = gram_hash(p + i, 4);
		if (gr[h])
			verify(ac, m, &nc, p, n, i, h);
	}
	for (size_t k = 0; k < ac->nshorts; k++) {
		const struct tm_lit *t = &ac->shorts[k];
		if (memmem(p, n, t->p, t->len))
			for (size_t j = 0; j < t->nrules; j++)
				candidate(m, &nc, t->rules[j]);
	}
	return nc;
}

void tm_matcher_init(struct tm_matcher *m, const struct tm_ruleset *rs)
{
	memset(m, 0, sizeof(*m));
	m->rs = rs;
	m->md = pcre2_match_data_create(rs->max_groups ? rs->max_groups : 1, NULL);
	m->md_sub = pcre2_match_data_create(rs->max_groups ? rs->max_groups : 1, NULL);
	if (!m->md || !m->md_sub)
		abort();   /* PCRE2 only fails here when malloc does */
	size_t n = rs->nrules + 1;
	m->seen = tm_xcalloc(n, sizeof(*m->seen));
	m->cand = tm_xcalloc(n, sizeof(*m->cand));
	m->matches = tm_xcalloc(n, sizeof(*m->matches));
}

void tm_matcher_release(struct tm_matcher *m)
{
	pcre2_match_data_free(m->md);
	pcre2_match_data_free(m->md_sub);
	pcre2_match_context_free(m->mctx);
	pcre2_jit_stack_free(m->jit_stack);
	free(m->seen);
	free(m->cand);
	free(m->matches);
	memset(m, 0, sizeof(*m));
}

static void sort_u32(uint32_t *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		uint32_t x = v[i];
		size_t j = i;
		while (j && v[j - 1] > x) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

int tm_match_record(struct tm_matcher *m, const char *p, size_t len, tm_hit_fn fn, void *ctx)
{
	const struct tm_ruleset *rs = m->rs;
	const struct tm_prefilter *ac = rs->pre;
	if (!ac)
		return 0;
	if (++m->gen == 0) {       /* wrapped: restart the stamps */
		memset(m->seen, 0, (rs->nrules + 1) * sizeof(*m->seen));
		m->gen = 1;
	}
	m->records++;
	size_t nc = prefilter(ac, m, (const unsigned char *)p, len);
	if (nc)
		m->literal_records++;
	for (uint32_t k = 0; k < ac->nalways; k++)
		candidate(m, &nc, ac->always[k]);
	if (nc == 0)
		return 0;
	sort_u32(m->cand, nc);
	pcre2_match_data *md = m->md;
	for (size_t i = 0; i < nc; i++) {
		const struct tm_rule *r = &rs->rules[m->cand[i]];
		if (r->rec == TM_REC_DETECT && m->skip_detect)
			continue;
		m->regex_runs++;
		int rc = run_re(m, r->re, r->jit, p, len, 0, md);
		if (rc < 0)
			continue;
		m->matches[m->cand[i]]++;
		struct tm_hit h = { .rule = r, .subj = p, .len = len, .ov = pcre2_get_ovector_pointer(md),
				    .npairs = pcre2_get_ovector_count(md) };
		int stop = fn(ctx, &h);
		if (stop)
			return stop;
	}
	return 0;
}

int tm_hit_group(const struct tm_hit *h, uint32_t g, const char **out, size_t *outlen)
{
	if (g >= h->npairs || h->ov[2 * g] == PCRE2_UNSET)
		return 0;
	*out = h->subj + h->ov[2 * g];
	*outlen = h->ov[2 * g + 1] - h->ov[2 * g];
	return 1;
}

/* memmem for short haystacks: memchr (vectorised) to each candidate first byte, then memcmp. */
static const char *find(const char *h, size_t n, const char *nd, size_t m)
{
	const char *end = h + n;
	while ((size_t)(end - h) >= m) {
		const char *c = memchr(h, nd[0], (size_t)(end - h) - m + 1);
		if (!c)
			return NULL;
		if (memcmp(c + 1, nd + 1, m - 1) == 0)
			return c;
		h = c + 1;
	}
	return NULL;
}

int tm_match_sub(struct tm_matcher *m, const struct tm_subfield *f, const char *subj, size_t len,
		 const char **out, size_t *outlen)
{
	/* md_sub, not md: the caller is still reading the rule's own ovector. With a prefix
	 * literal, a match can only start where the literal occurs: memmem finds those, the regex
	 * runs anchored there, leftmost first, which is what an unanchored search would return. */
	int rc = -1;
	if (f->prefix) {
		const char *from = subj, *end = subj + len, *hit;
		while ((hit = find(from, (size_t)(end - from), f->prefix, f->prefix_len))) {
			rc = run_re(m, f->re, f->jit, subj, len, (size_t)(hit - subj), m->md_sub);
			if (rc > 0)
				break;
			from = hit + 1;
		}
	} else {
		rc = run_re(m, f->re, f->jit, subj, len, 0, m->md_sub);
	}
	uint32_t g = f->cap.group;
	if (rc <= 0 || g >= (uint32_t)rc)
		return 0;
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md_sub);
	if (ov[2 * g] == PCRE2_UNSET)
		return 0;
	*out = subj + ov[2 * g];
	*outlen = ov[2 * g + 1] - ov[2 * g];
	return 1;
}

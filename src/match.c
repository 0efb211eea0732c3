/* match.c: literal prefilter automaton and the per-record matcher (see match.h).
 *
 * The automaton is a dense DFA over byte classes (bytes that occur in no literal share one
 * class), so the scan is one table load per byte with no failure-link chasing. Outputs per state
 * already include those of its suffix states. Built once per ruleset; never changed after.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/match.h"
#include "trainmon/xalloc.h"
#include "banned.h"

#define TM_GRAM_LOG2 18             /* 2^18-bit filter: 32 KiB, stays in L1/L2 */
#define TM_GRAM_BITS (1u << TM_GRAM_LOG2)
#define TM_AC_OUT 0x80000000u     /* delta entry flag: the target state has outputs */

struct tm_ac {
	uint8_t cls[256];        /* byte -> class */
	uint32_t ncls;
	uint32_t nstates;
	uint32_t *delta;         /* nstates * ncls: next state * ncls, | TM_AC_OUT */
	uint32_t *out_start;     /* nstates + 1: outputs of state s are out[out_start[s] .. out_start[s+1]) */
	uint32_t *out;           /* rule ids */
	uint32_t *always;        /* rules with no literal */
	uint32_t nalways;
	/* sampled n-gram filter (FDR-like): every literal puts STRIDE consecutive GRAM-byte windows
	 * of itself in a hashed bit set; a record is scanned at every STRIDE-th position only, which
	 * must land on one of those windows if the literal occurs. Records with no hit skip the DFA. */
	uint64_t grams[TM_GRAM_BITS / 64];
	unsigned gram, stride;   /* window bytes (2..4) and sampling step (1..4) */
	int no_filter;           /* a one-byte literal: every record goes to the DFA */
	size_t minlen;           /* shortest literal: shorter records cannot hold one */
};

void tm_ac_free(struct tm_ac *ac);

void tm_ac_free(struct tm_ac *ac)
{
	if (!ac)
		return;
	free(ac->delta);
	free(ac->out_start);
	free(ac->out);
	free(ac->always);
	free(ac);
}

/* Choosing a literal's window: mid-word grams ("tion", "memo") are common in any text, so a
 * window that crosses a word boundary (letter <-> space or punctuation) scores higher, then
 * upper case and punctuation over lower case and spaces. */
static int byte_class(unsigned char c)
{
	return (c >= 'a' && c <= 'z') ? 0 : (c >= 'A' && c <= 'Z') ? 1 : (c >= '0' && c <= '9') ? 2 : c == ' ' ? 3 : 4;
}

static int byte_rarity(unsigned char c)
{
	static const int r[5] = { 1, 2, 1, 0, 2 };
	return r[byte_class(c)];
}

static unsigned gram_hash(const unsigned char *p, unsigned gram)
{
	uint32_t x = 0;
	for (unsigned k = 0; k < gram; k++)
		x |= (uint32_t)p[k] << (8 * k);
	return (x * 2654435761u) >> (32 - TM_GRAM_LOG2);
}

static void add_grams(struct tm_ac *ac, const char *lit, size_t n)
{
	const unsigned char *u = (const unsigned char *)lit;
	size_t win = ac->gram + ac->stride - 1, best = 0;
	int bestscore = -1;
	for (size_t j = 0; j + win <= n; j++) {
		int sc = 0;
		for (size_t k = 0; k < win; k++) {
			sc += byte_rarity(u[j + k]);
			if (k && byte_class(u[j + k]) != byte_class(u[j + k - 1]))
				sc += 4;
		}
		if (sc > bestscore)
			bestscore = sc, best = j;
	}
	for (unsigned k = 0; k < ac->stride; k++) {
		unsigned h = gram_hash(u + best + k, ac->gram);
		ac->grams[h >> 6] |= 1ull << (h & 63);
	}
}

/* 1 when the record may hold a literal. */
static int gram_hit(const struct tm_ac *ac, const unsigned char *p, size_t n)
{
	if (ac->no_filter)
		return 1;
	if (n < ac->minlen)
		return 0;
	const unsigned g = ac->gram, st = ac->stride;
	if (g == 4 && st == 1) {
		/* four windows per 8-byte load, one branch: independent lookups keep the core busy */
		const uint64_t *gr = ac->grams;
		size_t i = 0;
		for (; i + 8 <= n; i += 4) {
			uint64_t w;
			memcpy(&w, p + i, 8);
			uint32_t h0 = ((uint32_t)w * 2654435761u) >> (32 - TM_GRAM_LOG2);
			uint32_t h1 = ((uint32_t)(w >> 8) * 2654435761u) >> (32 - TM_GRAM_LOG2);
			uint32_t h2 = ((uint32_t)(w >> 16) * 2654435761u) >> (32 - TM_GRAM_LOG2);
			uint32_t h3 = ((uint32_t)(w >> 24) * 2654435761u) >> (32 - TM_GRAM_LOG2);
			if ((gr[h0 >> 6] >> (h0 & 63) | gr[h1 >> 6] >> (h1 & 63) | gr[h2 >> 6] >> (h2 & 63) |
			     gr[h3 >> 6] >> (h3 & 63)) & 1)
				return 1;
		}
		for (; i + 4 <= n; i++) {
			uint32_t x;
			memcpy(&x, p + i, 4);
			uint32_t h = (x * 2654435761u) >> (32 - TM_GRAM_LOG2);
			if (gr[h >> 6] >> (h & 63) & 1)
				return 1;
		}
		return 0;
	}
	for (size_t i = 0; i + g <= n; i += st) {
		unsigned h = gram_hash(p + i, g);
		if (ac->grams[h >> 6] >> (h & 63) & 1)
			return 1;
	}
	return 0;
}

int tm_ruleset_finish(struct tm_ruleset *rs, struct tm_diag *d)
{
	struct tm_ac *ac = tm_xcalloc(1, sizeof(*ac));
	/* byte classes */
	int used[256] = { 0 };
	size_t total = 1;
	for (size_t i = 0; i < rs->nrules; i++) {
		const struct tm_rule *r = &rs->rules[i];
		for (size_t l = 0; l < r->nlits; l++) {
			for (size_t k = 0; k < r->lit_lens[l]; k++)
				used[(unsigned char)r->lits[l][k]] = 1;
			total += r->lit_lens[l];
		}
	}
	ac->ncls = 1;
	for (int b = 0; b < 256; b++)
		ac->cls[b] = used[b] ? (uint8_t)ac->ncls++ : 0;
	if (ac->ncls > 256) /* cannot happen: at most 256 used bytes + 1; class 0 is shared */
		ac->ncls = 256;
	/* trie: goto function, -1 = none */
	uint32_t ncls = ac->ncls;
	int32_t *go = tm_xmalloc(total * ncls * sizeof(*go));
	memset(go, 0xff, total * ncls * sizeof(*go));
	uint32_t **outs = tm_xcalloc(total, sizeof(*outs));
	uint32_t *nouts = tm_xcalloc(total, sizeof(*nouts));
	uint32_t nstates = 1;
	ac->always = tm_xcalloc(rs->nrules + 1, sizeof(*ac->always));
	for (size_t i = 0; i < rs->nrules; i++) {
		const struct tm_rule *r = &rs->rules[i];
		if (!r->nlits) {
			ac->always[ac->nalways++] = (uint32_t)i;
			continue;
		}
		for (size_t l = 0; l < r->nlits; l++) {
			uint32_t s = 0;
			for (size_t k = 0; k < r->lit_lens[l]; k++) {
				uint32_t c = ac->cls[(unsigned char)r->lits[l][k]];
				if (go[s * ncls + c] < 0)
					go[s * ncls + c] = (int32_t)nstates++;
				s = (uint32_t)go[s * ncls + c];
			}
			outs[s] = tm_xrealloc(outs[s], (nouts[s] + 1) * sizeof(**outs));
			outs[s][nouts[s]++] = (uint32_t)i;
		}
	}
	/* the sampled n-gram filter; little-endian hosts only (the memcpy load in gram_hit) */
	size_t minlen = SIZE_MAX;
	for (size_t i = 0; i < rs->nrules; i++)
		for (size_t l = 0; l < rs->rules[i].nlits; l++)
			if (rs->rules[i].lit_lens[l] < minlen)
				minlen = rs->rules[i].lit_lens[l];
	ac->minlen = minlen == SIZE_MAX ? 0 : minlen;
	if (minlen == SIZE_MAX) {
		ac->no_filter = 0;      /* no literals: no record can need the DFA */
		ac->gram = 4;
		ac->stride = 1;
	} else if (minlen < 2 || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__) {
		ac->no_filter = 1;
	} else {
		ac->gram = minlen < 4 ? (unsigned)minlen : 4;
		ac->stride = 1;   /* sampling (stride > 1) forces common mid-word windows: measured slower */
		for (size_t i = 0; i < rs->nrules; i++)
			for (size_t l = 0; l < rs->rules[i].nlits; l++)
				add_grams(ac, rs->rules[i].lits[l], rs->rules[i].lit_lens[l]);
	}
	/* BFS: failure links folded into a full transition table, outputs merged along links */
	uint32_t *fail = tm_xcalloc(nstates, sizeof(*fail));
	uint32_t *queue = tm_xmalloc(nstates * sizeof(*queue));
	size_t qh = 0, qt = 0;
	ac->nstates = nstates;
	if ((size_t)nstates * ncls >= TM_AC_OUT) {
		/* cannot happen below ~8 M literal bytes; say so rather than overflow the table */
		tm_diag_error(d, NULL, 0, 0, "rule literals too large for the prefilter (%u states)", nstates);
		free(fail);
		free(queue);
		for (uint32_t k = 0; k < nstates; k++)
			free(outs[k]);
		free(outs);
		free(nouts);
		free(go);
		tm_ac_free(ac);
		return -1;
	}
	ac->delta = tm_xmalloc((size_t)nstates * ncls * sizeof(*ac->delta));
	for (uint32_t c = 0; c < ncls; c++) {
		int32_t t = go[c];
		ac->delta[c] = t < 0 ? 0 : (uint32_t)t;
		if (t > 0) {
			fail[t] = 0;
			queue[qt++] = (uint32_t)t;
		}
	}
	while (qh < qt) {
		uint32_t s = queue[qh++];
		/* outputs of the failure state (already complete: it is shallower) */
		uint32_t f = fail[s];
		if (nouts[f]) {
			outs[s] = tm_xrealloc(outs[s], (nouts[s] + nouts[f]) * sizeof(**outs));
			memcpy(outs[s] + nouts[s], outs[f], nouts[f] * sizeof(**outs));
			nouts[s] += nouts[f];
		}
		for (uint32_t c = 0; c < ncls; c++) {
			int32_t t = go[s * ncls + c];
			if (t < 0) {
				ac->delta[(size_t)s * ncls + c] = ac->delta[(size_t)f * ncls + c];
			} else {
				ac->delta[(size_t)s * ncls + c] = (uint32_t)t;
				fail[t] = ac->delta[(size_t)f * ncls + c];
				queue[qt++] = (uint32_t)t;
			}
		}
	}
	ac->out_start = tm_xcalloc(nstates + 1, sizeof(*ac->out_start));
	size_t nout = 0;
	for (uint32_t s = 0; s < nstates; s++)
		nout += nouts[s];
	ac->out = tm_xcalloc(nout + 1, sizeof(*ac->out));
	nout = 0;
	for (uint32_t s = 0; s < nstates; s++) {
		ac->out_start[s] = (uint32_t)nout;
		if (nouts[s])
			memcpy(ac->out + nout, outs[s], nouts[s] * sizeof(*ac->out));
		nout += nouts[s];
		free(outs[s]);
	}
	ac->out_start[nstates] = (uint32_t)nout;
	/* scan form: each entry is the next state's row offset (state * ncls), with the top bit set
	 * when that state has outputs, so the hot loop does one load per byte */
	for (size_t e = 0; e < (size_t)nstates * ncls; e++) {
		uint32_t t = ac->delta[e];
		ac->delta[e] = t * ncls | (ac->out_start[t] != ac->out_start[t + 1] ? TM_AC_OUT : 0u);
	}
	free(outs);
	free(nouts);
	free(fail);
	free(queue);
	free(go);
	tm_ac_free(rs->ac);
	rs->ac = ac;
	if (rs->max_groups == 0)
		rs->max_groups = 1;
	return 0;
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
	const struct tm_ac *ac = rs->ac;
	if (!ac)
		return 0;
	size_t nc = 0;
	uint32_t gen = ++m->gen;
	if (gen == 0) {           /* wrapped: restart the stamps */
		memset(m->seen, 0, (rs->nrules + 1) * sizeof(*m->seen));
		gen = m->gen = 1;
	}
	const uint32_t ncls = ac->ncls;
	const uint32_t *delta = ac->delta;
	const uint32_t *os = ac->out_start;
	const uint8_t *cls = ac->cls;
	const unsigned char *u = (const unsigned char *)p;
	uint32_t s = 0;
	size_t scan = gram_hit(ac, u, len) ? len : 0;
	m->records++;
	m->dfa_records += scan != 0;
	for (size_t i = 0; i < scan; i++) {
		uint32_t x = delta[s + cls[u[i]]];
		s = x & ~TM_AC_OUT;
		if (x & TM_AC_OUT) {
			uint32_t st = s / ncls;
			for (uint32_t k = os[st]; k < os[st + 1]; k++) {
				uint32_t r = ac->out[k];
				if (m->seen[r] != gen) {
					m->seen[r] = gen;
					m->cand[nc++] = r;
				}
			}
		}
	}
	for (uint32_t k = 0; k < ac->nalways; k++)
		m->cand[nc++] = ac->always[k];
	if (nc == 0)
		return 0;
	sort_u32(m->cand, nc);
	pcre2_match_data *md = m->md;
	for (size_t i = 0; i < nc; i++) {
		const struct tm_rule *r = &rs->rules[m->cand[i]];
		if (r->rec == TM_REC_DETECT && m->skip_detect)
			continue;
		m->regex_runs++;
		int rc = pcre2_match(r->re, (PCRE2_SPTR)p, len, 0, 0, md, NULL);
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

int tm_match_sub(struct tm_matcher *m, const void *re, const char *subj, size_t len, uint32_t g,
		 const char **out, size_t *outlen)
{
	/* md_sub, not md: the caller is still reading the rule's own ovector */
	int rc = pcre2_match(re, (PCRE2_SPTR)subj, len, 0, 0, m->md_sub, NULL);
	if (rc <= 0 || g >= (uint32_t)rc)
		return 0;
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md_sub);
	if (ov[2 * g] == PCRE2_UNSET)
		return 0;
	*out = subj + ov[2 * g];
	*outlen = ov[2 * g + 1] - ov[2 * g];
	return 1;
}

/* match.c: literal prefilter automaton and the per-record matcher (see match.h).
 *
 * The automaton is a dense DFA over byte classes (bytes that occur in no literal share one
 * class), so the scan is one table load per byte with no failure-link chasing. Outputs per state
 * already include those of its suffix states. Built once per ruleset; never changed after.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/match.h"
#include "trainmon/xalloc.h"
#include "banned.h"

struct tm_ac {
	uint8_t cls[256];        /* byte -> class */
	uint32_t ncls;
	uint32_t nstates;
	uint32_t *delta;         /* nstates * ncls */
	uint32_t *out_start;     /* nstates + 1: outputs of state s are out[out_start[s] .. out_start[s+1]) */
	uint32_t *out;           /* rule ids */
	uint32_t *always;        /* rules with no literal */
	uint32_t nalways;
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

int tm_ruleset_finish(struct tm_ruleset *rs, struct tm_diag *d)
{
	(void)d;
	struct tm_ac *ac = tm_xcalloc(1, sizeof(*ac));
	/* byte classes */
	int used[256] = { 0 };
	size_t total = 1;
	for (size_t i = 0; i < rs->nrules; i++) {
		const struct tm_rule *r = &rs->rules[i];
		for (size_t k = 0; r->literal && k < r->literal_len; k++)
			used[(unsigned char)r->literal[k]] = 1;
		total += r->literal ? r->literal_len : 0;
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
		if (!r->literal) {
			ac->always[ac->nalways++] = (uint32_t)i;
			continue;
		}
		uint32_t s = 0;
		for (size_t k = 0; k < r->literal_len; k++) {
			uint32_t c = ac->cls[(unsigned char)r->literal[k]];
			if (go[s * ncls + c] < 0)
				go[s * ncls + c] = (int32_t)nstates++;
			s = (uint32_t)go[s * ncls + c];
		}
		outs[s] = tm_xrealloc(outs[s], (nouts[s] + 1) * sizeof(**outs));
		outs[s][nouts[s]++] = (uint32_t)i;
	}
	/* BFS: failure links folded into a full transition table, outputs merged along links */
	uint32_t *fail = tm_xcalloc(nstates, sizeof(*fail));
	uint32_t *queue = tm_xmalloc(nstates * sizeof(*queue));
	size_t qh = 0, qt = 0;
	ac->nstates = nstates;
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
	uint32_t s = 0;
	for (size_t i = 0; i < len; i++) {
		s = delta[(size_t)s * ncls + ac->cls[(unsigned char)p[i]]];
		if (os[s] != os[s + 1]) {
			for (uint32_t k = os[s]; k < os[s + 1]; k++) {
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

/* match.c: the per-record matcher (see match.h): the prefilter (prefilter.c) names the candidate
 * rules of a record, then their PCRE2 regexes run, JIT-compiled.
 *
 * A matched rule's fields (tm_match_sub) are read where the prefilter's scan of the record saw
 * their prefix (a needle), or searched for it (a short prefix, a subject not scanned: memchr to
 * the prefix's rarest byte, then a compare); the regex runs anchored there, or the common shape
 * is read without PCRE2 (field_shape.c). A field opening with a group of alternatives is skipped
 * when none of their literals occurs. No per-record allocation.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/match.h"
#include "trainmon/num.h"
#include "trainmon/scan_memo.h"
#include "trainmon/xalloc.h"
#include "trainmon/prefilter.h"
#include "field_shape.h"
#include "fixed_shape.h"
#include "literal.h"
#include "swar.h"
#include "banned.h"

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

/* Whether the regex in JIT slot `slot` runs JIT-compiled: compiled here the first time (rules.h:
 * the ruleset's JIT states). The state is read without the lock once it is final; a compile
 * happens under the lock and is published after it ends, so no match of a regex overlaps its
 * compile in another thread. Casting away const: the compile is the one change a matcher makes
 * to the shared rules. */
static int jit_ready(const struct tm_ruleset *rs, const void *re, uint32_t slot)
{
	if (!rs->jits || slot >= rs->njits)
		return 0;
	int st = atomic_load_explicit(&rs->jits[slot], memory_order_acquire);
	if (st)
		return st == 1;
	pthread_mutex_lock(rs->jit_lock);
	st = atomic_load_explicit(&rs->jits[slot], memory_order_relaxed);
	if (!st) {
		st = rs->jit && pcre2_jit_compile((pcre2_code *)(uintptr_t)re, PCRE2_JIT_COMPLETE) == 0 ? 1 : 2;
		atomic_store_explicit(&rs->jits[slot], st, memory_order_release);
	}
	pthread_mutex_unlock(rs->jit_lock);
	return st == 1;
}

/* One regex run: pcre2_jit_match (the JIT's fast entry: no option checks) when the pattern is
 * JIT-compiled (jit_ready), the interpreter otherwise. Same results either way. A run that fails
 * other than by not matching (a match, heap or stack limit, even after retry_re) is counted in
 * m->regex_aborted and reads as no match. */
static inline int run_re(struct tm_matcher *m, const void *re, uint32_t slot, const char *s, size_t n,
			 size_t start, void *md)
{
	int rc;
	if (jit_ready(m->rs, re, slot)) {
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

void tm_matcher_init(struct tm_matcher *m, const struct tm_ruleset *rs)
{
	memset(m, 0, sizeof(*m));
	m->rs = rs;
	m->md = pcre2_match_data_create(rs->max_groups ? rs->max_groups : 1, NULL);
	m->md_sub = pcre2_match_data_create(rs->max_groups ? rs->max_groups : 1, NULL);
	if (!m->md || !m->md_sub)
		abort();   /* PCRE2 only fails here when malloc does */
	size_t n = rs->nrules + 1;
	m->c.seen = tm_xcalloc(n, sizeof(*m->c.seen));
	m->c.cand = tm_xcalloc(n, sizeof(*m->c.cand));
	m->matches = tm_xcalloc(n, sizeof(*m->matches));
	size_t nn = rs->pre ? tm_prefilter_needles(rs->pre) : 0;
	m->c.nseen = tm_xcalloc(nn + 1, sizeof(*m->c.nseen));
	m->c.npos = tm_xcalloc(nn + 1, sizeof(*m->c.npos));
	m->memo = rs->pre ? tm_scan_memo_new(rs->pre) : NULL;
}

void tm_matcher_release(struct tm_matcher *m)
{
	pcre2_match_data_free(m->md);
	pcre2_match_data_free(m->md_sub);
	pcre2_match_context_free(m->mctx);
	pcre2_jit_stack_free(m->jit_stack);
	free(m->c.seen);
	free(m->c.cand);
	free(m->matches);
	free(m->c.nseen);
	free(m->c.npos);
	tm_scan_memo_free(m->memo);
	memset(m, 0, sizeof(*m));
}

struct tm_scan_memo *tm_matcher_take_memo(struct tm_matcher *m)
{
	struct tm_scan_memo *memo = m->memo;
	m->memo = NULL;
	return memo;
}

void tm_matcher_adopt_memo(struct tm_matcher *m, struct tm_scan_memo *memo)
{
	if (!memo || tm_scan_memo_prefilter(memo) != m->rs->pre) {
		tm_scan_memo_free(memo);        /* another ruleset's answers: never used */
		return;
	}
	tm_scan_memo_free(m->memo);
	m->memo = memo;
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

/* Whether p[0, n) holds a byte some newline convention of PCRE2 counts as a line break: \n \v
 * \f \r or 0x85 (NEL). Eight bytes a load: a word with none of \n-\r and no high bit is passed
 * over, the others are looked at byte by byte. */
static int line_break(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t w;
		if (n - i >= 8) {
			memcpy(&w, p + i, 8);
			if (!((w & TM_SWAR_HIGH) | tm_swar_in(w, '\n' * TM_SWAR_ONES, '\r' * TM_SWAR_ONES)))
				continue;
		}
		for (size_t j = i; j < n && j < i + 8; j++) {
			unsigned char c = (unsigned char)p[j];
			if ((c >= '\n' && c <= '\r') || c == 0x85)
				return 1;
		}
	}
	return 0;
}

/* A rule split by tm__re_split_veto: 1 when its veto occurs with no line break before it (the
 * rule cannot match), 0 when it does not occur (its fast regex answers), -1 when unsure (a
 * line break before it, or the run failed: the whole regex answers). Any byte that a newline
 * convention of PCRE2 may count as a line break counts here. */
static int vetoed(struct tm_matcher *m, const struct tm_rule *r, const char *p, size_t len, void *md)
{
	uint64_t aborted = m->regex_aborted;
	int rc = run_re(m, r->veto, r->veto_jit, p, len, 0, md);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0) {
		m->regex_aborted = aborted;    /* the whole regex runs next and is what counts */
		return -1;
	}
	return line_break(p, pcre2_get_ovector_pointer(md)[0]) ? -1 : 1;
}

int tm_match_record(struct tm_matcher *m, const char *p, size_t len, tm_hit_fn fn, void *ctx)
{
	const struct tm_ruleset *rs = m->rs;
	const struct tm_prefilter *ac = rs->pre;
	if (!ac)
		return 0;
	if (++m->c.gen == 0) {     /* wrapped: restart the stamps */
		memset(m->c.seen, 0, (rs->nrules + 1) * sizeof(*m->c.seen));
		memset(m->c.nseen, 0, (tm_prefilter_needles(ac) + 1) * sizeof(*m->c.nseen));
		m->c.gen = 1;
	}
	m->records++;
	size_t nc = m->memo ? tm_scan_memo_scan(m->memo, &m->c, (const unsigned char *)p, len)
			    : tm_prefilter_scan(ac, &m->c, (const unsigned char *)p, len);
	m->scan_subj = p;
	m->scan_len = len;
	m->literal_records += m->c.literal_hit;
	if (nc == 0)
		return 0;
	sort_u32(m->c.cand, nc);
	pcre2_match_data *md = m->md;
	for (size_t i = 0; i < nc; i++) {
		const struct tm_rule *r = &rs->rules[m->c.cand[i]];
		if ((r->rec == TM_REC_DETECT && m->skip_detect) || (r->fallback && m->skip_fallback))
			continue;
		m->regex_runs++;
		const void *re = r->re;
		uint32_t jit = r->jit;
		if (r->veto) {
			int v = vetoed(m, r, p, len, md);
			if (v > 0)
				continue;
			if (v == 0)
				re = r->fast, jit = r->fast_jit;
		}
		int rc = run_re(m, re, jit, p, len, 0, md);
		if (rc < 0)
			continue;
		m->matches[m->c.cand[i]]++;
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

/* memmem for short haystacks: memchr (vectorised) to each occurrence of the needle's rarest
 * byte nd[k] (a field prefix's ':' or '(' rather than its 'e'), then the needle's first and last
 * bytes (most other fields' ':' fail there, without a call) and memcmp around it. */
static const char *find(const char *h, size_t n, const char *nd, size_t m, size_t k)
{
	if (n < m)
		return NULL;
	const char *p = h + k, *last = h + (n - m) + k;   /* where nd[k] may lie */
	while (p <= last) {
		const char *c = memchr(p, nd[k], (size_t)(last - p) + 1);
		if (!c)
			return NULL;
		if (c[-(ptrdiff_t)k] == nd[0] && c[m - 1 - k] == nd[m - 1] && memcmp(c - k, nd, m) == 0)
			return c - k;
		p = c + 1;
	}
	return NULL;
}

/* Where needle `id` first occurs in subj, from the prefilter's scan of it: its offset, SIZE_MAX
 * when it does not occur, or SIZE_MAX - 1 when unknown (no needle, or subj is not the record
 * scanned last: the caller searches). */
#define NEEDLE_UNKNOWN (SIZE_MAX - 1)
static size_t needle_at(const struct tm_matcher *m, uint32_t id, const char *subj, size_t len)
{
	if (id == TM_NO_NEEDLE || subj != m->scan_subj || len != m->scan_len)
		return NEEDLE_UNKNOWN;
	return m->c.nseen[id] == m->c.gen ? m->c.npos[id] : SIZE_MAX;
}

/* The leftmost offset in subj of any of the literals v[0, n) (needles noted by the scan, or
 * searched), SIZE_MAX when none occurs. */
static size_t leftmost(const struct tm_matcher *m, const struct tm_alt_lit *v, size_t n, const char *subj,
		       size_t len)
{
	size_t start = SIZE_MAX;
	for (size_t a = 0; a < n; a++) {
		size_t at = needle_at(m, v[a].needle, subj, len);
		if (at == NEEDLE_UNKNOWN) {
			const char *hit = find(subj, len, v[a].p, v[a].len, v[a].anchor);
			at = hit ? (size_t)(hit - subj) : SIZE_MAX;
		}
		start = at < start ? at : start;
	}
	return start;
}

/* What a shaped field's value is read as: a slice of the subject, or (as_num) a number at pow10
 * into *num (tm_match_sub_num). */
struct shape_read {
	int as_num;                 /* a constant at each call: the reads below are inlined for it */
	double *num;
	int pow10;
	const char **out;
	size_t *outlen;
};

/* Inlined into each caller, so that rd->as_num is a constant there (a pointer-mode read was 5 %
 * slower). */
#define TM_INLINE static inline __attribute__((always_inline))

/* The value of shape sh after a literal that ends at subj[at], read as rd says: 1 read, 0 the
 * shape does not follow there; read as a number, -1 when it does but not as a plain decimal that
 * is its whole class run (tm_num_read; "1e-3" where the class is [0-9.], "nan", "1,024"). */
TM_INLINE int value_at(const struct tm_field_shape *sh, const char *subj, size_t len, size_t at,
		       const struct shape_read *rd)
{
	if (!rd->as_num) {
		size_t vo, vn;
		if (!tm__field_shape_match(sh, subj, len, at, &vo, &vn))
			return 0;
		*rd->out = subj + vo;
		*rd->outlen = vn;
		return 1;
	}
	size_t j = tm__field_shape_start(sh, subj, len, at);
	if (j == len || !sh->cls[(unsigned char)subj[j]])
		return tm__field_shape_word(sh, subj, len, j) ? -1 : 0;
	double x;
	const char *end = tm_num_read(subj + j, subj + len, rd->pow10, &x);
	if (!end || (end < subj + len && sh->cls[(unsigned char)*end]))
		return -1;                      /* not a decimal, or the run goes on past it */
	for (const char *q = subj + j + 1; q < end && !sh->decimal; q++)
		if (!sh->cls[(unsigned char)*q])
			return -1;              /* the run ends inside it */
	*rd->num = x;
	return 1;
}

/* A field of alternatives and a shape (tm__alt_shape): the value at the leftmost occurrence of
 * its literals, read by the shape after the first listed literal there that it follows. 1 read,
 * 0 no match (no literal occurs), -1 unsure (none is followed by the shape there: PCRE2 decides,
 * for a match may start further on; or value_at's -1). */
TM_INLINE int alt_shape(const struct tm_matcher *m, const struct tm_subfield *f, const char *subj, size_t len,
			const struct shape_read *rd)
{
	size_t start = leftmost(m, f->xalts, f->nxalts, subj, len);
	if (start == SIZE_MAX)
		return 0;
	for (size_t a = 0; a < f->nxalts; a++) {
		const struct tm_alt_lit *t = &f->xalts[a];
		if (len - start >= t->len && memcmp(subj + start, t->p, t->len) == 0) {
			int x = value_at(f->xshape, subj, len, start + t->len, rd);
			if (x)
				return x;
		}
	}
	return -1;
}

/* The first occurrence of f's prefix in subj: where the record's scan saw it, else searched. */
static const char *prefix_first(const struct tm_matcher *m, const struct tm_subfield *f, const char *subj,
				size_t len)
{
	size_t at = needle_at(m, f->needle, subj, len);
	if (at == NEEDLE_UNKNOWN)
		return find(subj, len, f->prefix, f->prefix_len, f->anchor);
	return at == SIZE_MAX ? NULL : subj + at;
}

/* A field of a prefix and a shape: the value after the first occurrence of the prefix that the
 * shape follows (leftmost first, as PCRE2 would find it). 1 read, 0 none; -1 as value_at. */
TM_INLINE int prefix_shape(const struct tm_matcher *m, const struct tm_subfield *f, const char *subj, size_t len,
			   const struct shape_read *rd)
{
	const char *end = subj + len;
	for (const char *hit = prefix_first(m, f, subj, len); hit;
	     hit = find(hit + 1, (size_t)(end - hit - 1), f->prefix, f->prefix_len, f->anchor)) {
		int x = value_at(f->shape, subj, len, (size_t)(hit - subj) + f->prefix_len, rd);
		if (x)
			return x;
	}
	return 0;
}

int tm_match_sub(struct tm_matcher *m, const struct tm_subfield *f, const char *subj, size_t len,
		 const char **out, size_t *outlen)
{
	const struct shape_read rd = { .out = out, .outlen = outlen };
	if (f->xshape) {
		int x = alt_shape(m, f, subj, len, &rd);
		if (x >= 0)
			return x;
	}
	size_t vo, vn;
	if (f->fixed && f->fixed->anchored) {
		/* ^: only offset 0 can match, whatever the prefix search would try */
		if (!tm__fixed_match(f->fixed, subj, len, 0, &vo, &vn))
			return 0;
		*out = subj + vo;
		*outlen = vn;
		return 1;
	}
	/* md_sub, not md: the caller is still reading the rule's own ovector. With a prefix
	 * literal, a match can only start where the literal occurs: memmem finds those, the regex
	 * runs anchored there, leftmost first, which is what an unanchored search would return. */
	int rc = -1;
	if (f->prefix && f->shape) {
		return prefix_shape(m, f, subj, len, &rd);     /* read without PCRE2 */
	} else if (f->prefix) {
		const char *end = subj + len;
		for (const char *hit = prefix_first(m, f, subj, len); hit;
		     hit = find(hit + 1, (size_t)(end - hit - 1), f->prefix, f->prefix_len, f->anchor)) {
			size_t pos = (size_t)(hit - subj);
			if (f->fixed) {
				/* read without PCRE2: the sequence from the prefix */
				if (tm__fixed_match(f->fixed, subj, len, pos, &vo, &vn)) {
					*out = subj + vo;
					*outlen = vn;
					return 1;
				}
				continue;
			}
			rc = run_re(m, f->re, f->jit, subj, len, pos, m->md_sub);
			if (rc > 0)
				break;
		}
	} else if (f->alts) {
		/* no match without one of the alternatives' literals; with alts_start none begins
		 * before the first of them */
		size_t start = leftmost(m, f->alts, f->nalts, subj, len);
		if (start == SIZE_MAX)
			return 0;
		rc = run_re(m, f->re, f->jit, subj, len, f->alts_start ? start : 0, m->md_sub);
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

int tm_match_sub_num(struct tm_matcher *m, const struct tm_subfield *f, const char *subj, size_t len, int pow10,
		     double *v)
{
	const struct shape_read rd = { .as_num = 1, .num = v, .pow10 = pow10 };
	if (f->xshape)
		return alt_shape(m, f, subj, len, &rd);
	if (!f->shape || !f->prefix || (f->fixed && f->fixed->anchored))
		return -1;
	return prefix_shape(m, f, subj, len, &rd);
}

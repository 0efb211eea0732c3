/* test_prefilter.c: tm_prefilter_scan against a brute-force search. Random records over a small
 * alphabet, sown with the literals and with near-misses of them (one byte changed, cut short at
 * either end, at the record's edges), must yield exactly the rules one of whose literals memmem
 * finds, plus the rules without a literal, and each needle's first offset. Three literal sets:
 * every literal of 5+ bytes (even positions only are hashed), one of 4 bytes (every position),
 * and one of 2 bytes (searched per record); literals share windows and ends ("loss:" "loss="),
 * and more than a verify batch of hits fall in one record. */
#include <stdint.h>

#include "tm_test.h"
#include "trainmon/prefilter.h"

struct lit {
	const char *p;
	int rule;       /* -1: a needle only */
	int needle;     /* 1: also a needle */
};

static const struct lit long_lits[] = {
	{ "loss:", 0, 1 }, { "loss=", 1, 0 }, { "loss ", 1, 0 }, { "Loss:", 2, 1 },
	{ "iteration ", 3, 0 }, { "elapsed time per iteration (ms):", -1, 1 },
	{ "time per iteration", 4, 0 }, { "grad norm:", -1, 1 }, { "grad_norm", 5, 0 },
	{ "NCCL WARN", 6, 0 }, { "NCCL INFO", 7, 0 }, { "CUDA out of memory", 8, 0 },
	{ "abcde", 9, 1 }, { "bcdea", 9, 0 }, { "aaaaaa", 10, 0 }, { "a:a:a:a:a", 11, 1 },
};

static const struct lit four_lit[] = { { "s/it", 12, 0 } };
static const struct lit short_lit[] = { { "|:", 13, 0 } };

#define NRULES 16

static int brute_rules(const struct lit *ls, size_t nl, const char *rec, size_t n, int *want)
{
	int any = 0;
	for (size_t i = 0; i < nl; i++)
		if (ls[i].rule >= 0 && memmem(rec, n, ls[i].p, strlen(ls[i].p)))
			want[ls[i].rule] = 1, any = 1;
	return any;
}

static int run(struct tm_test_state *st, const struct lit *extra, size_t nextra, uint64_t seed)
{
	struct lit ls[32];
	size_t nl = 0;
	for (size_t i = 0; i < sizeof(long_lits) / sizeof(long_lits[0]); i++)
		ls[nl++] = long_lits[i];
	for (size_t i = 0; i < nextra; i++)
		ls[nl++] = extra[i];
	struct tm_prefilter *pf = tm_prefilter_new(NRULES);
	uint32_t needle_of[32];
	for (size_t i = 0; i < nl; i++) {
		if (ls[i].rule >= 0)
			tm_prefilter_add(pf, (uint32_t)ls[i].rule, ls[i].p, strlen(ls[i].p));
		needle_of[i] = ls[i].needle ? tm_prefilter_needle(pf, ls[i].p, strlen(ls[i].p)) : TM_NO_NEEDLE;
	}
	tm_prefilter_always(pf, NRULES - 1);
	tm_prefilter_done(pf);
	size_t nn = tm_prefilter_needles(pf);
	struct tm_cands c = { 0 };
	c.seen = calloc(NRULES + 1, sizeof(*c.seen));
	c.cand = calloc(NRULES + 1, sizeof(*c.cand));
	c.nseen = calloc(nn + 1, sizeof(*c.nseen));
	c.npos = calloc(nn + 1, sizeof(*c.npos));
	static const char alphabet[] = "aes:=lo ti| ";
	char rec[1200];
	int bad = 0;
	for (int iter = 0; iter < 20000 && !bad; iter++) {
		size_t n = tm_test_next(&seed) % 1100;
		for (size_t i = 0; i < n; i++)
			rec[i] = alphabet[tm_test_next(&seed) % (sizeof(alphabet) - 1)];
		size_t sow = n ? tm_test_next(&seed) % 40 : 0;    /* up to 40: more than a verify batch */
		for (size_t k = 0; k < sow; k++) {
			const struct lit *l = &ls[tm_test_next(&seed) % nl];
			size_t len = strlen(l->p);
			char tmp[64];
			memcpy(tmp, l->p, len);
			switch (tm_test_next(&seed) % 4) {
			case 0: tmp[tm_test_next(&seed) % len] ^= 1; break;     /* one byte off */
			case 1: len--; break;                            /* cut short at the end */
			case 2: memmove(tmp, tmp + 1, --len); break;     /* and at the start */
			default: break;
			}
			if (len == 0 || len > n)
				continue;
			size_t at = tm_test_next(&seed) % 3 == 0 ? (tm_test_next(&seed) % 2 ? 0 : n - len)
								  : tm_test_next(&seed) % (n - len + 1);
			memcpy(rec + at, tmp, len);
		}
		if (++c.gen == 0)
			c.gen = 1;
		size_t nc = tm_prefilter_scan(pf, &c, (const unsigned char *)rec, n);
		int want[NRULES] = { 0 }, got[NRULES] = { 0 };
		int any = brute_rules(ls, nl, rec, n, want);
		want[NRULES - 1] = 1;
		for (size_t i = 0; i < nc; i++)
			got[c.cand[i]]++;
		for (int r = 0; r < NRULES; r++)
			if (got[r] != want[r])
				bad = 1;
		if (c.literal_hit != any)
			bad = 1;
		for (size_t i = 0; i < nl; i++) {
			if (needle_of[i] == TM_NO_NEEDLE)
				continue;
			const char *f = memmem(rec, n, ls[i].p, strlen(ls[i].p));
			int seen = c.nseen[needle_of[i]] == c.gen;
			if (seen != (f != NULL) || (f && c.npos[needle_of[i]] != (size_t)(f - rec)))
				bad = 1;
		}
		if (bad)
			fprintf(stderr, "record %d (%zu bytes) differs from memmem: %.*s\n", iter, n, (int)n, rec);
	}
	TM_CHECK(st, !bad);
	free(c.seen);
	free(c.cand);
	free(c.nseen);
	free(c.npos);
	tm_prefilter_free(pf);
	return bad;
}

int main(void)
{
	struct tm_test_state st = { 0 };
	run(&st, NULL, 0, 0x9e3779b97f4a7c15u);
	run(&st, four_lit, 1, 0x243f6a8885a308d3u);
	run(&st, short_lit, 1, 0x13198a2e03707344u);
	return tm_test_done(&st, "test_prefilter");
}

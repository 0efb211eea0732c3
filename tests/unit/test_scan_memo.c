/* test_scan_memo.c: tm_scan_memo_scan against a brute-force search, on records that repeat by
 * skeleton as a log's lines do. Templates (random bytes over an alphabet with digits, the bytes
 * next to them, '/' and ':', and bytes >= 0x80, sown with literals and near-misses) are printed
 * again and again with their digits redrawn, so the memo answers most records; its answers must
 * be exactly memmem's: the rules one of whose literals occurs, the rules without a literal, each
 * needle's first offset, literal_hit. Literals with digits ("Rank 0", "-11", "e+0", "7") occur
 * or not as the digits are redrawn: those records must be scanned again. Phases: a few templates
 * (the memo's steady state), more templates than slots (evictions), records that never repeat
 * (the memo rests, then wakes), lengths around the memo's bounds and its blocks, shapes alike but
 * for their middle, a literal with a digit whose skeleton overlaps itself. */
#include <stdint.h>

#include "tm_test.h"
#include "trainmon/prefilter.h"
#include "trainmon/scan_memo.h"

struct lit {
	const char *p;
	int rule;       /* -1: a needle only */
	int needle;     /* 1: also a needle */
};

static const struct lit lits[] = {
	{ "loss:", 0, 1 }, { "loss=", 1, 0 }, { "loss ", 1, 0 }, { "Loss:", 2, 1 },
	{ "iteration ", 3, 0 }, { "elapsed time per iteration (ms):", -1, 1 },
	{ "grad norm:", -1, 1 }, { "NCCL WARN", 4, 0 }, { "a/b:c", 5, 1 }, { "\xc3\xa9t\xc3\xa9:", 11, 0 },
	/* from here on, literals with a digit */
	{ "[Rank 0] step=", 6, 1 }, { "code -11", 7, 0 }, { "e+0", 8, 0 }, { "=77:", 9, 0 },
	{ "iter 12/", 10, 1 }, { "1.2.1", 13, 1 },   /* its skeleton 0.0.0 overlaps itself */
	{ "7", 12, 0 },         /* last: only in the second rig (a skeleton with a digit may hold it) */
};
#define NPLAIN 10               /* lits[0, NPLAIN) have no digit */
#define NLITS_ALL (sizeof(lits) / sizeof(lits[0]))
#define NRULES 15

static const char alphabet[] = "aes:=lo ti| 0123456789/:.\xc3\xa9";

struct rig {
	size_t nlits;                   /* lits[0, nlits) */
	unsigned digit_every;           /* a literal with a digit in one sowing of that many, 0 never */
	struct tm_prefilter *pf;
	struct tm_scan_memo *memo;
	struct tm_cands c;
	uint32_t needle_of[NLITS_ALL];
};

static void rig_init(struct rig *g, size_t nlits)
{
	g->nlits = nlits;
	g->digit_every = 0;
	g->pf = tm_prefilter_new(NRULES);
	for (size_t i = 0; i < nlits; i++) {
		if (lits[i].rule >= 0)
			tm_prefilter_add(g->pf, (uint32_t)lits[i].rule, lits[i].p, strlen(lits[i].p));
		g->needle_of[i] = lits[i].needle ? tm_prefilter_needle(g->pf, lits[i].p, strlen(lits[i].p))
						 : TM_NO_NEEDLE;
	}
	tm_prefilter_always(g->pf, NRULES - 1);
	tm_prefilter_done(g->pf);
	size_t nn = tm_prefilter_needles(g->pf);
	memset(&g->c, 0, sizeof(g->c));
	g->c.seen = calloc(NRULES + 1, sizeof(*g->c.seen));
	g->c.cand = calloc(NRULES + 1, sizeof(*g->c.cand));
	g->c.nseen = calloc(nn + 1, sizeof(*g->c.nseen));
	g->c.npos = calloc(nn + 1, sizeof(*g->c.npos));
	g->memo = tm_scan_memo_new(g->pf);
}

static void rig_free(struct rig *g)
{
	tm_scan_memo_free(g->memo);
	free(g->c.seen);
	free(g->c.cand);
	free(g->c.nseen);
	free(g->c.npos);
	tm_prefilter_free(g->pf);
}

/* A random record of n bytes sown with literals and near-misses of them. */
static void make(const struct rig *g, char *rec, size_t n, uint64_t *seed)
{
	for (size_t i = 0; i < n; i++)
		rec[i] = alphabet[tm_test_next(seed) % (sizeof(alphabet) - 1)];
	size_t sow = n ? tm_test_next(seed) % 12 : 0;
	for (size_t k = 0; k < sow; k++) {
		/* a template that may hold a literal with a digit is scanned every time */
		int any = g->digit_every && tm_test_next(seed) % g->digit_every == 0;
		const struct lit *l = &lits[any ? NPLAIN + tm_test_next(seed) % (g->nlits - NPLAIN) : tm_test_next(seed) % NPLAIN];
		size_t len = strlen(l->p);
		char tmp[64];
		memcpy(tmp, l->p, len);
		if (tm_test_next(seed) % 3 == 0)
			tmp[tm_test_next(seed) % len] ^= 1;             /* one byte off */
		if (len > n)
			continue;
		size_t at = tm_test_next(seed) % 3 == 0 ? (tm_test_next(seed) % 2 ? 0 : n - len) : tm_test_next(seed) % (n - len + 1);
		memcpy(rec + at, tmp, len);
	}
}

/* The record again with every digit redrawn: the same skeleton. */
static void redraw(char *rec, size_t n, uint64_t *seed)
{
	for (size_t i = 0; i < n; i++)
		if (rec[i] >= '0' && rec[i] <= '9')
			rec[i] = (char)('0' + tm_test_next(seed) % 10);
		else if (tm_test_next(seed) % 8 == 0 && rec[i] == ' ')
			rec[i] = ' ';
}

/* One record through the memo, checked against memmem; 0 when it agrees. */
static int check(struct rig *g, const char *rec, size_t n)
{
	struct tm_cands *c = &g->c;
	if (++c->gen == 0)
		c->gen = 1;
	size_t nc = tm_scan_memo_scan(g->memo, c, (const unsigned char *)rec, n);
	int want[NRULES] = { 0 }, got[NRULES] = { 0 }, any = 0;
	for (size_t i = 0; i < g->nlits; i++)
		if (lits[i].rule >= 0 && memmem(rec, n, lits[i].p, strlen(lits[i].p)))
			want[lits[i].rule] = 1, any = 1;
	want[NRULES - 1] = 1;
	for (size_t i = 0; i < nc; i++)
		got[c->cand[i]]++;
	int bad = c->literal_hit != any;
	for (int r = 0; r < NRULES; r++)
		bad |= got[r] != want[r];
	for (size_t i = 0; i < g->nlits; i++) {
		if (g->needle_of[i] == TM_NO_NEEDLE)
			continue;
		const char *f = memmem(rec, n, lits[i].p, strlen(lits[i].p));
		int seen = c->nseen[g->needle_of[i]] == c->gen;
		bad |= seen != (f != NULL) || (f && c->npos[g->needle_of[i]] != (size_t)(f - rec));
	}
	if (bad)
		fprintf(stderr, "record of %zu bytes differs from memmem: %.*s\n", n, (int)n, rec);
	return bad;
}

#define MAXT 600

/* Records from ntempl templates of lengths lo..hi, each printed again with its digits redrawn.
 * Returns the number of disagreements. */
static int phase(struct rig *g, size_t ntempl, size_t lo, size_t hi, int records, uint64_t seed)
{
	static char tpl[MAXT][600];
	static size_t len[MAXT];
	char rec[600];
	for (size_t t = 0; t < ntempl; t++) {
		len[t] = lo + tm_test_next(&seed) % (hi - lo + 1);
		make(g, tpl[t], len[t], &seed);
	}
	int bad = 0;
	for (int k = 0; k < records && !bad; k++) {
		size_t t = tm_test_next(&seed) % ntempl;
		memcpy(rec, tpl[t], len[t]);
		redraw(rec, len[t], &seed);
		bad += check(g, rec, len[t]);
	}
	return bad;
}

/* Shapes that share their length, head and tail (the blocks the slot's hash reads) and differ
 * in the middle: the memo must tell them apart by their bytes. */
static int middles(struct rig *g, int records, uint64_t seed)
{
	char base[300], rec[300];
	make(g, base, sizeof(base), &seed);
	int bad = 0;
	for (int k = 0; k < records && !bad; k++) {
		memcpy(rec, base, sizeof(rec));
		const char *l = lits[tm_test_next(&seed) % NPLAIN].p;
		memcpy(rec + 100 + tm_test_next(&seed) % 8 * 16, l, strlen(l));
		redraw(rec, sizeof(rec), &seed);
		bad += check(g, rec, sizeof(rec));
	}
	return bad;
}

/* A literal whose skeleton overlaps itself ("1.2.1": 0.0.0) in a run of digits and dots: it can
 * start at every other place, each a probe of its own. */
static int overlaps(struct rig *g, int records, uint64_t seed)
{
	char rec[64];
	int bad = 0;
	for (int k = 0; k < records && !bad; k++) {
		memcpy(rec, "version x.x.x.x.x.x of the loss: trainer (0/0) grad norm: 0", 59);
		for (size_t i = 8; i < 19; i += 2)
			rec[i] = (char)('1' + tm_test_next(&seed) % 2);
		bad += check(g, rec, 59);
	}
	return bad;
}

int main(void)
{
	struct tm_test_state st = { 0 };
	struct rig g;
	rig_init(&g, NLITS_ALL - 1);
	g.digit_every = 12;             /* about a third of the templates hold a literal with a digit */

	/* steady state: a dozen shapes, most records answered by the memo */
	TM_CHECK(&st, phase(&g, 12, 32, 400, 40000, 0x9e3779b97f4a7c15u) == 0);
	uint64_t h1 = tm_scan_memo_hits(g.memo), l1 = tm_scan_memo_lookups(g.memo);
	TM_CHECK(&st, l1 == 40000 - 128);           /* it starts after 128 records */
	TM_CHECK(&st, h1 > l1 / 4);                 /* the memo was used (else nothing was tested) */
	TM_CHECK(&st, l1 - h1 > 50);                /* and records whose literals with a digit
						       came or went were scanned again (12
						       first sights are the only other misses) */
	printf("steady: %llu of %llu answered by the memo\n", (unsigned long long)h1, (unsigned long long)l1);

	/* the bounds: records of 1-31 and 513+ bytes bypass the memo; 32, 33, 47, 48, 49, 511, 512 use it */
	static const size_t lens[] = { 1, 8, 16, 31, 32, 33, 47, 48, 49, 63, 64, 65, 511, 512, 513, 590 };
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		TM_CHECK(&st, phase(&g, 3, lens[i], lens[i], 2000, 0x243f6a8885a308d3u + i) == 0);

	TM_CHECK(&st, middles(&g, 20000, 0xbe5466cf34e90c6cu) == 0);

	/* more shapes than slots: evictions */
	TM_CHECK(&st, phase(&g, MAXT, 32, 200, 60000, 0x13198a2e03707344u) == 0);

	/* records that never repeat: the memo rests, and wakes for shapes that repeat */
	uint64_t l2 = tm_scan_memo_lookups(g.memo);
	uint64_t seed = 0xa4093822299f31d0u;
	int bad = 0;
	char rec[600];
	for (int k = 0; k < 50000 && !bad; k++) {
		size_t n = 40 + tm_test_next(&seed) % 300;
		make(&g, rec, n, &seed);
		bad += check(&g, rec, n);
	}
	TM_CHECK(&st, bad == 0);
	uint64_t l3 = tm_scan_memo_lookups(g.memo);
	TM_CHECK(&st, l3 - l2 < 50000 / 4);          /* it rested most of the time */
	printf("unique records: %llu of 50000 looked up\n", (unsigned long long)(l3 - l2));
	g.digit_every = 0;
	TM_CHECK(&st, phase(&g, 5, 60, 300, 40000, 0x082efa98ec4e6c89u) == 0);
	TM_CHECK(&st, tm_scan_memo_hits(g.memo) - h1 > 20000);   /* awake again */

	rig_free(&g);

	/* places of a literal with a digit that overlap (a fresh memo: the phases above leave it
	 * resting) */
	rig_init(&g, NLITS_ALL - 1);
	TM_CHECK(&st, overlaps(&g, 5000, 0x3f84d5b5b5470917u) == 0);
	TM_CHECK(&st, tm_scan_memo_hits(g.memo) > 50);     /* (few: its probes change often) */
	rig_free(&g);

	/* a one-byte literal with a digit: every skeleton with a digit may hold it, so those records
	 * are all scanned again (exact, however few the memo answers) */
	rig_init(&g, NLITS_ALL);
	g.digit_every = 12;
	TM_CHECK(&st, phase(&g, 12, 32, 400, 20000, 0x452821e638d01377u) == 0);
	rig_free(&g);
	return tm_test_done(&st, "test_scan_memo");
}

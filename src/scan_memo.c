/* scan_memo.c: prefilter answers remembered by skeleton (see scan_memo.h).
 *
 * A table of TM_MEMO_SLOTS skeletons, each with its scan's answer: the candidate rules, the
 * needles' first offsets, literal_hit. For a record of TM_MEMO_MIN to TM_MEMO_MAX bytes, a hash of
 * its length and of the skeleton of its first two and last blocks picks two slots (a new shape
 * takes the one not used since the other was); a slot answers when it holds a record of that
 * hash and length whose skeleton is the record's skeleton, compared block by block as it is made
 * (16 bytes a step with SSE2: the digits found by a byte-wise x - '0' <= 9, their low nibble
 * cleared, '0'-'9' -> '0'). Otherwise the record is
 * scanned and the slot takes its answer, unless the answer is too large for a slot. A literal
 * with a digit can only be where its own skeleton is in the record's (tm_prefilter_digit_probes):
 * the slot keeps those places (probes, found at the shape's second record) and whether the
 * literal was at each in the record scanned, and answers only a record for which that is so
 * again; a skeleton with more places than TM_MEMO_PROBES is kept as "scan again".
 *
 * A log of lines that never repeat would pay the skeleton for nothing, so the memo watches its
 * hits: fewer than a quarter in a window of TM_MEMO_WINDOW lookups, and the next TM_MEMO_REST
 * records are scanned without it. Exactness never depends on the hits; only time does.
 * The memo starts after TM_MEMO_WARM records. No per-record allocation: the table of slots is
 * allocated when it starts, a slot by the first record kept in it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/scan_memo.h"
#include "trainmon/xalloc.h"
#include "swar.h"
#include "banned.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "scan_memo.c builds skeletons from little-endian words");

#define TM_MEMO_SLOTS 256         /* a log's steady state has a few dozen line shapes */
#define TM_MEMO_MIN 32            /* shorter records scan in a few loads */
#define TM_MEMO_MAX 512           /* an iteration line is 150-400 bytes */
#define TM_MEMO_CANDS 30
#define TM_MEMO_NEEDLES 30
#define TM_MEMO_PROBES 8          /* places a literal with a digit could be, checked per record */
#define TM_MEMO_WINDOW 1024
#define TM_MEMO_REST 32768
#define TM_MEMO_WARM 128          /* records scanned before the memo starts: a daemon follows
				     thousands of files, many of them a few lines long; analyze
				     starts a memo per file (1 MiB files: about 6 000 records) */

struct memo_slot {
	uint64_t hash;                 /* 0: empty */
	uint16_t len;
	uint8_t rescan;                /* 1: more than TM_MEMO_PROBES places where a literal with a
					  digit could be: scan every record */
	uint8_t literal_hit;
	uint8_t ncand, nneedle;
	uint8_t used;                  /* answered a record since it was kept or last passed over */
	uint8_t probed;                /* 0: nprobe, probe, bits and rescan not known yet */
	uint8_t nprobe;                /* places where a literal with a digit could be */
	uint8_t bits;                  /* bit k: probe k's literal is at its place in the record
					  the answer is for */
	struct tm_digit_probe probe[TM_MEMO_PROBES];
	uint32_t cand[TM_MEMO_CANDS];
	uint32_t needle[TM_MEMO_NEEDLES];
	uint16_t npos[TM_MEMO_NEEDLES];
	unsigned char skel[TM_MEMO_MAX];
};

struct tm_scan_memo {
	const struct tm_prefilter *pf;    /* borrowed */
	struct memo_slot **slot;          /* owned, TM_MEMO_SLOTS, NULL until the memo starts; each
					     owned, NULL until a record is kept there (a file with
					     few shapes allocates few: there is a memo per file) */
	uint32_t wlookups, whits;         /* in the current window */
	uint32_t rest;                    /* records still to scan without the memo (at first:
					     TM_MEMO_WARM) */
	uint64_t lookups, hits;
};

struct tm_scan_memo *tm_scan_memo_new(const struct tm_prefilter *pf)
{
	struct tm_scan_memo *m = tm_xcalloc(1, sizeof(*m));
	m->pf = pf;
	m->rest = TM_MEMO_WARM;
	return m;
}

void tm_scan_memo_free(struct tm_scan_memo *m)
{
	if (!m)
		return;
	for (size_t i = 0; m->slot && i < TM_MEMO_SLOTS; i++)
		free(m->slot[i]);
	free(m->slot);
	free(m);
}

const struct tm_prefilter *tm_scan_memo_prefilter(const struct tm_scan_memo *m)
{
	return m->pf;
}

uint64_t tm_scan_memo_hits(const struct tm_scan_memo *m)
{
	return m ? m->hits : 0;
}

uint64_t tm_scan_memo_lookups(const struct tm_scan_memo *m)
{
	return m ? m->lookups : 0;
}

/* Skeleton blocks: TM_BLK bytes of a record with their digits made '0' (0x30-0x39 -> 0x30: the
 * low nibble cleared), 16 at a time with SSE2 (every x86-64), else 8 as a 64-bit word. */
#ifdef __SSE2__
#include <emmintrin.h>
#define TM_BLK 16
typedef __m128i blk_t;

static inline blk_t skel_blk(const unsigned char *p)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i t = _mm_sub_epi8(x, _mm_set1_epi8('0'));
	__m128i dig = _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8(9)), t);     /* t <= 9 unsigned */
	return _mm_andnot_si128(_mm_and_si128(dig, _mm_set1_epi8(0x0f)), x);
}

static inline uint64_t blk_word(blk_t b)     /* a 64-bit digest of the block */
{
	return (uint64_t)_mm_cvtsi128_si64(b) ^ ((uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(b, b)) * 31);
}

static inline int blk_differ(blk_t a, const unsigned char *q)
{
	__m128i b = _mm_loadu_si128((const __m128i *)(const void *)q);
	return _mm_movemask_epi8(_mm_cmpeq_epi8(a, b)) != 0xffff;
}

static inline void blk_store(unsigned char *q, blk_t b)
{
	_mm_storeu_si128((__m128i *)(void *)q, b);
}
#else
#define TM_BLK 8
typedef uint64_t blk_t;

static inline blk_t skel_blk(const unsigned char *p)
{
	uint64_t x;
	memcpy(&x, p, 8);
	uint64_t d = tm_swar_in(x, '0' * TM_SWAR_ONES, '9' * TM_SWAR_ONES) >> 7;   /* 1 per digit */
	return x & ~(d * 0x0f);
}

static inline uint64_t blk_word(blk_t b)
{
	return b;
}

static inline int blk_differ(blk_t a, const unsigned char *q)
{
	uint64_t b;
	memcpy(&b, q, 8);
	return a != b;
}

static inline void blk_store(unsigned char *q, blk_t b)
{
	memcpy(q, &b, 8);
}
#endif

_Static_assert(TM_MEMO_MIN >= 2 * TM_BLK, "a record holds a head and a tail block");

/* The hash of a record's skeleton, from its length, its first two blocks and its last: only a
 * slot's choice (a slot's bytes are compared whole), so it need not read every byte. Never 0. */
static uint64_t skel_hash(const unsigned char *p, size_t n)
{
	uint64_t h = n * UINT64_C(0x9e3779b97f4a7c15);
	h ^= blk_word(skel_blk(p));
	h = (h ^ (h >> 31)) * UINT64_C(0xbf58476d1ce4e5b9);
	h ^= blk_word(skel_blk(p + TM_BLK));
	h = (h ^ (h >> 31)) * UINT64_C(0x94d049bb133111eb);
	h ^= blk_word(skel_blk(p + n - TM_BLK));
	h = (h ^ (h >> 29)) * UINT64_C(0x9e3779b97f4a7c15);
	h ^= h >> 32;
	return h ? h : 1;
}

/* Whether the skeleton of p[0, n) is sk[0, n) (the last block read where it ends, over bytes
 * compared already). */
static int skel_same(const unsigned char *p, size_t n, const unsigned char *sk)
{
	size_t i = 0;
	int differ = 0;
	for (; i + TM_BLK <= n; i += TM_BLK)
		differ |= blk_differ(skel_blk(p + i), sk + i);
	if (i < n)
		differ |= blk_differ(skel_blk(p + n - TM_BLK), sk + n - TM_BLK);
	return !differ;
}

/* Writes the skeleton of p[0, n) to out. */
static void skel_write(const unsigned char *p, size_t n, unsigned char *out)
{
	size_t i = 0;
	for (; i + TM_BLK <= n; i += TM_BLK)
		blk_store(out + i, skel_blk(p + i));
	if (i < n)
		blk_store(out + n - TM_BLK, skel_blk(p + n - TM_BLK));
}

/* Bit k: the record p holds probe k's literal at the probe's offset. */
static uint8_t probe_bits(const struct memo_slot *s, const unsigned char *p)
{
	uint8_t b = 0;
	for (unsigned k = 0; k < s->nprobe; k++)
		b |= (uint8_t)((memcmp(p + s->probe[k].off, s->probe[k].lit, s->probe[k].len) == 0) << k);
	return b;
}

/* The slot's answer from the scan just left in c; 0 when it is too large for a slot. */
static int keep_answer(const struct tm_scan_memo *m, struct memo_slot *s, const struct tm_cands *c, size_t nc)
{
	if (nc > TM_MEMO_CANDS)
		return 0;
	uint8_t nn = 0;
	size_t needles = tm_prefilter_needles(m->pf);
	for (size_t id = 0; id < needles; id++) {
		if (c->nseen[id] != c->gen)
			continue;
		if (nn == TM_MEMO_NEEDLES)
			return 0;
		s->needle[nn] = (uint32_t)id;
		s->npos[nn++] = (uint16_t)c->npos[id];
	}
	s->nneedle = nn;
	memcpy(s->cand, c->cand, nc * sizeof(*c->cand));
	s->ncand = (uint8_t)nc;
	s->literal_hit = (uint8_t)(c->literal_hit != 0);
	return 1;
}

/* The slot takes the record p[0, n) of that hash, and the answer the scan just left in c. */
static void store(struct tm_scan_memo *m, struct memo_slot *s, uint64_t hash, const unsigned char *p, size_t n,
		  const struct tm_cands *c, size_t nc)
{
	s->hash = 0;
	if (!keep_answer(m, s, c, nc))
		return;
	skel_write(p, n, s->skel);
	s->len = (uint16_t)n;
	s->probed = 0;                 /* the probes wait for the shape's second record: a line that
					  never comes again costs no search for them */
	s->hash = hash;
}

/* The places of the slot's shape where a literal with a digit could be. */
static void find_probes(const struct tm_scan_memo *m, struct memo_slot *s)
{
	size_t np = tm_prefilter_digit_probes(m->pf, s->skel, s->len, s->probe, TM_MEMO_PROBES);
	s->rescan = np > TM_MEMO_PROBES;
	s->nprobe = (uint8_t)(s->rescan ? 0 : np);
	s->probed = 1;
}

/* Counts a lookup; a window with too few hits rests the memo. */
static void account(struct tm_scan_memo *m, int hit)
{
	m->lookups++;
	m->hits += (uint64_t)hit;
	m->whits += (uint32_t)hit;
	if (++m->wlookups < TM_MEMO_WINDOW)
		return;
	if (m->whits < TM_MEMO_WINDOW / 4)
		m->rest = TM_MEMO_REST;
	m->wlookups = m->whits = 0;
}

size_t tm_scan_memo_scan(struct tm_scan_memo *m, struct tm_cands *c, const unsigned char *p, size_t n)
{
	if (n < TM_MEMO_MIN || n > TM_MEMO_MAX)
		return tm_prefilter_scan(m->pf, c, p, n);
	if (m->rest) {
		m->rest--;
		return tm_prefilter_scan(m->pf, c, p, n);
	}
	if (!m->slot)
		m->slot = tm_xcalloc(TM_MEMO_SLOTS, sizeof(*m->slot));
	uint64_t hash = skel_hash(p, n);
	/* two places a shape may be kept (a log's shapes would otherwise evict each other whenever
	 * two of them share a place); a new shape takes the one not used since the other was */
	struct memo_slot **sa = &m->slot[hash >> 56 & (TM_MEMO_SLOTS - 1)];
	struct memo_slot **sb = &m->slot[hash >> 48 & (TM_MEMO_SLOTS - 1)];
	struct memo_slot *s = *sa;
	if (!(s && s->hash == hash && s->len == n))
		s = *sb;
	if (s && s->hash == hash && s->len == n && skel_same(p, n, s->skel)) {
		s->used = 1;
		/* the same skeleton; with each literal with a digit where it was or was not, the same
		 * literals at the same offsets as the record the answer is for: the same answer */
		int first = !s->probed;        /* the answer kept has no probe bits yet */
		if (first)
			find_probes(m, s);
		uint8_t bits = s->rescan ? 0 : probe_bits(s, p);
		if (!first && !s->rescan && bits == s->bits) {
			account(m, 1);
			memcpy(c->cand, s->cand, s->ncand * sizeof(*c->cand));
			for (unsigned k = 0; k < s->nneedle; k++) {
				c->nseen[s->needle[k]] = c->gen;
				c->npos[s->needle[k]] = s->npos[k];
			}
			c->literal_hit = s->literal_hit;
			return s->ncand;
		}
		account(m, 0);
		size_t nc = tm_prefilter_scan(m->pf, c, p, n);
		if (!s->rescan) {             /* its second record, or another pattern of those literals:
						 keep the latest */
			if (keep_answer(m, s, c, nc))
				s->bits = bits;
			else
				s->hash = 0;
		}
		return nc;
	}
	account(m, 0);
	size_t nc = tm_prefilter_scan(m->pf, c, p, n);
	/* the new shape takes an empty place, else b when a answered a record since it was last
	 * passed over (a clock of one bit), else a */
	struct memo_slot **sp;
	if (!*sa)
		sp = sa;
	else if (!*sb)
		sp = sb;
	else if ((*sa)->used)
		(*sa)->used = 0, sp = sb;
	else
		sp = sa;
	if (!*sp)
		*sp = tm_xmalloc(sizeof(**sp));
	(*sp)->used = 0;
	store(m, *sp, hash, p, n, c, nc);
	return nc;
}

/* scan_memo.h: a prefilter scan's answer remembered by the shape of the record.
 *
 * A training log prints the same few lines over and over with other numbers in them: an
 * iteration line every step, a warning from every rank. Its skeleton (the record with every
 * digit made '0', same length) is the same each time, and so is the prefilter's answer for every
 * literal without a digit: such a literal occurs at q in the record exactly when it occurs at q in
 * the skeleton (it cannot lie over a digit, and every other byte is unchanged). So a record whose
 * skeleton was scanned before gets the candidates and needle offsets of that scan without a
 * scan of its own, which on an iteration line is most of the prefilter's work (verifying ~30
 * windows). A literal with a digit ("Rank 0", ": -11") is the exception: a skeleton that could
 * hold one is remembered as "scan again", so the answer is always exactly the scan's.
 *
 * Layering: match.c -> scan_memo.c -> prefilter.c. One memo per thread (per matcher), like
 * struct tm_cands; it is a cache of its prefilter's answers and must be used with that one only.
 */
#ifndef TRAINMON_SCAN_MEMO_H
#define TRAINMON_SCAN_MEMO_H

#include <stddef.h>
#include <stdint.h>

#include "trainmon/prefilter.h"

struct tm_scan_memo;

/* A memo for scans with pf (borrowed, must outlive it); owned, tm_scan_memo_free(). It starts
 * after the first 128 records it is given (a file of a few lines never pays for it): 2 KiB then, and
 * under 1 KiB more for each record shape it keeps (256 at most). */
struct tm_scan_memo *tm_scan_memo_new(const struct tm_prefilter *pf);
/* tm_scan_memo_free(NULL) does nothing. */
void tm_scan_memo_free(struct tm_scan_memo *memo);

/* As tm_prefilter_scan(pf, c, p, n), the same candidates (in c->cand, perhaps in another order),
 * needle offsets and literal_hit; from the memo when p's skeleton was scanned before. c->seen is
 * not stamped on a remembered answer. */
size_t tm_scan_memo_scan(struct tm_scan_memo *memo, struct tm_cands *c, const unsigned char *p, size_t n);

/* The prefilter the memo answers for. */
const struct tm_prefilter *tm_scan_memo_prefilter(const struct tm_scan_memo *memo);

/* Records answered from the memo, and records looked up (for tests and the bench). */
uint64_t tm_scan_memo_hits(const struct tm_scan_memo *memo);
uint64_t tm_scan_memo_lookups(const struct tm_scan_memo *memo);

#endif

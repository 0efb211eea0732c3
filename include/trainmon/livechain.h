/* livechain.h: the chains of `trainmon watch`, kept live: a segment per followed file (made again
 * from its run when new lines came), the segments of files gone that a chain still needs,
 * grouped and computed as `analyze` does it (chain.h), and each chain's counters, which only go
 * up (struct tm_chain_counters), across recomputations and, through the state file, restarts.
 *
 * Key decision: a counter is the highest value the ledger has given it, never the latest, so a
 * bucket the next segment lowers (productive time that its resume shows was wasted) holds still
 * until the ledger overtakes it again (docs/design.md, "Live chains"). Plain data and pure
 * functions over runs: no I/O, no loop; notes go through the caller's callback.
 */
#ifndef TRAINMON_LIVECHAIN_H
#define TRAINMON_LIVECHAIN_H

#include <stddef.h>

#include "trainmon/chain.h"
#include "trainmon/run.h"
#include "trainmon/summary.h"

struct tm_livechain;

/* o's strings are copied; o->singles is set whatever it says. */
struct tm_livechain *tm_livechain_new(const struct tm_chain_opts *o);
void tm_livechain_free(struct tm_livechain *lc);

/* A followed file is known by key (the caller's, compared as a pointer: the daemon's struct
 * tm_watched). Its run has new lines: its segment is made again from r and s (borrowed for the
 * call). A run without steps or events has no segment (a file that has said nothing yet). */
void tm_livechain_update(struct tm_livechain *lc, const void *key, const struct tm_run *r,
			 const struct tm_summary *s);
/* key's file is followed no more: at the next compute its segment stays if a chain of two or more
 * holds it (the chain's ledger needs its steps), else it goes. Costs no computation. */
void tm_livechain_gone(struct tm_livechain *lc, const void *key);
/* Counters saved by an earlier daemon (names copied): a chain computed later with the same name
 * goes on from them. Call before the first tm_livechain_compute. */
void tm_livechain_restore(struct tm_livechain *lc, const struct tm_chain_counters *v, size_t n);

typedef void (*tm_livechain_note_fn)(void *ctx, const char *msg);
/* Groups and computes the chains when a segment changed since the last call, and raises the
 * counters. Counters of chains that no segment belongs to any more are dropped. A chain whose
 * recurrence (tm_chain_same_cause) grew to two or more gets a note (note may be NULL). Returns 1
 * when it computed, 0 when nothing had changed. Grouping by resume evidence compares every pair
 * of segments (chain.c): O(n^2) in the segments, once per change. */
int tm_livechain_compute(struct tm_livechain *lc, tm_livechain_note_fn note, void *ctx);

/* The name of the chain key's segment is in, as of the last compute: borrowed until the next
 * tm_livechain_compute; NULL when it has none. */
const char *tm_livechain_chain_of(const struct tm_livechain *lc, const void *key);
/* fn(ctx, key, name) for each followed file's segment, name as tm_livechain_chain_of gives it. */
void tm_livechain_each(const struct tm_livechain *lc, void (*fn)(void *ctx, const void *key, const char *name),
		       void *ctx);
/* The counters: borrowed until the next tm_livechain_compute or _restore. */
const struct tm_chain_counters *tm_livechain_counters(const struct tm_livechain *lc, size_t *n);

#endif

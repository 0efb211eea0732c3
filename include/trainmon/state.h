/* state.h: the watch daemon's state file: per followed file its position (dev, ino, offset after
 * the last complete line, line count, marker bytes, identity: head and window hashes and birth
 * time), its run's accumulators and its alert states.
 *
 * Written atomically (temp file, fsync, rename, fsync of the directory) so a crash leaves the old
 * or the new state, never a mix. A text format with a checksum line: a corrupt or truncated file
 * is reported and ignored as a whole, never half-applied.
 */
#ifndef TRAINMON_STATE_H
#define TRAINMON_STATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "trainmon/alert.h"
#include "trainmon/tail.h"

struct tm_saved {
	char *path;                 /* owned */
	int has_pos;
	dev_t dev;
	ino_t ino;
	uint64_t off, line;
	unsigned char marker[TM_MARKER_LEN];
	size_t marker_len;
	struct tm_tail_ident ident; /* all zero (unknown) in a version 1 state file */
	struct tm_run run;          /* owned accumulators (rs and m unset: tm_state_apply sets them) */
	char *framework;            /* owned pack name or NULL */
	struct tm_alerts alerts;
	int used;                   /* matched to a tail */
};

struct tm_state_entry {             /* what tm_state_save writes for one file */
	const struct tm_tail *tail;
	const struct tm_alerts *alerts;
};

/* Returns 0 or -errno (the old state file is then untouched). */
int tm_state_save(const char *path, const struct tm_state_entry *v, size_t n);
/* Returns 0 with *out (owned array, free with tm_state_free) or, for a missing file, 0 and n 0;
 * -1 with a message in err for a corrupt file; -errno when unreadable. */
int tm_state_load(const char *path, struct tm_saved **out, size_t *n, char *err, size_t errlen);
void tm_state_free(struct tm_saved *v, size_t n);
/* Moves a saved run's accumulators into a live run (same file). */
void tm_state_apply_run(struct tm_saved *s, struct tm_run *run);

#endif

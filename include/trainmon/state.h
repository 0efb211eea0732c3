/* state.h: the watch daemon's state file: per followed file its position (dev, ino, offset after
 * the last complete line, line count, marker bytes, identity: head and window hashes and birth
 * time), its run's accumulators (with its phase records since version 4) and its alert states;
 * beside the files (version 3), the notifications not yet delivered (notify.h), so a restart
 * neither loses nor repeats one, and (version 4) each live chain's counters (livechain.h), so a
 * restart neither counts anything twice nor makes a counter go back.
 *
 * Written atomically (temp file, fsync, rename, fsync of the directory) so a crash leaves the old
 * or the new state, never a mix; the daemon saves in a forked child (tm_state_save_async) so a
 * large state never stalls its loop. A text format with a checksum line: a corrupt or truncated file
 * is reported and ignored as a whole, never half-applied.
 */
#ifndef TRAINMON_STATE_H
#define TRAINMON_STATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "trainmon/alert.h"
#include "trainmon/chain.h"
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

struct tm_state_pos {               /* a tail's position, as tm_tail_position gives it */
	int valid;
	dev_t dev;
	ino_t ino;
	uint64_t off, line;
	unsigned char marker[TM_MARKER_LEN];
	size_t marker_len;
	struct tm_tail_ident ident;
};

struct tm_state_entry {             /* what tm_state_save writes for one file */
	const struct tm_tail *tail;     /* borrowed */
	const struct tm_alerts *alerts; /* borrowed */
	const struct tm_state_pos *pos; /* borrowed, NULL: the tail's current position */
};

struct tm_state_note {              /* one notification of a --webhook or --alertmanager sink */
	char *sink;                 /* the sink's redacted name (scheme://host:port[#N]) */
	int am;                     /* 1: an Alertmanager alert (re-posted while active); 0: a webhook POST */
	char *id;                   /* AM: the labels as JSON (the alert's identity); webhook: its
				       Idempotency-Key */
	char *run;                  /* the run it belongs to (its file's path) */
	char *alert;                /* AM: the alert within the run ("trainmon_failure/nccl_timeout"); webhook: "" */
	char *body;                 /* AM: the annotations as JSON; webhook: the request body */
	int64_t starts_ms, ends_ms; /* AM: unix ms of startsAt, and of endsAt once resolved (0 firing) */
	int64_t hold_ms;            /* AM: unix ms when a one-shot alert resolves by itself (0 never) */
	uint32_t attempts;          /* failed deliveries so far */
};

/* What the state file keeps beside the files. Its strings are borrowed when saving, owned after
 * tm_state_load_with (free with tm_state_extra_release). */
struct tm_state_extra {
	struct tm_state_note *notes;
	size_t nnotes;
	struct tm_chain_counters *chains;  /* version 4; their gauges are not saved */
	size_t nchains;
};
void tm_state_extra_release(struct tm_state_extra *x);

/* The position to save for t: its current one, or, when its path names nothing now (renamed away,
 * drained and closed), *last: the inode last read, so a restart finds it renamed and reads on
 * from there (a few lines maybe twice, never lost). Updates *last. */
void tm_state_pos_capture(const struct tm_tail *t, struct tm_state_pos *last);

/* Writes PATH.tmp.PID, streamed (no copy of the state in memory), then renames it over path.
 * Returns 0 or -errno (the old state file is then untouched, the temp file removed). */
int tm_state_save(const char *path, const struct tm_state_entry *v, size_t n);
/* The same with the records beside the files (x NULL: none). */
int tm_state_save_with(const char *path, const struct tm_state_entry *v, size_t n, const struct tm_state_extra *x);
/* The same in a forked child working on a copy-on-write image of the caller's memory, so the
 * caller's loop is stalled only by fork() itself; v may be freed and the runs changed as soon as
 * this returns. Returns 0 with *child set, or -errno (fork failed; *child -1). The caller must
 * collect the child with tm_state_save_wait. */
int tm_state_save_async(const char *path, const struct tm_state_entry *v, size_t n, pid_t *child);
int tm_state_save_async_with(const char *path, const struct tm_state_entry *v, size_t n,
			     const struct tm_state_extra *x, pid_t *child);
/* Collects a save child: 1 still running (only when !block), 0 saved, -errno of a failed save.
 * A child someone else reaped already (waitpid(-1) of the --exec reaper) counts as saved. */
int tm_state_save_wait(pid_t child, int block);
/* Removes the temp files of saves that never finished (PATH.tmp.PID whose PID is not alive, or
 * is ours: a previous process with our number). Returns the count removed, or -errno when the
 * directory cannot be read. */
int tm_state_clean_temps(const char *path);
/* Returns 0 with *out (owned array, free with tm_state_free) or, for a missing file, 0 and n 0;
 * -1 with a message in err for a corrupt file; -errno when unreadable. */
int tm_state_load(const char *path, struct tm_saved **out, size_t *n, char *err, size_t errlen);
/* The same, also filling *x (zeroed first; x NULL: such records are skipped). */
int tm_state_load_with(const char *path, struct tm_saved **out, size_t *n, struct tm_state_extra *x, char *err,
		       size_t errlen);
void tm_state_free(struct tm_saved *v, size_t n);
/* Moves a saved run's accumulators into a live run (same file). */
void tm_state_apply_run(struct tm_saved *s, struct tm_run *run);

#endif

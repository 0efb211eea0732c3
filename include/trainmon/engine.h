/* engine.h: one pipeline for `analyze` and `watch`: fd -> lines -> matcher -> run.
 *
 * A tm_feed bundles the three stages for one file; analyze drives it to EOF, watch drives it as
 * bytes arrive. There is no other path from bytes to numbers.
 */
#ifndef TRAINMON_ENGINE_H
#define TRAINMON_ENGINE_H

#include "trainmon/lines.h"
#include "trainmon/match.h"
#include "trainmon/run.h"

struct tm_feed {
	struct tm_lines lines;     /* embedded */
	struct tm_matcher m;       /* embedded */
	struct tm_run run;         /* embedded */
	tm_record_fn trace;        /* optional: sees every record before matching (watch --trace-lines) */
	uint64_t end;              /* read no further than this offset; 0 = to EOF */
	void *trace_ctx;           /* borrowed */
};

void tm_feed_init(struct tm_feed *f, const char *file, const struct tm_ruleset *rs, size_t line_max);
void tm_feed_release(struct tm_feed *f);
/* Reads fd to EOF (analyze). Returns 0 or -errno. */
int tm_feed_fd_to_eof(struct tm_feed *f, int fd);
/* Reads a regular file of `size` bytes to EOF in chunks cut at newlines (up to 8), on up to one
 * thread per CPU the process may run on (tm_pool_threads: 8 at most): the calling thread reads
 * on into f from the front up to the middle, another (the lead) from the middle on into a run of
 * its own, and a thread with nothing left in its range takes chunks from the top of what is
 * unclaimed into runs of their own; runs are appended to f's in file order (tm_run_append), so
 * the result is what tm_feed_fd_to_eof would give. Falls back to one thread when the file is small or no newline is
 * found where a chunk would begin. Returns 0 or -errno. */
int tm_feed_file_split(struct tm_feed *f, int fd, const char *path, uint64_t size);

/* Processes bytes already in memory (tests, fuzzers); final=1 also flushes a last partial line. */
int tm_feed_bytes(struct tm_feed *f, const char *p, size_t n, int final);
/* The record callback: matches one record into the run (ctx = struct tm_feed). */
int tm_feed_record(void *ctx, const struct tm_record *rec);
/* Job hints from a file name: Slurm job id from "name-1234567.out" or "slurm-1234567.out". */
void tm_run_name_hints(struct tm_run *r, const char *path);

#endif

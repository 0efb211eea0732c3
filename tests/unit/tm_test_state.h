/* tm_test_state.h: rewrites a state file line by line and seals it with a fresh checksum, the
 * way an older trainmon would have written it (the tests that forge old state versions), and reads
 * and writes whole state files with the checksum line the loader checks (test_state_notes.c). */
#ifndef TM_TEST_STATE_H
#define TM_TEST_STATE_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trainmon/fnv.h"
#include "trainmon/state.h"

/* edit(line) changes a line in place and returns 1 to keep it, 0 to drop it. Returns 0 or -1. */
static inline int tm_test_state_rewrite(const char *path, int (*edit)(char *line))
{
	static char body[65536], out[65536];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(body, 1, sizeof(body) - 1, f) : 0;
	if (f)
		fclose(f);
	body[n] = '\0';
	size_t o = 0;
	char *save = NULL;
	for (char *line = strtok_r(body, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "checksum ", 9) == 0)
			break;
		if (edit(line))
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%s\n", line);
	}
	o += (size_t)snprintf(out + o, sizeof(out) - o, "checksum %016" PRIx64 "\n", tm_fnv1a(TM_FNV_BASIS, out, o));
	f = fopen(path, "w");
	if (!f)
		return -1;
	fwrite(out, 1, o, f);
	return fclose(f);
}

/* A scratch directory (dir is a mkdtemp template) with the paths run.out and state in it (64
 * bytes each); 0, or -1 when it cannot be made (the test then skips). Removed by _cleanup. */
static inline int tm_test_state_dir(char *dir, char *log, char *state)
{
	return mkdtemp(dir) && snprintf(log, 64, "%s/run.out", dir) > 0 && snprintf(state, 64, "%s/state", dir) > 0
	       ? 0 : -1;
}

static inline void tm_test_state_cleanup(const char *dir, const char *log, const char *state)
{
	unlink(log);
	unlink(state);
	rmdir(dir);
}

/* Helpers for edit functions: a line of the current version as version `v` ('1', '2', '3')
 * wrote it, as far as the records added since go (returns 0 for the records it did not have:
 * version 3 added skip, evinc and note; version 4 phase, chain and the anomaly detectors' an*);
 * and a record starting with `prefix` cut after its first `fields` fields. */
static inline int tm_test_state_before(char *line, char v)
{
	if (strcmp(line, "trainmon-state 4") == 0)
		line[15] = v;
	int v4 = strncmp(line, "phase ", 6) == 0 || strncmp(line, "chain ", 6) == 0 || strncmp(line, "an", 2) == 0;
	int v3 = strncmp(line, "skip ", 5) == 0 || strncmp(line, "evinc ", 6) == 0 || strncmp(line, "note ", 5) == 0;
	return !v4 && (v >= '3' || !v3);
}

static inline void tm_test_state_cut(char *line, const char *prefix, int fields)
{
	if (strncmp(line, prefix, strlen(prefix)) != 0)
		return;
	char *p = line;
	for (int field = 0; field < fields && p; field++)
		p = strchr(p + 1, ' ');
	if (p)
		*p = '\0';
}

/* Follows log to its end in *t (released by the caller), saves the state of that one file with
 * fresh alerts, and loads it back into *v, *n. Returns 0 when all of it worked. */
static inline int tm_test_state_roundtrip(struct tm_tail *t, const char *log, const struct tm_ruleset *rs,
					  const char *state, struct tm_saved **v, size_t *n)
{
	char err[256];
	struct tm_alerts al;
	tm_tail_init(t, log, rs, 0, 1000);
	tm_tail_sync(t, 1);
	tm_alerts_init(&al);
	struct tm_state_entry e = { t, &al, NULL };
	int saved = tm_state_save(state, &e, 1);
	tm_alerts_release(&al);
	if (saved != 0)
		return -1;
	return tm_state_load(state, v, n, err, sizeof(err)) == 0 && *n == 1 ? 0 : -1;
}

/* Reads at most n - 1 bytes of path into buf, NUL-terminated. Returns the length. */
static inline size_t tm_test_read(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "r");
	size_t k = f ? fread(buf, 1, n - 1, f) : 0;
	if (f)
		fclose(f);
	buf[k] = '\0';
	return k;
}

/* Writes body[0..len) and its checksum line to path. Returns 0 or -1. */
static inline int tm_test_write_checksummed(const char *path, const char *body, size_t len)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fwrite(body, 1, len, f);
	fprintf(f, "checksum %016" PRIx64 "\n", tm_fnv1a(TM_FNV_BASIS, body, len));
	return fclose(f);
}

#endif

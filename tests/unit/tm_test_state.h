/* tm_test_state.h: forging state files for the state tests (test_state_ident.c,
 * test_state_notes.c): read one whole, and write lines back with the checksum line the loader
 * checks (FNV-1a 64 of everything above it), as an older or a damaged writer would have. */
#ifndef TM_TEST_STATE_H
#define TM_TEST_STATE_H

#include <inttypes.h>
#include <stdio.h>

#include "trainmon/fnv.h"

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

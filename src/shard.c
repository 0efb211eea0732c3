/* shard.c: which daemon of a fleet follows a file (shard.h).
 *
 * Both hashes are fixed by this file for good: a fleet upgraded one daemon at a time must still
 * split its files the same way, so changing either is a breaking change of --shard. FNV-1a 64
 * starts from the published offset basis, 14695981039346656037 (fnv.h's TM_FNV_BASIS, which the
 * state file's checksum uses, is another number and cannot change without breaking state files).
 */
#define TM_SHARD_FNV_BASIS 14695981039346656037ull
#include <stdlib.h>
#include <string.h>

#include "trainmon/fnv.h"
#include "trainmon/shard.h"
#include "banned.h"

int tm_shard_parse(const char *s, struct tm_shard *out)
{
	char *end;
	if (!s || *s < '0' || *s > '9')
		return -1;
	unsigned long i = strtoul(s, &end, 10);
	if (*end != '/' || end[1] < '0' || end[1] > '9')
		return -1;
	unsigned long n = strtoul(end + 1, &end, 10);
	if (*end || n < 1 || n > TM_SHARD_MAX || i >= n)
		return -1;
	*out = (struct tm_shard){ (unsigned)i, (unsigned)n };
	return 0;
}

/* Lamping and Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm" (2014), figure 1. */
unsigned tm_jump_hash(uint64_t key, unsigned n)
{
	int64_t b = -1, j = 0;
	while (j < (int64_t)n) {
		b = j;
		key = key * 2862933555777941757ull + 1;
		j = (int64_t)((double)(b + 1) * ((double)(1ll << 31) / (double)((key >> 33) + 1)));
	}
	return (unsigned)b;
}

unsigned tm_shard_of(const char *key, unsigned n)
{
	return tm_jump_hash(tm_fnv1a(TM_SHARD_FNV_BASIS, key, strlen(key)), n);
}

int tm_shard_owns(const struct tm_shard *s, const char *key)
{
	return s->count <= 1 || tm_shard_of(key, s->count) == s->index;
}

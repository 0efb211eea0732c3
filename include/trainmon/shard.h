/* shard.h: --shard I/N, the share of files one daemon of a fleet follows.
 *
 * A file belongs to shard jump(fnv1a64(chain key), N): the chain key (runkey.h) is computed from
 * the path alone, FNV-1a 64 hashes it, and Lamping and Veach's jump consistent hash maps the hash
 * to one of N shards. Every daemon computes the same function, so N daemons over one tree follow
 * every file exactly once (no overlap, no gap), the segments of a chain stay on one shard, and
 * going from N to N+1 shards moves only about 1/(N+1) of the keys. Pure functions, no state.
 */
#ifndef TRAINMON_SHARD_H
#define TRAINMON_SHARD_H

#include <stddef.h>
#include <stdint.h>

struct tm_shard {
	unsigned index;             /* 0-based: this daemon's share */
	unsigned count;             /* shards in the fleet; 0 = not sharded (every file is ours) */
};

#define TM_SHARD_MAX 65536u

/* "I/N" with 0 <= I < N <= TM_SHARD_MAX. Returns 0, or -1 (out unchanged). */
int tm_shard_parse(const char *s, struct tm_shard *out);
/* Jump consistent hash (Lamping, Veach 2014): a bucket in [0, n) for key; n >= 1. */
unsigned tm_jump_hash(uint64_t key, unsigned n);
/* The shard a chain key belongs to among n: tm_jump_hash(FNV-1a 64 of key's bytes, offset basis
 * 14695981039346656037, prime 1099511628211), n). */
unsigned tm_shard_of(const char *key, unsigned n);
/* 1 when the file of this chain key is s's share (always, when s is not sharded). */
int tm_shard_owns(const struct tm_shard *s, const char *key);

#endif

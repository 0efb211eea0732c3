/* fnv.h: FNV-1a 64, the one hash of the state file's checksum and of a followed file's identity
 * (tail.c). Not cryptographic: it detects corruption and changed content, not tampering. Chained:
 * hash more bytes by passing the previous result as h; start from TM_FNV_BASIS. */
#ifndef TRAINMON_FNV_H
#define TRAINMON_FNV_H

#include <stddef.h>
#include <stdint.h>

#define TM_FNV_BASIS 1469598103934665603ull

static inline uint64_t tm_fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ull;
	}
	return h;
}

#endif

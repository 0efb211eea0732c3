/* fixed_shape.h: a timestamp regex read without PCRE2 (fixed_shape.c).
 *
 * A pack's `timestamp:` is a run of single characters, mostly digits and separators:
 *   ^ \[(?<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\] iteration
 * Such a regex (optionally anchored with ^, its one capturing group the time) is a sequence of
 * cells, each one byte of a set, or one or more of a set (C+) when the next cell's set has no
 * byte in common with it, so the greedy run PCRE2 takes is the only one that can match. It then
 * matches at a given start in one pass, with the same group as PCRE2. Anything else (other
 * quantifiers, alternatives, lookarounds, options, `$`, a `+` before an overlapping set) is left to
 * PCRE2: compile gives NULL.
 */
#ifndef TRAINMON_FIXED_SHAPE_H
#define TRAINMON_FIXED_SHAPE_H

#include <stddef.h>
#include <stdint.h>

#define TM_FIXED_CELLS 64

struct tm_fixed_cell {
	uint8_t set[32];           /* bit b: byte b is in the cell's set */
	uint8_t plus;              /* 1: one or more (greedy), else exactly one */
	uint8_t range;             /* 1: the set is the bytes lo .. lo + span (a literal, \d, a-z) */
	uint8_t lo, span;
};

#define TM_FIXED_BLOCKS (TM_FIXED_CELLS / 8 + 1)

struct tm_fixed_shape {
	uint8_t anchored;          /* the regex starts with ^: it matches at offset 0 only */
	uint8_t has_plus;          /* 0: every cell is one byte, the match ncells bytes long */
	uint8_t nblocks;           /* > 0: no plus, 8 or more cells, each a range of ASCII bytes:
				      tested 8 at a time (fixed_shape.c: in_ranges) */
	uint32_t boff[TM_FIXED_BLOCKS];            /* block k: cells boff[k] .. + 7 (the last
						      overlaps the one before) */
	uint64_t blo[TM_FIXED_BLOCKS], bhi[TM_FIXED_BLOCKS];   /* their lo and hi, a byte each */
	uint32_t ncells;
	uint32_t cap_from, cap_to; /* the group spans cells [cap_from, cap_to) */
	struct tm_fixed_cell cell[TM_FIXED_CELLS];
};

/* The shape of regex re[0, n) with exactly one capturing group, owned (free()), or NULL. */
struct tm_fixed_shape *tm__fixed_shape(const char *re, size_t n);

/* Matches x at s + at (s[0, n) the subject): 1 with the group at [*vo, *vo + *vn), else 0. */
int tm__fixed_match(const struct tm_fixed_shape *x, const char *s, size_t n, size_t at, size_t *vo, size_t *vn);

#endif

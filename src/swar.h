/* swar.h: eight bytes tested at once in a 64-bit word (SWAR), the word as a little-endian load
 * gives it. fixed_shape.c tests a timestamp's cells with it, num.c a number's digits.
 */
#ifndef TRAINMON_SWAR_H
#define TRAINMON_SWAR_H

#include <stdint.h>

#define TM_SWAR_ONES UINT64_C(0x0101010101010101)   /* a byte c in every lane: c * TM_SWAR_ONES */
#define TM_SWAR_HIGH UINT64_C(0x8080808080808080)

/* 0x80 in each byte of w that lies in [lo, hi] of its lane, 0 in the others; every byte of lo and
 * hi below 0x80. With the high bits set, w - lo cannot borrow across bytes and keeps its high bit
 * where the byte is >= lo; hi - w likewise where it is <= hi; and w's own high bit must be clear. */
static inline uint64_t tm_swar_in(uint64_t w, uint64_t lo, uint64_t hi)
{
	uint64_t ge = (w | TM_SWAR_HIGH) - lo, le = (hi | TM_SWAR_HIGH) - (w & ~TM_SWAR_HIGH);
	return ge & le & ~w & TM_SWAR_HIGH;
}

#endif

/* field_shape.h: the one regex shape most `fields:` have, matched without PCRE2 (field_shape.c).
 *
 * PREFIX \s* (CLASS+ | word | word...)  with nothing after the group: a literal, optional
 * spaces, then the value as a run of one character class, or else one of a few plain words
 * ("nan", "inf"). Megatron's eleven iteration-line fields are all of it. match.c has found the
 * prefix; this reads the value after it as PCRE2 would (leftmost, greedy, first alternative
 * first), so the slice is the one the regex's group 1 gives. Anything else is left to PCRE2.
 */
#ifndef TRAINMON_FIELD_SHAPE_H
#define TRAINMON_FIELD_SHAPE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "field_shape.h reads spaces as little-endian words");

#define TM_SHAPE_WORDS 4
#define TM_SHAPE_WORD_MAX 8

struct tm_field_shape {
	uint8_t cls[256];          /* 1: the byte is in the value's class */
	uint8_t ws;                /* 1: \s* between the prefix and the value */
	uint8_t decimal;           /* 1: the class holds every byte of a decimal, 0-9 . + - e E */
	uint8_t nwords;
	uint8_t wlen[TM_SHAPE_WORDS];
	char words[TM_SHAPE_WORDS][TM_SHAPE_WORD_MAX];
};

/* The shape of a field regex re[0, n) whose prefix literal has plen bytes, owned (free()), or
 * NULL when the regex is not of it. */
struct tm_field_shape *tm__field_shape(const char *re, size_t n, size_t plen);

/* P(?:A|B|...)L \s* (CLASS+ | word...) with P, each alternative and L plain literals (at most
 * TM_ALT_SHAPE_MAX alternatives): the literals PAL, PBL... in the alternatives' order (owned
 * array of *nalts, needles unset) and the shape read after them (*shape, owned), or NULL. Every
 * match starts with one of them, at the leftmost of their occurrences where one is followed by
 * the shape, the first listed when several are there: match.c reads it so, and asks PCRE2 only
 * when none is. Megatron's loss and TFLOP/s fields are of it. */
#define TM_ALT_SHAPE_MAX 8
struct tm_alt_lit;
struct tm_alt_lit *tm__alt_shape(const char *re, size_t n, size_t *nalts, struct tm_field_shape **shape);

/* Where the value after a prefix that ends at s[at] would start: past the spaces when the shape
 * allows them (a column of them, "consumed samples:          512", eight bytes a load). */
static inline size_t tm__field_shape_start(const struct tm_field_shape *sh, const char *s, size_t len, size_t at)
{
	size_t j = at;
	if (!sh->ws)
		return j;
	for (uint64_t x; len - j >= 8; j += 8) {
		memcpy(&x, s + j, 8);
		if ((x ^= UINT64_C(0x2020202020202020)) != 0) {
			j += (size_t)__builtin_ctzll(x) >> 3;   /* little-endian: the first byte that differs */
			break;
		}
	}
	while (j < len && (s[j] == ' ' || (s[j] >= '\t' && s[j] <= '\r')))
		j++;
	return j;
}

/* The length of the shape's word at s[j] (the first listed that is there), or 0. */
static inline size_t tm__field_shape_word(const struct tm_field_shape *sh, const char *s, size_t len, size_t j)
{
	for (unsigned w = 0; w < sh->nwords; w++)
		if (len - j >= sh->wlen[w] && memcmp(s + j, sh->words[w], sh->wlen[w]) == 0)
			return sh->wlen[w];
	return 0;
}

/* The value after a prefix that ends at s[at]: 1 with (*vo, *vn) its offset and length in s,
 * or 0 when the regex does not match there. */
static inline int tm__field_shape_match(const struct tm_field_shape *sh, const char *s, size_t len, size_t at,
					size_t *vo, size_t *vn)
{
	size_t j = tm__field_shape_start(sh, s, len, at), k = j;
	while (k < len && sh->cls[(unsigned char)s[k]])
		k++;
	if (k == j)
		k = j + tm__field_shape_word(sh, s, len, j);
	if (k == j)
		return 0;
	*vo = j;
	*vn = k - j;
	return 1;
}

#endif

/* fixed_shape.c: a timestamp regex as a sequence of byte sets (see fixed_shape.h).
 *
 * The accepted syntax is a small part of PCRE2's, read as PCRE2 reads it without UTF, UCP or
 * option settings (how rules_regex.c compiles a pack's timestamp): plain bytes; escapes \d
 * [0-9], \w [A-Za-z0-9_], \s (space, \t \n \v \f \r), \t, and a backslash before any other
 * ASCII punctuation or space (that character); classes [...] of those, bytes and ranges a-z;
 * {n} (1 to 64) and + after one of them; one group, ( or (?<name>; ^ first. Anything else gives
 * NULL.
 */
#include <stdlib.h>
#include <string.h>

#include "fixed_shape.h"
#include "swar.h"
#include "trainmon/xalloc.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "fixed_shape.c reads 8 cells a load");
#include "banned.h"

static void add(uint8_t *set, unsigned char c)
{
	set[c >> 3] |= (uint8_t)(1u << (c & 7));
}

static void add_range(uint8_t *set, unsigned char lo, unsigned char hi)
{
	for (unsigned c = lo; c <= hi; c++)
		add(set, (unsigned char)c);
}

static int has(const uint8_t *set, unsigned char c)
{
	return set[c >> 3] >> (c & 7) & 1;
}

static int is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The escape at re[i] ('\\') added to set: its length, or 0 when it is not one of ours. */
static size_t escape(const char *re, size_t n, size_t i, uint8_t *set)
{
	if (i + 1 >= n)
		return 0;
	unsigned char c = (unsigned char)re[i + 1];
	switch (c) {
	case 'd':
		add_range(set, '0', '9');
		return 2;
	case 'w':
		add_range(set, '0', '9');
		add_range(set, 'a', 'z');
		add_range(set, 'A', 'Z');
		add(set, '_');
		return 2;
	case 's':
		add(set, ' ');
		add_range(set, '\t', '\r');      /* \t \n \v \f \r */
		return 2;
	case 't':
		add(set, '\t');
		return 2;
	default:
		if (is_alnum(c) || c >= 0x80 || c < 0x20)
			return 0;                /* \b \D \Q \x... and the rest: PCRE2's */
		add(set, c);
		return 2;
	}
}

/* The class at re[i] ('[') added to set: its length, or 0. */
static size_t klass(const char *re, size_t n, size_t i, uint8_t *set)
{
	size_t j = i + 1;
	if (j >= n || re[j] == '^' || re[j] == ']')
		return 0;                        /* negated, or a ']' first: PCRE2's */
	while (j < n && re[j] != ']') {
		unsigned char c = (unsigned char)re[j];
		if (c == '[')
			return 0;                /* [:alpha:] and the like */
		if (c == '\\') {
			size_t k = escape(re, n, j, set);
			if (!k || (j + k < n && re[j + k] == '-' && j + k + 1 < n && re[j + k + 1] != ']'))
				return 0;        /* a range from an escape: PCRE2's */
			j += k;
			continue;
		}
		if (j + 2 < n && re[j + 1] == '-' && re[j + 2] != ']') {
			unsigned char hi = (unsigned char)re[j + 2];
			if (hi == '\\' || hi == '[' || hi < c)
				return 0;
			add_range(set, c, hi);
			j += 3;
			continue;
		}
		add(set, c);
		j++;
	}
	return j < n ? j + 1 - i : 0;
}

struct tm_fixed_shape *tm__fixed_shape(const char *re, size_t n)
{
	struct tm_fixed_shape *x = tm_xcalloc(1, sizeof(*x));
	size_t i = 0;
	int groups = 0, open = 0;
	long last = -1;                          /* the cell a quantifier would apply to */
	if (n && re[0] == '^')
		x->anchored = 1, i = 1;
	while (i < n) {
		unsigned char c = (unsigned char)re[i];
		if (c == '(') {
			if (groups || open)
				goto no;
			if (i + 1 < n && re[i + 1] == '?') {
				/* (?<name> only: (?: (?= (?<= (?i) ... are PCRE2's */
				if (i + 3 >= n || re[i + 2] != '<' || re[i + 3] == '=' || re[i + 3] == '!')
					goto no;
				const char *gt = memchr(re + i + 3, '>', n - i - 3);
				if (!gt)
					goto no;
				i = (size_t)(gt - re) + 1;
			} else {
				i++;
			}
			x->cap_from = x->ncells;
			open = 1;
			groups++;
			last = -1;
			continue;
		}
		if (c == ')') {
			if (!open || x->ncells == x->cap_from)
				goto no;
			x->cap_to = x->ncells;
			open = 0;
			last = -1;
			i++;
			continue;
		}
		if (c == '+') {
			if (last < 0 || x->cell[last].plus || (i + 1 < n && (re[i + 1] == '+' || re[i + 1] == '?')))
				goto no;         /* nothing to repeat, ++ possessive, +? lazy */
			x->cell[last].plus = 1;
			last = -1;
			i++;
			continue;
		}
		if (c == '{') {
			size_t j = i + 1, k = 0;
			while (j < n && re[j] >= '0' && re[j] <= '9' && k <= TM_FIXED_CELLS)
				k = k * 10 + (size_t)(re[j++] - '0');
			if (last < 0 || j == i + 1 || j >= n || re[j] != '}' || k < 1 || k > TM_FIXED_CELLS ||
			    (j + 1 < n && (re[j + 1] == '+' || re[j + 1] == '?')) || x->ncells + k - 1 > TM_FIXED_CELLS)
				goto no;
			for (size_t r = 1; r < k; r++)
				x->cell[x->ncells++] = x->cell[last];
			last = -1;
			i = j + 1;
			continue;
		}
		if (c == '*' || c == '?' || c == '|' || c == '$' || c == '.' || c == '^' || c == '}' || c == ']')
			goto no;
		if (x->ncells == TM_FIXED_CELLS)
			goto no;
		struct tm_fixed_cell *cell = &x->cell[x->ncells];
		size_t k = 1;
		if (c == '[') {
			k = klass(re, n, i, cell->set);
		} else if (c == '\\') {
			k = escape(re, n, i, cell->set);
		} else {
			add(cell->set, c);
		}
		if (!k)
			goto no;
		last = (long)x->ncells++;
		i += k;
	}
	if (open || groups != 1)
		goto no;
	for (uint32_t c = 0; c < x->ncells; c++) {
		/* a set of consecutive bytes is tested by a subtraction and a compare */
		struct tm_fixed_cell *cl = &x->cell[c];
		int lo = -1, hi = -1, gap = 0;
		for (int b = 0; b < 256; b++) {
			if (!has(cl->set, (unsigned char)b))
				continue;
			if (lo < 0)
				lo = b;
			else if (b != hi + 1)
				gap = 1;
			hi = b;
		}
		cl->range = lo >= 0 && !gap;
		cl->lo = (uint8_t)(lo < 0 ? 0 : lo);
		cl->span = (uint8_t)(hi - lo);
		x->has_plus |= cl->plus;
	}
	int ascii_ranges = 1;
	for (uint32_t c = 0; c < x->ncells; c++)
		ascii_ranges &= x->cell[c].range && x->cell[c].lo + x->cell[c].span < 0x80;
	if (!x->has_plus && ascii_ranges && x->ncells >= 8) {
		for (uint32_t k = 0; k * 8 < x->ncells; k++) {
			uint32_t off = k * 8 + 8 <= x->ncells ? k * 8 : x->ncells - 8;
			x->boff[x->nblocks] = off;
			for (unsigned j = 0; j < 8; j++) {
				const struct tm_fixed_cell *cl = &x->cell[off + j];
				x->blo[x->nblocks] |= (uint64_t)cl->lo << (8 * j);
				x->bhi[x->nblocks] |= (uint64_t)(cl->lo + cl->span) << (8 * j);
			}
			x->nblocks++;
		}
	}
	/* C+ then a cell sharing a byte with C: PCRE2 might give some back; its rules, not ours */
	for (uint32_t c = 0; c + 1 < x->ncells; c++) {
		if (!x->cell[c].plus)
			continue;
		for (size_t b = 0; b < sizeof(x->cell[c].set); b++)
			if (x->cell[c].set[b] & x->cell[c + 1].set[b])
				goto no;
	}
	return x;
no:
	free(x);
	return NULL;
}

/* Whether every byte of w lies in [lo, hi] of its lane (swar.h) */
static inline int in_ranges(uint64_t w, uint64_t lo, uint64_t hi)
{
	return tm_swar_in(w, lo, hi) == TM_SWAR_HIGH;
}

static inline int in_cell(const struct tm_fixed_cell *c, unsigned char b)
{
	return c->range ? (uint8_t)(b - c->lo) <= c->span : has(c->set, b);
}

int tm__fixed_match(const struct tm_fixed_shape *x, const char *s, size_t n, size_t at, size_t *vo, size_t *vn)
{
	if (x->anchored && at != 0)
		return 0;
	const unsigned char *u = (const unsigned char *)s;
	if (x->nblocks) {
		if (at > n || n - at < x->ncells)
			return 0;
		for (uint32_t k = 0; k < x->nblocks; k++) {
			uint64_t w;
			memcpy(&w, u + at + x->boff[k], 8);
			if (!in_ranges(w, x->blo[k], x->bhi[k]))
				return 0;
		}
		*vo = at + x->cap_from;
		*vn = x->cap_to - x->cap_from;
		return 1;
	}
	if (!x->has_plus) {
		/* every cell one byte: the length is known, the group's place too */
		if (at > n || n - at < x->ncells)
			return 0;
		for (uint32_t i = 0; i < x->ncells; i++)
			if (!in_cell(&x->cell[i], u[at + i]))
				return 0;
		*vo = at + x->cap_from;
		*vn = x->cap_to - x->cap_from;
		return 1;
	}
	size_t p = at, from = at, to = at;
	for (uint32_t i = 0; i < x->ncells; i++) {
		if (i == x->cap_from)
			from = p;
		if (i == x->cap_to)
			to = p;
		const struct tm_fixed_cell *c = &x->cell[i];
		if (p >= n || !in_cell(c, u[p]))
			return 0;
		p++;
		if (c->plus)
			while (p < n && in_cell(c, u[p]))
				p++;
	}
	if (x->cap_to == x->ncells)
		to = p;
	*vo = from;
	*vn = to - from;
	return 1;
}

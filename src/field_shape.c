/* field_shape.c: recognising PREFIX \s* (CLASS+ | word...) in a field's regex text (see
 * field_shape.h).
 *
 * Strict on purpose, like literal.c: whatever is not exactly the shape (a negated class, a
 * quantifier other than +, text after the group, named groups, options) gives NULL and the field
 * keeps its PCRE2 regex. \s and \d are PCRE2's defaults without UCP, the ones the rules are
 * compiled with: \t \n \v \f \r and space; 0-9. No globals; the result is read-only.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "field_shape.h"
#include "literal.h"
#include "trainmon/xalloc.h"
#include "banned.h"

static int is_ws(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* A class item's byte: a plain character, or an escaped punctuation one; -1 otherwise. */
static int class_byte(const char *re, size_t n, size_t *i)
{
	char c = re[*i];
	if (c == '\\') {
		if (*i + 1 >= n || !strchr(".-+*?()[]{}|^$/\\", re[*i + 1]))
			return -1;
		*i += 2;
		return (unsigned char)re[*i - 1];
	}
	if (c == '[' || c == ']')
		return -1;
	(*i)++;
	return (unsigned char)c;
}

/* `[...]` (no negation) or `\d` at re[*i]: its bytes into cls; 0 when not understood. */
static int parse_class(const char *re, size_t n, size_t *i, uint8_t *cls)
{
	if (n - *i >= 2 && re[*i] == '\\' && re[*i + 1] == 'd') {
		memset(cls + '0', 1, 10);
		*i += 2;
		return 1;
	}
	if (re[*i] != '[' || *i + 1 >= n || re[*i + 1] == '^' || re[*i + 1] == ']')
		return 0;
	(*i)++;
	while (*i < n && re[*i] != ']') {
		if (n - *i >= 2 && re[*i] == '\\' && re[*i + 1] == 'd') {
			memset(cls + '0', 1, 10);
			*i += 2;
			continue;
		}
		int a = class_byte(re, n, i);
		if (a < 0)
			return 0;
		if (*i + 1 < n && re[*i] == '-' && re[*i + 1] != ']') {   /* a range a-b */
			(*i)++;
			int b = class_byte(re, n, i);
			if (b < a)
				return 0;
			memset(cls + a, 1, (size_t)(b - a + 1));
		} else {
			cls[a] = 1;
		}
	}
	if (*i >= n)
		return 0;
	(*i)++;
	return 1;
}

struct tm_field_shape *tm__field_shape(const char *re, size_t n, size_t plen)
{
	size_t i = 0;
	for (size_t k = 0; k < plen; k++) {      /* the prefix: one byte per plain or escaped char */
		if (i >= n || strchr("(|[", re[i]))
			return NULL;                  /* a prefix that reaches into a group */
		i += re[i] == '\\' ? 2 : 1;
	}
	struct tm_field_shape sh;
	memset(&sh, 0, sizeof(sh));
	if (n - i >= 3 && memcmp(re + i, "\\s*", 3) == 0) {
		sh.ws = 1;
		i += 3;
	}
	if (i >= n || re[i] != '(' || (i + 1 < n && re[i + 1] == '?'))
		return NULL;
	i++;
	if (i >= n || !parse_class(re, n, &i, sh.cls) || i >= n || re[i] != '+')
		return NULL;
	i++;
	while (i < n && re[i] == '|') {           /* plain words after the class */
		size_t w = ++i;
		while (i < n && ((re[i] >= 'a' && re[i] <= 'z') || (re[i] >= 'A' && re[i] <= 'Z')))
			i++;
		if (i == w || i - w > TM_SHAPE_WORD_MAX || sh.nwords == TM_SHAPE_WORDS)
			return NULL;
		memcpy(sh.words[sh.nwords], re + w, i - w);
		sh.wlen[sh.nwords++] = (uint8_t)(i - w);
	}
	if (i + 1 != n || re[i] != ')')
		return NULL;                      /* anything after the group: PCRE2's */
	for (unsigned c = 0; c < 256; c++)
		if (sh.cls[c] && is_ws((unsigned char)c))
			return NULL;              /* \s* could give back what the class takes */
	sh.decimal = 1;
	for (const char *d = "0123456789.+-eE"; *d; d++)
		sh.decimal &= sh.cls[(unsigned char)*d];
	struct tm_field_shape *out = tm_xmalloc(sizeof(*out));
	*out = sh;
	return out;
}

/* Literal bytes of re from *i (plain ones and escaped punctuation) into out (at most cap):
 * stops at anything else. A quantifier after the last one is left for the caller to refuse. */
static size_t lit_bytes(const char *re, size_t n, size_t *i, char *out, size_t cap)
{
	size_t k = 0;
	while (*i < n && k < cap) {
		char c = re[*i];
		if (c == '\\') {
			if (*i + 1 >= n || !strchr(".-+*?()[]{}|^$/\\:=<>!,;#%&@~'\" ", re[*i + 1]))
				break;
			out[k++] = re[*i + 1];
			*i += 2;
		} else if (strchr("()[]{}|*+?.^$", c)) {
			break;
		} else {
			out[k++] = c;
			(*i)++;
		}
	}
	return k;
}

struct tm_alt_lit *tm__alt_shape(const char *re, size_t n, size_t *nalts, struct tm_field_shape **shape)
{
	char pre[128], alt[TM_ALT_SHAPE_MAX][128], lit[128];
	size_t alen[TM_ALT_SHAPE_MAX], na = 0, i = 0;
	*nalts = 0;
	*shape = NULL;
	size_t pl = lit_bytes(re, n, &i, pre, sizeof(pre));
	if (n - i < 3 || memcmp(re + i, "(?:", 3) != 0)
		return NULL;
	i += 3;
	for (;;) {
		if (na == TM_ALT_SHAPE_MAX)
			return NULL;
		alen[na] = lit_bytes(re, n, &i, alt[na], sizeof(alt[na]));
		if (alen[na] == 0 || i >= n || (re[i] != '|' && re[i] != ')'))
			return NULL;
		na++;
		if (re[i++] == ')')
			break;
	}
	if (i < n && strchr("?*+{", re[i]))
		return NULL;                          /* the group made optional or repeated */
	size_t j = i, ll = lit_bytes(re, n, &j, lit, sizeof(lit));
	struct tm_field_shape *sh = tm__field_shape(re + i, n - i, ll);
	if (!sh)
		return NULL;
	struct tm_alt_lit *v = tm_xcalloc(na, sizeof(*v));
	for (size_t a = 0; a < na; a++) {
		v[a].len = pl + alen[a] + ll;
		v[a].p = tm_xmalloc(v[a].len + 1);
		memcpy(v[a].p, pre, pl);
		memcpy(v[a].p + pl, alt[a], alen[a]);
		memcpy(v[a].p + pl + alen[a], lit, ll);
		v[a].p[v[a].len] = '\0';
		v[a].anchor = tm__rare_byte(v[a].p, v[a].len);
		v[a].needle = UINT32_MAX;
	}
	*nalts = na;
	*shape = sh;
	return v;
}

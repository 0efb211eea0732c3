/* literal.c: the literal runs a regex needs, for the prefilter and for anchoring fields.
 *
 * Conservative by design: a missing literal only costs speed, a wrong one would hide matches,
 * so anything not understood (top-level alternation, inline options, \Q...\E) gives none. The
 * loader double-checks every derived literal against the rule's match samples.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "literal.h"
#include "trainmon/xalloc.h"
#include "banned.h"

/* The longest run of literal bytes that every match must contain: top-level characters outside
 * groups and classes, not followed by a quantifier that allows zero. Gives up (NULL) on top-level
 * alternation, inline options and anything it does not understand: a missing prefilter costs
 * speed, a wrong one would cost matches. */
/* From the '[' at re[i], the index of the class's closing ']' (or n). */
static size_t skip_class(const char *re, size_t n, size_t i)
{
	i++;
	if (i < n && re[i] == '^')
		i++;
	if (i < n && re[i] == ']')
		i++;
	while (i < n && re[i] != ']') {
		if (re[i] == '\\')
			i++;
		i++;
	}
	return i;
}

char *tm__derive_literal(const char *re, size_t n, size_t *outlen)
{
	char best[256], cur[256];
	size_t bl = 0, cl = 0;
	int depth = 0;
	for (size_t i = 0; i < n; i++) {
		char c = re[i], lit = 0;
		int is_lit = 0;
		if (depth > 0) {
			if (c == '\\') {
				i++;
			} else if (c == '[') {     /* a class inside a group */
				i = skip_class(re, n, i);
			} else if (c == '(') {
				depth++;
			} else if (c == ')') {
				depth--;
			}
			continue;
		}
		switch (c) {
		case '|':
			return NULL;
		case '(':
			if (i + 1 < n && re[i + 1] == '?' && i + 2 < n && re[i + 2] != ':' && re[i + 2] != '<' &&
			    re[i + 2] != 'P' && re[i + 2] != '\'' && re[i + 2] != '=' && re[i + 2] != '!' &&
			    re[i + 2] != '>')
				return NULL;               /* (?i) and friends */
			depth++;
			break;
		case '[':
			i = skip_class(re, n, i);
			break;
		case '\\':
			if (i + 1 >= n)
				return NULL;
			c = re[++i];
			if (strchr(".^$|()[]{}*+?\\/-: \"'#<>=!,@%&~`", c) && c != '\0') {
				is_lit = 1;
				lit = c;
			} else if (c == 'Q' || c == 'E') {
				return NULL;
			}
			break;
		case '.': case '^': case '$': case '*': case '+': case '?': case '{': case ')':
			break;
		default:
			is_lit = 1;
			lit = c;
		}
		/* a following quantifier makes this character optional or repeated */
		if (is_lit && i + 1 < n && (re[i + 1] == '?' || re[i + 1] == '*' || re[i + 1] == '{'))
			is_lit = 0;
		if (is_lit && i + 1 < n && re[i + 1] == '+') {
			/* "a+" still needs one 'a': keep it, then end the run */
			if (cl < sizeof(cur))
				cur[cl++] = lit;
			is_lit = 0;
		} else if (is_lit && cl < sizeof(cur)) {
			cur[cl++] = lit;
			continue;
		}
		if (cl > bl)
			memcpy(best, cur, cl), bl = cl;
		cl = 0;
	}
	if (cl > bl)
		memcpy(best, cur, cl), bl = cl;
	if (bl < 2)
		return NULL;
	*outlen = bl;
	return tm_xstrndup(best, bl);
}

/* At a group "(?:alt|alt...)" whose alternatives are plain words (letters, digits, space, '-',
 * '_') and that no quantifier follows: the bytes every alternative starts with, into out (at
 * most cap); else 0. "\\| (?:lm loss|lm-loss|lm_loss):" starts with "| lm". */
static size_t common_start(const char *g, size_t n, char *out, size_t cap)
{
	if (n < 4 || memcmp(g, "(?:", 3) != 0)
		return 0;
	const char *first = g + 3;
	size_t lcp = SIZE_MAX, i = 3, alt = 3;
	for (; i < n && g[i] != ')'; i++) {
		char c = g[i];
		if (c == '|') {
			size_t l = 0;
			while (l < i - alt && l < lcp && g[alt + l] == first[l])
				l++;
			lcp = l;
			alt = i + 1;
		} else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			     c == ' ' || c == '-' || c == '_')) {
			return 0;
		}
	}
	if (i >= n || (i + 1 < n && strchr("?*+{", g[i + 1])))
		return 0;
	size_t l = 0;
	while (l < i - alt && l < lcp && g[alt + l] == first[l])
		l++;
	lcp = l < cap ? l : cap;
	memcpy(out, first, lcp);
	return lcp;
}

/* The literal run a regex starts with (every match begins with it), or NULL. Stops at the first
 * metacharacter; a character followed by a quantifier is not part of it. */
char *tm__prefix_literal(const char *re, size_t n, size_t *outlen)
{
	char buf[128];
	size_t k = 0;
	char *any = tm__derive_literal(re, n, outlen);
	if (!any)
		return NULL;                 /* top-level alternation or options: no fixed start */
	free(any);
	size_t i = 0;
	for (; i < n && k < sizeof(buf); i++) {
		char c = re[i];
		if (c == '\\') {
			if (i + 1 >= n || !strchr(".^$|()[]{}*+?\\/-: \"'#<>=!,@%&~`", re[i + 1]))
				break;
			c = re[++i];
		} else if (strchr(".^$|()[]{}*+?", c)) {
			break;
		}
		if (i + 1 < n && strchr("?*{", re[i + 1]))
			break;
		buf[k++] = c;
		if (i + 1 < n && re[i + 1] == '+') {
			i = n;                       /* "a+": the run ends here */
			break;
		}
	}
	if (i < n && re[i] == '(')
		k += common_start(re + i, n - i, buf + k, sizeof(buf) - k);
	if (k < 2)
		return NULL;
	*outlen = k;
	return tm_xstrndup(buf, k);
}


void tm__alt_literals_free(struct tm_alt_lit *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].p);
	free(v);
}

/* The literal alternative re[from, to) gives: its start (starts) or its longest run, or NULL. */
static char *alt_literal(const char *re, size_t from, size_t to, int starts, size_t *len)
{
	return starts ? tm__prefix_literal(re + from, to - from, len) : tm__derive_literal(re + from, to - from, len);
}

struct tm_alt_lit *tm__alt_literals(const char *re, size_t n, size_t *nalts, int *starts)
{
	if (n < 4 || memcmp(re, "(?:", 3) != 0)
		return NULL;
	/* the group's end, its '|'s, and whether a '|' outside it makes the whole regex an
	 * alternation (then a match need not hold any of the group's literals) */
	size_t bars[64], nb = 0, end = 0;
	int depth = 0;
	for (size_t i = 3; i < n; i++) {
		char c = re[i];
		if (c == '\\') {
			i++;
		} else if (c == '[') {
			i = skip_class(re, n, i);
		} else if (c == '(') {
			depth++;
		} else if (c == ')') {
			if (depth-- == 0 && !end)
				end = i;         /* the group's own ')': depth is -1 from here on */
		} else if (c == '|' && depth == 0 && !end) {
			if (nb == sizeof(bars) / sizeof(bars[0]))
				return NULL;
			bars[nb++] = i;
		} else if (c == '|' && depth < 0) {
			return NULL;             /* top-level alternation after the group */
		}
	}
	if (!end || nb == 0 || (end + 1 < n && strchr("?*+{", re[end + 1])))
		return NULL;             /* not closed, one alternative, or the group may be skipped */
	/* every alternative's start when each has one, else every alternative's longest run */
	int all_start = 1;
	for (size_t a = 0, from = 3; a <= nb && all_start; a++) {
		size_t to = a < nb ? bars[a] : end, len;
		char *lit = alt_literal(re, from, to, 1, &len);
		all_start = lit != NULL;
		free(lit);
		from = to + 1;
	}
	struct tm_alt_lit *v = tm_xcalloc(nb + 1, sizeof(*v));
	for (size_t a = 0, from = 3; a <= nb; a++) {
		size_t to = a < nb ? bars[a] : end, len = 0;
		char *lit = alt_literal(re, from, to, all_start, &len);
		if (!lit) {
			tm__alt_literals_free(v, a);
			return NULL;
		}
		v[a] = (struct tm_alt_lit){ lit, len, tm__rare_byte(lit, len), UINT32_MAX };   /* TM_NO_NEEDLE
							       until the ruleset's prefilter has it */
		from = to + 1;
	}
	*nalts = nb + 1;
	*starts = all_start;
	return v;
}

/* How often a byte shows in training logs, roughly: spaces and digits everywhere, then the
 * common lower-case letters, the separators Megatron-style lines repeat, the rarer letters,
 * upper case, and last other punctuation. */
static int commonness(unsigned char c)
{
	if (c == ' ' || (c >= '0' && c <= '9'))
		return 6;
	if (c >= 'a' && c <= 'z')
		return strchr("etaoinsrhldcu", c) ? 5 : strchr("mwfgypb", c) ? 4 : 2;
	if (strchr(":|.,-_=", c))
		return 4;
	if (c >= 'A' && c <= 'Z')
		return 1;
	return 0;
}

size_t tm__rare_byte(const char *lit, size_t n)
{
	size_t best = 0;
	for (size_t i = 1; i < n; i++)
		if (commonness((unsigned char)lit[i]) < commonness((unsigned char)lit[best]))
			best = i;
	return best;
}

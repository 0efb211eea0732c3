/* literal.h: literal runs of a regex (literal.c), for rules.c. */
#ifndef TRAINMON_LITERAL_H
#define TRAINMON_LITERAL_H

#include <stddef.h>
#include <stdint.h>

/* The longest run of literal bytes every match contains (owned, *outlen set), or NULL. */
char *tm__derive_literal(const char *re, size_t n, size_t *outlen);
/* The literal run every match starts with (owned), or NULL. */
char *tm__prefix_literal(const char *re, size_t n, size_t *outlen);
/* The offset in lit[0, n) (n >= 1) of the byte least likely in a log line: a search for lit
 * looks for that byte first (memchr), then compares the whole literal around it. */
size_t tm__rare_byte(const char *lit, size_t n);

/* One literal of a set, one of which every match holds (tm__alt_literals). */
struct tm_alt_lit {
	char *p;                   /* owned */
	size_t len, anchor;        /* anchor: tm__rare_byte's offset */
	uint32_t needle;           /* the prefilter's number for it, or TM_NO_NEEDLE */
};
/* For a regex that opens with a group of alternatives "(?:A|B|...)" not made optional: one literal
 * per alternative, each one every match of that alternative holds, so every match of the regex
 * holds one of them (owned array, *n set; NULL when an alternative has none, or the regex is not
 * of that form). *starts: 1 when each literal is its alternative's start, so no match starts
 * before the first of them in a line. */
struct tm_alt_lit *tm__alt_literals(const char *re, size_t n, size_t *nalts, int *starts);
void tm__alt_literals_free(struct tm_alt_lit *v, size_t n);

#endif

/* literal.h: literal runs of a regex (literal.c), for rules.c. */
#ifndef TRAINMON_LITERAL_H
#define TRAINMON_LITERAL_H

#include <stddef.h>

/* The longest run of literal bytes every match contains (owned, *outlen set), or NULL. */
char *tm__derive_literal(const char *re, size_t n, size_t *outlen);
/* The literal run every match starts with (owned), or NULL. */
char *tm__prefix_literal(const char *re, size_t n, size_t *outlen);
/* The offset in lit[0, n) (n >= 1) of the byte least likely in a log line: a search for lit
 * looks for that byte first (memchr), then compares the whole literal around it. */
size_t tm__rare_byte(const char *lit, size_t n);

#endif

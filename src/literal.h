/* literal.h: literal runs of a regex (literal.c), for rules.c. */
#ifndef TRAINMON_LITERAL_H
#define TRAINMON_LITERAL_H

#include <stddef.h>

/* The longest run of literal bytes every match contains (owned, *outlen set), or NULL. */
char *tm__derive_literal(const char *re, size_t n, size_t *outlen);
/* The literal run every match starts with (owned), or NULL. */
char *tm__prefix_literal(const char *re, size_t n, size_t *outlen);

#endif

/* json.h: a small streaming JSON writer over a FILE (no tree, no allocation).
 *
 * Keys and strings are escaped (control bytes as \u00XX); well-formed UTF-8 passes through, and
 * each maximal ill-formed subpart (overlongs, surrogates, above U+10FFFF, truncated sequences,
 * stray bytes) becomes one U+FFFD, counted in `replaced`, so the output is always valid UTF-8.
 * Numbers print the shortest form that reads back to the same double; NAN and infinities print
 * as null, which is how trainmon says "unknown".
 */
#ifndef TRAINMON_JSON_H
#define TRAINMON_JSON_H

#include <stdio.h>

#define TM_JSON_DEPTH 32

struct tm_json {
	FILE *f;                 /* borrowed */
	int depth;
	unsigned char first[TM_JSON_DEPTH]; /* 1 until the container at that depth has an item */
	int pretty;              /* 1: newlines and two-space indents */
	size_t replaced;         /* ill-formed UTF-8 subparts written as U+FFFD since init */
};

void tm_json_init(struct tm_json *j, FILE *f, int pretty);
/* key is NULL inside arrays and at the top level. */
void tm_json_obj(struct tm_json *j, const char *key);
void tm_json_arr(struct tm_json *j, const char *key);
void tm_json_end(struct tm_json *j, char close);   /* '}' or ']' */
void tm_json_str(struct tm_json *j, const char *key, const char *v);   /* NULL -> null */
void tm_json_strn(struct tm_json *j, const char *key, const char *v, size_t n);
void tm_json_num(struct tm_json *j, const char *key, double v);        /* NAN -> null */
void tm_json_bool(struct tm_json *j, const char *key, int v);
void tm_json_null(struct tm_json *j, const char *key);

/* Length of the well-formed UTF-8 sequence at p (p < end), or 0 when ill-formed, with *bad the
 * length of the maximal subpart to replace by one U+FFFD (at least 1). Shared with html.c. */
size_t tm_utf8_len(const unsigned char *p, const unsigned char *end, size_t *bad);

/* Writes the shortest "%.*g" that round-trips (integers below 2^53 without exponent). */
void tm_fmt_num(char *buf, size_t n, double v);

#endif

/* html.h: text into an HTML page. Everything a log or a file name says is hostile: & < > " ' are
 * escaped (so the same call serves element content and quoted attribute values), ill-formed
 * UTF-8 becomes U+FFFD (json.h's rule) and control bytes other than tab and newline become
 * U+FFFD, which HTML forbids. Writes only to the FILE it is given; allocates nothing.
 */
#ifndef TRAINMON_HTML_H
#define TRAINMON_HTML_H

#include <stddef.h>
#include <stdio.h>

/* Writes n bytes of s escaped. */
void tm_html_text(FILE *f, const char *s, size_t n);
/* The same for a NUL-terminated string; NULL writes nothing. */
void tm_html_puts(FILE *f, const char *s);
/* printf, then escaped (output cut at 4096 bytes). */
void tm_html_printf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

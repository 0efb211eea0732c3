/* html.c: escaped text for HTML pages (html.h). The one place the report and its charts turn
 * bytes from logs and file names into markup-safe text; nothing else writes a log's bytes into
 * the page. UTF-8 validation is json.c's (tm_utf8_len), so the two outputs agree on replacements.
 */
#include <stdarg.h>
#include <string.h>

#include "trainmon/html.h"
#include "trainmon/json.h"
#include "banned.h"

#define FFFD "\xef\xbf\xbd"

void tm_html_text(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	while (p < end) {
		unsigned char c = *p;
		switch (c) {
		case '&': fputs("&amp;", f); p++; continue;
		case '<': fputs("&lt;", f); p++; continue;
		case '>': fputs("&gt;", f); p++; continue;
		case '"': fputs("&quot;", f); p++; continue;
		case '\'': fputs("&#39;", f); p++; continue;
		default: break;
		}
		if (c == '\t' || c == '\n' || (c >= 0x20 && c < 0x7f)) {
			fputc(c, f);
			p++;
		} else if (c < 0x80) {                  /* other C0 controls, DEL */
			fputs(FFFD, f);
			p++;
		} else {
			size_t bad = 0, len = tm_utf8_len(p, end, &bad);
			/* C1 controls (U+0080..U+009F) are also not allowed in HTML text */
			if (len == 2 && c == 0xc2 && p[1] < 0xa0)
				len = 0, bad = 2;
			if (len) {
				fwrite(p, 1, len, f);
				p += len;
			} else {
				fputs(FFFD, f);
				p += bad;
			}
		}
	}
}

void tm_html_puts(FILE *f, const char *s)
{
	if (s)
		tm_html_text(f, s, strlen(s));
}

void tm_html_printf(FILE *f, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	tm_html_text(f, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

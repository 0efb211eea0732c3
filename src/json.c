/* json.c: the streaming JSON writer (see json.h). Output only; trainmon never parses JSON. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/json.h"
#include "banned.h"

void tm_json_init(struct tm_json *j, FILE *f, int pretty)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->pretty = pretty;
	j->first[0] = 1;
}

void tm_fmt_num(char *buf, size_t n, double v)
{
	if (!isfinite(v)) {
		snprintf(buf, n, "null");
		return;
	}
	if (v == floor(v) && fabs(v) < 9007199254740992.0) {
		snprintf(buf, n, "%.0f", v);
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, n, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

/* Length of the well-formed UTF-8 sequence at p (Unicode table 3-7), or 0 when the bytes there are
 * ill-formed; *bad is then the length of the maximal subpart to replace with one U+FFFD (at least 1),
 * so a truncated sequence costs one replacement and every stray byte one more. */
size_t tm_utf8_len(const unsigned char *p, const unsigned char *end, size_t *bad)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t len;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else {
		*bad = 1;
		return 0;
	}
	if (c == 0xe0)
		lo = 0xa0;              /* overlong */
	else if (c == 0xed)
		hi = 0x9f;              /* surrogates */
	else if (c == 0xf0)
		lo = 0x90;              /* overlong */
	else if (c == 0xf4)
		hi = 0x8f;              /* above U+10FFFF */
	size_t i = 1;
	for (; i < len && p + i < end; i++) {
		if (p[i] < lo || p[i] > hi)
			break;
		lo = 0x80;
		hi = 0xbf;
	}
	if (i == len)
		return len;
	*bad = i;
	return 0;
}

static void put_escaped(struct tm_json *j, const char *s, size_t n)
{
	FILE *f = j->f;
	fputc('"', f);
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	while (p < end) {
		const unsigned char *q = p;           /* a run that needs no escape: one write */
		while (q < end && *q >= 0x20 && *q < 0x7f && *q != '"' && *q != '\\')
			q++;
		if (q > p) {
			fwrite(p, 1, (size_t)(q - p), f);
			p = q;
			continue;
		}
		unsigned char c = *p;
		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
			p++;
		} else if (c == '\n' || c == '\t' || c == '\r') {
			fputc('\\', f);
			fputc(c == '\n' ? 'n' : c == '\t' ? 't' : 'r', f);
			p++;
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
			p++;
		} else if (c < 0x80) {
			fputc(c, f);
			p++;
		} else {
			size_t bad = 0, len = tm_utf8_len(p, end, &bad);
			if (len) {
				fwrite(p, 1, len, f);
				p += len;
			} else {
				fputs("\xef\xbf\xbd", f);   /* U+FFFD */
				j->replaced++;
				p += bad;
			}
		}
	}
	fputc('"', f);
}

static void item(struct tm_json *j, const char *key)
{
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = 0;
	if (j->pretty && j->depth > 0) {
		static const char indent[] = "\n                                ";   /* 16 levels */
		int w = 1 + 2 * j->depth;
		if (w > (int)sizeof(indent) - 1) {
			fputc('\n', j->f);
			for (int i = 0; i < j->depth; i++)
				fputs("  ", j->f);
		} else {
			fwrite(indent, 1, (size_t)w, j->f);
		}
	}
	if (key) {
		put_escaped(j, key, strlen(key));
		fputs(j->pretty ? ": " : ":", j->f);
	}
}

static void open_c(struct tm_json *j, const char *key, char c)
{
	item(j, key);
	fputc(c, j->f);
	if (j->depth + 1 < TM_JSON_DEPTH)
		j->depth++;
	j->first[j->depth] = 1;
}

void tm_json_obj(struct tm_json *j, const char *key) { open_c(j, key, '{'); }
void tm_json_arr(struct tm_json *j, const char *key) { open_c(j, key, '['); }

void tm_json_end(struct tm_json *j, char close)
{
	int empty = j->first[j->depth];
	if (j->depth > 0)
		j->depth--;
	if (j->pretty && !empty) {
		fputc('\n', j->f);
		for (int i = 0; i < j->depth; i++)
			fputs("  ", j->f);
	}
	fputc(close, j->f);
	if (j->depth == 0)
		j->first[0] = 1;
}

void tm_json_strn(struct tm_json *j, const char *key, const char *v, size_t n)
{
	item(j, key);
	put_escaped(j, v, n);
}

void tm_json_str(struct tm_json *j, const char *key, const char *v)
{
	if (!v) {
		tm_json_null(j, key);
		return;
	}
	tm_json_strn(j, key, v, strlen(v));
}

void tm_json_num(struct tm_json *j, const char *key, double v)
{
	char buf[40];
	item(j, key);
	tm_fmt_num(buf, sizeof(buf), v);
	fputs(buf, j->f);
}

void tm_json_bool(struct tm_json *j, const char *key, int v)
{
	item(j, key);
	fputs(v ? "true" : "false", j->f);
}

void tm_json_null(struct tm_json *j, const char *key)
{
	item(j, key);
	fputs("null", j->f);
}

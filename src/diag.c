/* diag.c: collecting and rendering located diagnostics (see diag.h).
 *
 * The source line is copied when the diagnostic is made, so rendering needs no file access and
 * works after the loader freed its text. Entries past d->max are counted, not kept.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/diag.h"
#include "trainmon/xalloc.h"
#include "banned.h"

void tm_diag_init(struct tm_diag *d)
{
	memset(d, 0, sizeof(*d));
	d->max = 50;
}

void tm_diag_clear(struct tm_diag *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
		free(d->v[i].text);
	}
	d->n = 0;
	d->errors = d->warnings = 0;
}

void tm_diag_release(struct tm_diag *d)
{
	tm_diag_clear(d);
	free(d->v);
	d->v = NULL;
	d->cap = 0;
}

static char *line_text(const struct tm_src *src, unsigned line)
{
	if (!src || !src->buf || line == 0)
		return NULL;
	const char *p = src->buf, *end = src->buf + src->len;
	for (unsigned l = 1; l < line && p < end; l++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return NULL;
		p = nl + 1;
	}
	const char *e = memchr(p, '\n', (size_t)(end - p));
	if (!e)
		e = end;
	if (e > p && e[-1] == '\r')
		e--;
	return tm_xstrndup(p, (size_t)(e - p));
}

static void add(struct tm_diag *d, enum tm_severity sev, const struct tm_src *src, unsigned line,
		unsigned col, const char *fmt, va_list ap)
{
	if (sev == TM_SEV_ERROR)
		d->errors++;
	else if (sev == TM_SEV_WARNING)
		d->warnings++;
	if (d->n >= (d->max ? d->max : 50))
		return;
	tm_xgrow((void **)&d->v, &d->cap, d->n + 1, sizeof(*d->v));
	struct tm_diag_entry *e = &d->v[d->n++];
	char buf[1024];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	e->sev = sev;
	e->file = src && src->name ? tm_xstrdup(src->name) : NULL;
	e->line = line;
	e->col = col;
	e->msg = tm_xstrdup(buf);
	e->text = line_text(src, line);
}

int tm_diag_error(struct tm_diag *d, const struct tm_src *src, unsigned line, unsigned col,
		  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add(d, TM_SEV_ERROR, src, line, col, fmt, ap);
	va_end(ap);
	return -1;
}

void tm_diag_warn(struct tm_diag *d, const struct tm_src *src, unsigned line, unsigned col,
		  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add(d, TM_SEV_WARNING, src, line, col, fmt, ap);
	va_end(ap);
}

void tm_diag_note(struct tm_diag *d, const struct tm_src *src, unsigned line, unsigned col,
		  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add(d, TM_SEV_NOTE, src, line, col, fmt, ap);
	va_end(ap);
}

static const char *sev_name(enum tm_severity s)
{
	return s == TM_SEV_ERROR ? "error" : s == TM_SEV_WARNING ? "warning" : "note";
}

void tm_diag_print(const struct tm_diag *d, FILE *out)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct tm_diag_entry *e = &d->v[i];
		if (e->file && e->line && e->col)
			fprintf(out, "%s:%u:%u: ", e->file, e->line, e->col);
		else if (e->file && e->line)
			fprintf(out, "%s:%u: ", e->file, e->line);
		else if (e->file)
			fprintf(out, "%s: ", e->file);
		else
			fputs("trainmon: ", out);
		fprintf(out, "%s: %s\n", sev_name(e->sev), e->msg);
		if (!e->text)
			continue;
		fprintf(out, "%5u | ", e->line);
		/* Control bytes would move the caret: show them as spaces. */
		for (const char *p = e->text; *p; p++)
			fputc((unsigned char)*p < 0x20 ? ' ' : *p, out);
		fputc('\n', out);
		if (e->col) {
			fputs("      | ", out);
			for (unsigned c = 1; c < e->col; c++)
				fputc(' ', out);
			fputs("^\n", out);
		}
	}
	size_t shown = d->n;
	if (d->errors + d->warnings > shown)
		fprintf(out, "trainmon: %zu more diagnostics not shown\n", d->errors + d->warnings - shown);
}

/* top_text.c: `trainmon top`'s rows as text (top.h): which columns fit a width, each cell's text
 * and style, the sparkline, the detail view's lines, and --once's plain frame.
 *
 * One layout for the terminal and for plain frames, so a test of --once checks what the screen
 * shows. Every cell is fit to its width in display cells: the text is ASCII (bytes outside
 * printable ASCII in names become '?') except the sparkline's blocks and the ellipsis, one cell
 * each, used only when utf8 is set. Must not: write to the terminal (top_screen.c does).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "trainmon/alert.h"
#include "trainmon/top.h"
#include "banned.h"

struct colspec {
	const char *title, *name;    /* header, --sort name */
	int w;                       /* minimum width, cells */
	int prio;                    /* the lowest is dropped first when the width is short */
	int right;                   /* right-aligned (numbers) */
};

static const struct colspec cols[TM_TOP_NCOLS] = {
	[TM_TOP_RUN] = { "RUN", "run", 12, 100, 0 },
	[TM_TOP_FRAMEWORK] = { "FRAMEWORK", "framework", 9, 1, 0 },
	[TM_TOP_STEP] = { "STEP", "step", 7, 9, 1 },
	[TM_TOP_STEP_TIME] = { "STEP T", "step-time", 7, 8, 1 },
	[TM_TOP_TPS] = { "TOK/S", "tokens", 7, 5, 1 },
	[TM_TOP_MFU] = { "MFU", "mfu", 5, 7, 1 },
	[TM_TOP_ETA] = { "ETA", "eta", 6, 4, 1 },
	[TM_TOP_ALERTS] = { "ALERTS", "alerts", 8, 6, 0 },
	[TM_TOP_SPARK] = { "STEP TIMES", "spark", 10, 3, 0 },
};

const char *tm_top_col_name(enum tm_top_col c)
{
	return c < TM_TOP_NCOLS ? cols[c].name : "?";
}

void tm_top_layout(struct tm_top_layout *l, int width)
{
	int on[TM_TOP_NCOLS], w[TM_TOP_NCOLS], total = -1;
	for (int c = 0; c < TM_TOP_NCOLS; c++) {
		on[c] = 1;
		w[c] = cols[c].w;
		total += w[c] + 1;
	}
	while (total > width) {
		int drop = -1;
		for (int c = 0; c < TM_TOP_NCOLS; c++)
			if (on[c] && c != TM_TOP_RUN && (drop < 0 || cols[c].prio < cols[drop].prio))
				drop = c;
		if (drop < 0)
			break;
		on[drop] = 0;
		total -= w[drop] + 1;
	}
	/* the rest: the name up to 32 cells, then the sparkline up to 32, the alerts up to 24, the name */
	static const struct { enum tm_top_col c; int upto; } grow[] = {
		{ TM_TOP_RUN, 32 }, { TM_TOP_SPARK, 32 }, { TM_TOP_ALERTS, 24 }, { TM_TOP_RUN, 200 } };
	int extra = width - total;
	for (size_t g = 0; g < sizeof(grow) / sizeof(grow[0]) && extra > 0; g++) {
		enum tm_top_col c = grow[g].c;
		if (!on[c] || w[c] >= grow[g].upto)
			continue;
		int add = grow[g].upto - w[c] < extra ? grow[g].upto - w[c] : extra;
		w[c] += add;
		extra -= add;
	}
	if (w[TM_TOP_RUN] > width)
		w[TM_TOP_RUN] = width > 1 ? width : 1;
	l->ncols = 0;
	int x = 0;
	for (int c = 0; c < TM_TOP_NCOLS; c++)
		if (on[c]) {
			l->c[l->ncols].col = (enum tm_top_col)c;
			l->c[l->ncols].x = x;
			l->c[l->ncols].w = w[c];
			l->ncols++;
			x += w[c] + 1;
		}
}

/* Display cells of a UTF-8 string (every non-continuation byte is one cell: our text only). */
static int cells(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* buf = s fit to w cells: bytes outside printable ASCII as '?', cut with an ellipsis, padded. */
static void fit(char *buf, size_t n, const char *s, int w, int right, int utf8)
{
	char t[512];
	size_t k = 0;
	for (; *s && k + 1 < sizeof(t); s++)
		t[k++] = (unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f ? *s : '?';
	t[k] = '\0';
	if ((int)k > w && w > 0) {
		k = (size_t)w - 1;
		t[k] = '\0';
		snprintf(buf, n, "%s%s", t, utf8 ? "\xe2\x80\xa6" : "~");
	} else {
		int pad = w - (int)k;
		snprintf(buf, n, "%*s%s%*s", right ? pad : 0, "", t, right ? 0 : pad, "");
	}
}

void tm_top_spark(const double *v, size_t n, int w, int utf8, char *buf, size_t len)
{
	static const char *const blocks[8] = { "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84",
					       "\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88" };
	static const char ascii[] = "_.-~=+*#";
	size_t from = n > (size_t)w ? n - (size_t)w : 0;
	double lo = INFINITY, hi = -INFINITY;
	for (size_t i = from; i < n; i++)
		if (!isnan(v[i]))
			lo = fmin(lo, v[i]), hi = fmax(hi, v[i]);
	size_t pos = 0;
	buf[0] = '\0';
	for (size_t i = from; i < n; i++) {
		int level = isnan(v[i]) ? -1 : hi > lo ? (int)floor((v[i] - lo) / (hi - lo) * 7.999) : 3;
		const char *g = level < 0 ? " " : utf8 ? blocks[level] : (const char[]){ ascii[level], 0 };
		int wr = snprintf(buf + pos, len - pos, "%s", g);
		if (wr < 0 || pos + (size_t)wr >= len)
			break;
		pos += (size_t)wr;
	}
	int have = (int)(n - from);
	for (; have < w && pos + 1 < len; have++)
		buf[pos++] = ' ', buf[pos] = '\0';
}

static void fmt_step_time(char *b, size_t n, double s)
{
	if (s < 1)
		snprintf(b, n, "%.0fms", s * 1000);
	else if (s < 10)
		snprintf(b, n, "%.3fs", s);
	else if (s < 100)
		snprintf(b, n, "%.2fs", s);
	else
		snprintf(b, n, "%.0fs", s);
}

static void fmt_rate(char *b, size_t n, double v)
{
	if (v >= 1e9)
		snprintf(b, n, "%.2fG", v / 1e9);
	else if (v >= 1e6)
		snprintf(b, n, "%.2fM", v / 1e6);
	else if (v >= 1e4)
		snprintf(b, n, "%.1fk", v / 1e3);
	else
		snprintf(b, n, "%.0f", v);
}

static void fmt_eta(char *b, size_t n, double s)
{
	long t = (long)(s + 0.5);
	if (s >= 1e9)
		snprintf(b, n, ">30y");
	else if (t < 60)
		snprintf(b, n, "%lds", t);
	else if (t < 3600)
		snprintf(b, n, "%ldm%02lds", t / 60, t % 60);
	else if (t < 86400)
		snprintf(b, n, "%ldh%02ldm", t / 3600, t % 3600 / 60);
	else if (t < 100 * 86400L)
		snprintf(b, n, "%ldd%02ldh", t / 86400, t % 86400 / 3600);
	else
		snprintf(b, n, "%ldd", t / 86400);
}

/* The firing alerts, comma-separated, and their style. */
static enum tm_top_style alert_text(const struct tm_top_run *r, char *b, size_t n)
{
	size_t pos = 0;
	b[0] = '\0';
	for (int k = 0; k < TM_AL_N; k++)
		if (r->alerts >> k & 1) {
			int w = snprintf(b + pos, n - pos, "%s%s", pos ? "," : "", tm_alert_name(k));
			if (w < 0 || pos + (size_t)w >= n)
				break;
			pos += (size_t)w;
		}
	if (r->alerts >> TM_AL_FAILURE & 1)
		return TM_TOP_ST_BAD;
	if (r->alerts & (1u << TM_AL_LOW_MFU | 1u << TM_AL_THROUGHPUT_DROP | 1u << TM_AL_STALL | 1u << TM_AL_ENDED))
		return TM_TOP_ST_WARN;
	return r->alerts ? TM_TOP_ST_OK : TM_TOP_ST_DIM;
}

enum tm_top_style tm_top_cell(const struct tm_top_run *r, enum tm_top_col c, int w, int utf8, char *buf, size_t n)
{
	char t[256] = "-";
	enum tm_top_style st = TM_TOP_ST_PLAIN;
	double v = NAN;
	switch (c) {
	case TM_TOP_RUN:
		snprintf(t, sizeof(t), "%s", r->name);
		break;
	case TM_TOP_FRAMEWORK:
		if (r->framework[0])
			snprintf(t, sizeof(t), "%s", r->framework);
		break;
	case TM_TOP_STEP:
		if (!isnan(v = r->step))
			snprintf(t, sizeof(t), "%.0f", v);
		break;
	case TM_TOP_STEP_TIME:
		if (!isnan(v = r->step_time))
			fmt_step_time(t, sizeof(t), v);
		if (r->alerts >> TM_AL_STALL & 1)
			st = TM_TOP_ST_WARN;
		break;
	case TM_TOP_TPS:
		if (!isnan(v = r->tps))
			fmt_rate(t, sizeof(t), v);
		if (r->alerts >> TM_AL_THROUGHPUT_DROP & 1)
			st = TM_TOP_ST_WARN;
		break;
	case TM_TOP_MFU:
		if (!isnan(v = r->mfu))
			snprintf(t, sizeof(t), "%.1f%%", v * 100);
		if (r->alerts >> TM_AL_LOW_MFU & 1)
			st = TM_TOP_ST_WARN;
		break;
	case TM_TOP_ETA:
		if (r->alerts >> TM_AL_FINISHED & 1)
			snprintf(t, sizeof(t), "done"), v = 0;
		else if (!isnan(v = r->eta_s))
			fmt_eta(t, sizeof(t), v);
		break;
	case TM_TOP_ALERTS:
		st = alert_text(r, t, sizeof(t));
		if (!t[0])
			snprintf(t, sizeof(t), "-");
		break;
	case TM_TOP_SPARK:
		tm_top_spark(r->spark, r->nspark, w, utf8, buf, n);
		return TM_TOP_ST_OK;
	default:
		break;
	}
	if (c != TM_TOP_RUN && c != TM_TOP_FRAMEWORK && c != TM_TOP_ALERTS && isnan(v))
		st = TM_TOP_ST_DIM;
	if (c == TM_TOP_FRAMEWORK && !r->framework[0])
		st = TM_TOP_ST_DIM;
	fit(buf, n, t, w, cols[c].right, utf8);
	return st;
}

void tm_top_title(const struct tm_top_model *m, enum tm_top_col c, int w, int utf8, char *buf, size_t n)
{
	char t[64];
	if (c == m->sort) {
		/* the arrow points the way the rows run: down for the column's natural order */
		const char *arrow = utf8 ? (m->reverse ? "\xe2\x96\xb2" : "\xe2\x96\xbc") : (m->reverse ? "^" : "v");
		int room = w - 1 < (int)strlen(cols[c].title) ? w - 1 : (int)strlen(cols[c].title);
		snprintf(t, sizeof(t), "%.*s%s", room > 0 ? room : 0, cols[c].title, arrow);
	} else {
		snprintf(t, sizeof(t), "%s", cols[c].title);
	}
	/* fit() would turn the arrow into '?': pad by cells here */
	int pad = w - cells(t);
	if (pad < 0) {
		fit(buf, n, t, w, 0, utf8);
		return;
	}
	snprintf(buf, n, "%*s%s%*s", cols[c].right ? pad : 0, "", t, cols[c].right ? 0 : pad, "");
}

/* ---- detail ---- */

struct out {                            /* where the detail's lines go */
	tm_top_line_fn fn;
	void *ctx;
	int width, utf8;
};

static void line(const struct out *o, enum tm_top_style st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void line(const struct out *o, enum tm_top_style st, const char *fmt, ...)
{
	char t[1024], out[1100];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t, sizeof(t), fmt, ap);
	va_end(ap);
	fit(out, sizeof(out), t, o->width, 0, o->utf8);
	o->fn(o->ctx, st, out);
}

void tm_top_detail(const struct tm_top_run *r, int width, int utf8, tm_top_line_fn fn, void *ctx)
{
	char buf[1024], spark[TM_TOP_SPARK_N * 3 + 8];
	const struct out o = { fn, ctx, width, utf8 };
	line(&o, TM_TOP_ST_TITLE, "%s", r->name);
	for (size_t i = 0; i < r->nkv; i++)
		line(&o, TM_TOP_ST_PLAIN, "  %-11s %s", r->kv[i].key, r->kv[i].val);
	enum tm_top_style st = alert_text(r, buf, sizeof(buf));
	char al[1200];
	snprintf(al, sizeof(al), "%s%s%s%s", buf[0] ? buf : "none", r->failure[0] ? " (" : "", r->failure,
		 r->failure[0] ? ")" : "");
	line(&o, st == TM_TOP_ST_DIM ? TM_TOP_ST_PLAIN : st, "  %-11s %s", "alerts", al);
	int sw = width - 14 < 0 ? 0 : width - 14 > TM_TOP_SPARK_N ? TM_TOP_SPARK_N : width - 14;
	tm_top_spark(r->spark, r->nspark, sw, utf8, spark, sizeof(spark));
	snprintf(buf, sizeof(buf), "  %-11s %s", "step times", spark);
	fn(ctx, TM_TOP_ST_OK, buf);            /* not fit(): the blocks are one cell each */
	fn(ctx, TM_TOP_ST_PLAIN, "");
	line(&o, TM_TOP_ST_HEADER, "Events: %llu%s", (unsigned long long)r->events_total,
	     r->nev < r->events_total && r->nev ? " (repeats of a kind in a row are one entry, xN)" : "");
	if (!r->nev)
		line(&o, TM_TOP_ST_DIM, "  none");
	for (size_t i = 0; i < r->nev; i++) {
		const struct tm_top_event *e = &r->ev[i];
		char where[48] = "", what[96];
		if (e->line)
			snprintf(where, sizeof(where), "line %llu ", (unsigned long long)e->line);
		snprintf(what, sizeof(what), "%-10s%-8s %s x%llu ", where, e->severity, e->kind, (unsigned long long)e->count);
		enum tm_top_style es = strcmp(e->severity, "error") == 0 || strcmp(e->severity, "critical") == 0
				       ? TM_TOP_ST_BAD : strcmp(e->severity, "warning") == 0 ? TM_TOP_ST_WARN : TM_TOP_ST_PLAIN;
		line(&o, es, "  %s%s", what, e->msg);
	}
}

/* ---- --once ---- */

void tm_top_frame(FILE *f, const struct tm_top_model *m, const char *title, int width, int utf8)
{
	struct tm_top_layout l;
	tm_top_layout(&l, width);
	char cell[1024], row[8192];
	fprintf(f, "%s\n", title);
	for (int pass = -1; pass < (int)m->n; pass++) {
		size_t pos = 0;
		for (int i = 0; i < l.ncols; i++) {
			if (pass < 0)
				tm_top_title(m, l.c[i].col, l.c[i].w, utf8, cell, sizeof(cell));
			else
				tm_top_cell(&m->runs[pass], l.c[i].col, l.c[i].w, utf8, cell, sizeof(cell));
			int w = snprintf(row + pos, sizeof(row) - pos, "%s%s", i ? " " : "", cell);
			if (w < 0 || pos + (size_t)w >= sizeof(row))
				break;
			pos += (size_t)w;
		}
		while (pos && row[pos - 1] == ' ')
			pos--;
		fprintf(f, "%.*s\n", (int)pos, row);
	}
}

/* report_html.c: the page around the charts (report_html.h): head and style, one section per run
 * with its key figures, the summary table (tm_report_rows: the text report's own rows), regimes,
 * anomalies and events, and the chains hook. The charts are report_html_charts.c's.
 *
 * The page must stay self-contained: no <script>, no <link>, no URL; a Content-Security-Policy
 * of default-src 'none' makes any slip visible (the browser refuses the load) rather than a
 * silent request. Everything from a log or a file name goes through html.h.
 */
#include <math.h>
#include <string.h>

#include "trainmon/html.h"
#include "trainmon/report.h"
#include "trainmon/timefmt.h"
#include "report_html_int.h"
#include "banned.h"

#define ROWS_MAX 200    /* rows of the anomaly table; the rest are counted (JSON has them all) */

static void page_style(FILE *f)
{
	tm_svg_style(f);
	fputs("*{box-sizing:border-box}\n"
	      "body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,\"Segoe UI\","
	      "Roboto,\"Helvetica Neue\",Arial,sans-serif}\n"
	      "main{max-width:1480px;margin:0 auto;padding:22px 28px 36px}\n"
	      "header.page{display:flex;flex-wrap:wrap;align-items:baseline;gap:4px 14px;border-bottom:1px solid var(--line);"
	      "padding-bottom:10px;margin-bottom:18px}\n"
	      "header.page h1{font-size:20px;margin:0}header.page .by{color:var(--fg2)}\n"
	      "nav.runs{display:flex;flex-wrap:wrap;gap:6px 14px;margin:-8px 0 18px;font-size:13px}\n"
	      "a{color:var(--c0)}\n"
	      "section.run{margin-bottom:40px}\n"
	      "section.run h2{font:600 16px/1.3 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;margin:0 0 2px;"
	      "overflow-wrap:anywhere}\n"
	      ".sub{color:var(--fg2);margin:0 0 14px}\n"
	      ".tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(180px,1fr));gap:10px;margin-bottom:16px}\n"
	      ".tile{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:9px 14px}\n"
	      ".tile .k{color:var(--fg2);font-size:11.5px;text-transform:uppercase;letter-spacing:.05em}\n"
	      ".tile .v{font-size:21px;font-weight:650;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
	      ".tile .d{color:var(--fg2);font-size:12px}.tile.unknown .v{color:var(--fg2);font-weight:500}\n"
	      ".cols{display:grid;grid-template-columns:minmax(0,1fr) minmax(320px,420px);gap:18px;align-items:start}\n"
	      "@media (max-width:1100px){.cols{grid-template-columns:minmax(0,1fr)}}\n"
	      ".panel{background:var(--panel);border:1px solid var(--line);border-radius:8px;padding:10px 12px;"
	      "margin-bottom:18px;overflow-x:auto}\n"
	      ".panel h3{font-size:14px;margin:0 0 6px}\n"
	      "table{border-collapse:collapse;width:100%;font-size:12.5px}\n"
	      "th,td{text-align:left;vertical-align:top;padding:4px 7px;border-bottom:1px solid var(--line)}\n"
	      "tr:last-child>th,tr:last-child>td{border-bottom:0}\n"
	      "thead th{color:var(--fg2);font-weight:600}\n"
	      "table.summary th{white-space:nowrap;color:var(--fg2);font-weight:500}\n"
	      "table.summary td{overflow-wrap:anywhere}\n"
	      "td.num,th.num{font-variant-numeric:tabular-nums;text-align:right;white-space:nowrap}\n"
	      "td.msg{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:11.5px;"
	      "overflow-wrap:anywhere}\n"
	      ".sev-critical,.sev-error{color:var(--c1);font-weight:600}.sev-warning{color:var(--c3);font-weight:600}\n"
	      ".notes{color:var(--fg2);font-size:13px;margin:0 0 18px;padding-left:18px}\n"
	      "footer{color:var(--fg2);font-size:12px;border-top:1px solid var(--line);padding-top:10px}\n", f);
}

void tm_report_html_begin(FILE *f, char *const *names, size_t n)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<meta name=\"color-scheme\" content=\"light dark\">\n"
	      "<meta name=\"generator\" content=\"trainmon " TM_VERSION "\">\n<title>trainmon report", f);
	if (n == 1) {
		fputs(": ", f);
		tm_html_puts(f, names[0]);
	} else {
		fprintf(f, ": %zu runs", n);
	}
	fputs("</title>\n<style>\n", f);
	page_style(f);
	fputs("</style>\n</head>\n<body>\n<main>\n<header class=\"page\"><h1>trainmon report</h1>"
	      "<span class=\"by\">", f);
	if (n == 1)
		tm_html_puts(f, names[0]);
	else
		fprintf(f, "%zu runs", n);
	fputs("</span></header>\n", f);
	if (n > 1) {
		fputs("<nav class=\"runs\">", f);
		for (size_t i = 0; i < n; i++) {
			fprintf(f, "<a href=\"#run%zu\">", i);
			tm_html_puts(f, names[i]);
			fputs("</a>", f);
		}
		fputs("</nav>\n", f);
	}
}

void tm_report_html_end(FILE *f)
{
	fputs("<footer>Made by trainmon " TM_VERSION " from the logs alone. The numbers are those of "
	      "<code>trainmon analyze</code>; charts are drawn at most a few thousand points per curve "
	      "(minimum and maximum per bucket, or LTTB), so every spike is kept. Hover a marker for its "
	      "message. No scripts, no external resources.</footer>\n</main>\n</body>\n</html>\n", f);
}

/* The summary table: one <tr> per key, continuation rows joined into the cell above. */
struct rows { FILE *f; int open; };

static void html_row(void *ctx, const char *key, const char *value)
{
	struct rows *t = ctx;
	if (*key || !t->open) {
		if (t->open)
			fputs("</td></tr>\n", t->f);
		fputs("<tr><th>", t->f);
		tm_html_puts(t->f, key);
		fputs("</th><td>", t->f);
		t->open = 1;
	} else {
		fputs("<br>", t->f);
	}
	tm_html_puts(t->f, value);
}

static void tile(FILE *f, const char *k, const char *v, const char *d, int known)
{
	fprintf(f, "<div class=\"tile%s\"><div class=\"k\">", known ? "" : " unknown");
	tm_html_puts(f, k);
	fputs("</div><div class=\"v\">", f);
	tm_html_puts(f, v);
	fputs("</div><div class=\"d\">", f);
	tm_html_puts(f, d);
	fputs("</div></div>\n", f);
}

static void needs(char *buf, size_t n, const struct tm_val *v)
{
	snprintf(buf, n, "needs %s", v->needs ? v->needs : "more input");
}

/* The key figures, formatted as the text report formats them. */
static void tiles(FILE *f, const struct tm_summary *s)
{
	char v[96], d[160];
	fputs("<div class=\"tiles\">\n", f);
	if (isnan(s->step_time.v)) {
		needs(d, sizeof(d), &s->step_time);
		tile(f, "step time", "unknown", d, 0);
	} else {
		snprintf(v, sizeof(v), "%.6g s", s->step_time.v);
		snprintf(d, sizeof(d), "%s over %zu steps", s->basis_level ? "median of the last regime" :
			 tm_basis_name(s->basis), s->st.n);
		tile(f, "step time", v, d, 1);
	}
	tm_fmt_si(v, sizeof(v), s->tokens_per_s.v, "tokens/s");
	if (isnan(s->tokens_per_s.v))
		needs(d, sizeof(d), &s->tokens_per_s);
	else if (isnan(s->tokens_per_s_per_gpu.v))
		snprintf(d, sizeof(d), "per GPU: needs %s", s->tokens_per_s_per_gpu.needs ? s->tokens_per_s_per_gpu.needs : "--gpus");
	else
		tm_fmt_si(d, sizeof(d), s->tokens_per_s_per_gpu.v, "tokens/s/GPU");
	tile(f, "throughput", v, d, !isnan(s->tokens_per_s.v));
	if (isnan(s->mfu.v)) {
		needs(d, sizeof(d), &s->mfu);
		tile(f, "MFU", "unknown", d, 0);
	} else {
		snprintf(v, sizeof(v), "%.2f%%", 100 * s->mfu.v);
		snprintf(d, sizeof(d), "%.4g TFLOP/s/GPU of %.6g", s->tflops_per_gpu.v, s->peak_tflops.v);
		tile(f, "MFU", v, d, 1);
	}
	tm_fmt_si(v, sizeof(v), s->tokens_done.v, "tokens");
	if (isnan(s->tokens_done.v))
		needs(d, sizeof(d), &s->tokens_done);
	else if (!isnan(s->target_tokens.v))
		snprintf(d, sizeof(d), "%.1f%% of the target", 100 * s->tokens_done.v / s->target_tokens.v);
	else
		snprintf(d, sizeof(d), "target unknown");
	tile(f, "tokens done", v, d, !isnan(s->tokens_done.v));
	tm_fmt_duration(v, sizeof(v), s->eta_s.v);
	if (isnan(s->eta_s.v))
		needs(d, sizeof(d), &s->eta_s);
	else
		tm_fmt_si(d, sizeof(d), s->target_tokens.v, "tokens target");
	tile(f, "ETA", v, d, !isnan(s->eta_s.v));
	fputs("</div>\n", f);
}

static void regimes_table(FILE *f, const struct tm_anomalies *a)
{
	if (a->nregimes < 2)
		return;
	fputs("<div class=\"panel regimes\"><h3>Step-time regimes</h3><table><thead><tr><th>steps</th>"
	      "<th class=\"num\">records</th><th class=\"num\">median</th><th class=\"num\">MAD</th></tr></thead><tbody>\n", f);
	for (size_t i = 0; i < a->nregimes; i++) {
		const struct tm_regime *g = &a->regimes[i];
		fprintf(f, "<tr><td>%.0f..%.0f</td><td class=\"num\">%zu</td><td class=\"num\">%.6g s</td>"
			"<td class=\"num\">%.3g s</td></tr>\n", g->first_step, g->last_step, g->n, g->median, g->mad);
	}
	fputs("</tbody></table></div>\n", f);
}

static void anomalies_table(FILE *f, const struct tm_anomalies *a)
{
	if (a->n == 0)
		return;
	fprintf(f, "<div class=\"panel anomalies\"><h3>Anomalies (%zu)</h3><table><thead><tr><th>kind</th>"
		"<th class=\"num\">steps</th><th class=\"num\">change</th><th class=\"num\">value</th>"
		"<th class=\"num\">vs</th><th>after</th></tr></thead><tbody>\n", a->n);
	for (size_t i = 0; i < a->n && i < ROWS_MAX; i++) {
		const struct tm_anomaly *an = &a->v[i];
		fputs("<tr><td>", f);
		tm_html_puts(f, tm_anomaly_kind_name(an->kind));
		if (an->first_step == an->last_step)
			fprintf(f, "</td><td class=\"num\">%.0f</td>", an->first_step);
		else
			fprintf(f, "</td><td class=\"num\">%.0f..%.0f</td>", an->first_step, an->last_step);
		if (isinf(an->magnitude))
			fputs("<td class=\"num\">not finite</td>", f);
		else
			fprintf(f, "<td class=\"num\">%+.1f %%</td>", 100 * an->magnitude);
		fprintf(f, "<td class=\"num\">%.6g</td><td class=\"num\">%.6g</td><td>", an->value, an->reference);
		if (an->kind == TM_AN_STRAGGLER) {
			fprintf(f, "rank %d, %u reports%s", an->rank, an->intervals, an->host[0] ? ", on " : "");
			tm_html_puts(f, an->host);
		} else {
			tm_html_puts(f, an->cause);
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table>", f);
	if (a->n > ROWS_MAX)
		fprintf(f, "<p class=\"notes\">%zu more in <code>--format json</code></p>", a->n - ROWS_MAX);
	fputs("</div>\n", f);
}

static void events_table(FILE *f, const struct tm_run *r)
{
	fprintf(f, "<div class=\"panel events\"><h3>Events (%zu)</h3>\n", r->nevents);
	if (r->nevents == 0) {
		fputs("<p class=\"notes\">none</p></div>\n", f);
		return;
	}
	fputs("<table><thead><tr><th class=\"num\">line</th><th>severity</th><th>kind</th><th class=\"num\">count</th><th>message</th>"
	      "</tr></thead><tbody>\n", f);
	for (size_t i = 0; i < r->nevents; i++) {
		const struct tm_event *e = &r->events[i];
		fprintf(f, "<tr><td class=\"num\">%llu</td><td class=\"sev-%s\">%s</td><td>", (unsigned long long)e->line,
			tm_ev_severity_name(e->severity), tm_ev_severity_name(e->severity));
		tm_html_puts(f, tm_event_kind_name(e->kind));
		fprintf(f, "</td><td class=\"num\">%llu", (unsigned long long)e->count);
		if (e->count > 1)
			fprintf(f, " (to line %llu)", (unsigned long long)e->last_line);
		fputs("</td><td class=\"msg\">", f);
		tm_html_puts(f, e->message);
		fputs("</td></tr>\n", f);
	}
	fputs("</tbody></table>", f);
	if (r->events_dropped)
		fprintf(f, "<p class=\"notes\">%llu more events not listed</p>", (unsigned long long)r->events_dropped);
	fputs("</div>\n", f);
}

size_t tm_report_html_run(FILE *f, size_t i, const struct tm_summary *s, const struct tm_run *r,
			  const struct tm_anomalies *a, const struct tm_html_opts *o)
{
	fprintf(f, "<section class=\"run\" id=\"run%zu\">\n<h2>", i);
	tm_html_puts(f, s->file);
	fputs("</h2>\n<p class=\"sub\">", f);
	tm_html_puts(f, s->framework ? s->framework : "framework not detected");
	if (s->slurm_job_id)
		tm_html_printf(f, " \xc2\xb7 Slurm job %s", s->slurm_job_id);
	if (s->steps)
		tm_html_printf(f, " \xc2\xb7 %zu step records, steps %.0f..%.0f", s->steps, s->first_step, s->last_step);
	if (!isnan(r->first_ts)) {
		char a0[40], a1[40];
		tm_time_iso(a0, sizeof(a0), r->first_ts);
		tm_time_iso(a1, sizeof(a1), r->last_ts);
		tm_html_printf(f, " \xc2\xb7 %s .. %s", a0, a1);
	}
	fputs("</p>\n", f);
	tiles(f, s);
	fputs("<div class=\"cols\">\n<div class=\"charts\">\n", f);
	size_t charts = tm__report_html_charts(f, i, s, r, a, o);
	fputs("</div>\n<aside>\n<div class=\"panel\"><h3>Summary</h3><table class=\"summary\"><tbody>\n", f);
	struct rows t = { f, 0 };
	tm_report_rows(s, r, html_row, &t);
	struct tm_interruption it;
	tm_interrupt_find(r, &it);
	tm_report_interruption_rows(&it, html_row, &t);
	if (t.open)
		fputs("</td></tr>\n", f);
	fputs("</tbody></table></div>\n", f);
	regimes_table(f, a);
	fputs("</aside>\n</div>\n", f);
	anomalies_table(f, a);
	events_table(f, r);
	fputs("</section>\n", f);
	return charts;
}

void tm_report_html_chain(FILE *f, const char *id, const char *title, const struct tm_svg_series *progress,
			  size_t nprogress, const struct tm_svg_range *segments, size_t nsegments,
			  const struct tm_svg_marker *interruptions, size_t ninterruptions,
			  const struct tm_svg_bar *ledger)
{
	char cid[160];
	fputs("<section class=\"chain\" id=\"", f);
	tm_html_puts(f, id);
	fputs("\">\n<h2>", f);
	tm_html_puts(f, title);
	fputs("</h2>\n", f);
	snprintf(cid, sizeof(cid), "%s-segments", id);
	struct tm_svg_chart c = {
		.id = cid, .title = "Segments over wall clock",
		.x = { .label = "time (UTC)", .scale = TM_SVG_TIME },
		.y = { .label = "step", .si = 1, .zero = 1 },
		.series = progress, .nseries = nprogress,
		.ranges = segments, .nranges = nsegments,
		.markers = interruptions, .nmarkers = ninterruptions,
	};
	tm_svg_chart(f, &c);
	if (ledger)
		tm_svg_stacked_bar(f, ledger);
	fputs("</section>\n", f);
}

/* report_html_charts.c: the charts of one run (report_html_int.h): step time with the warm-up,
 * the regimes and the baseline, tokens/s, MFU with the --min-mfu line, loss, and where the lines
 * carry times, progress and step time over the wall clock. Events and anomalies are markers whose
 * hover text is their message.
 *
 * The curves are the run's step records; per-step tokens/s and MFU come from report.h (CSV's
 * formula, the summary's inputs), never from a second computation of the summary. An event has a
 * line, not a step: it is drawn at the last step record printed before it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/appendf.h"
#include "trainmon/html.h"
#include "trainmon/report.h"
#include "trainmon/xalloc.h"
#include "trainmon/sortd.h"
#include "report_html_int.h"
#include "banned.h"

#define TEXT_LEN 320

struct cols {                        /* the run's step records as columns, NAN where unknown */
	double *step, *time, *tps, *tps_logged, *mfu, *mfu_logged, *loss, *ts;
	size_t n, nts;               /* records; records with a wall-clock time */
	size_t derived;              /* step times derived from a logged throughput */
};

struct marks {                       /* markers, with the storage for their texts */
	struct tm_svg_marker *v;
	char (*text)[TEXT_LEN];
	size_t n;
};

static int any(const double *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i]))
			return 1;
	return 0;
}

static void cols_fill(struct cols *c, const struct tm_summary *s, const struct tm_run *r)
{
	size_t n = r->nsteps;
	double **all[] = { &c->step, &c->time, &c->tps, &c->tps_logged, &c->mfu, &c->mfu_logged, &c->loss, &c->ts };
	for (size_t k = 0; k < sizeof(all) / sizeof(all[0]); k++)
		*all[k] = tm_xmalloc((n + 1) * sizeof(double));
	c->n = n;
	c->nts = c->derived = 0;
	for (size_t i = 0; i < n; i++) {
		const struct tm_step st_v = tm_run_step(r, i), *st = &st_v;
		c->step[i] = st->step;
		const char *how = NULL;
		c->time[i] = tm_summary_step_time(st, s, &how);
		c->derived += how != NULL;
		c->tps[i] = tm_report_step_tokens_per_s(s, st, c->time[i]);
		c->tps_logged[i] = st->tokens_per_s;
		c->mfu[i] = tm_report_step_mfu(s, st, c->time[i]);
		c->mfu_logged[i] = st->mfu;
		c->loss[i] = st->loss;
		c->ts[i] = st->ts;
		c->nts += isfinite(st->ts);
	}
}

static void cols_free(struct cols *c)
{
	double *all[] = { c->step, c->time, c->tps, c->tps_logged, c->mfu, c->mfu_logged, c->loss, c->ts };
	for (size_t k = 0; k < sizeof(all) / sizeof(all[0]); k++)
		free(all[k]);
}

/* The index of the last step record printed at or before line (0 when none was). Step records
 * are in step order, which is line order unless the log went back; then this is approximate. */
static size_t step_at_line(const struct tm_run *r, uint64_t line)
{
	size_t lo = 0, hi = r->nsteps;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (tm_run_stepline(r, mid) <= line)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static struct tm_svg_marker *mark(struct marks *m, double x, double y, const char *cls)
{
	struct tm_svg_marker *k = &m->v[m->n];
	*k = (struct tm_svg_marker){ .x = x, .y = y, .cls = cls, .text = m->text[m->n] };
	m->n++;
	return k;
}

enum { ANOM_NONE, ANOM_STEP_TIME, ANOM_LOSS, ANOM_REGRESSION };

/* The run's events, and the anomalies of the chart's kind, as markers. wall: at the step
 * record's time instead of its step. anom: which anomalies (ANOM_*): the step-time ones (an
 * outlier is a dot at its time), the loss ones, or only the regressions (a line where the level
 * moved: charts whose y is not a step time). */
static void marks_fill(struct marks *m, const struct tm_run *r, const struct tm_anomalies *a, int wall,
		       int anom)
{
	m->v = tm_xcalloc(r->nevents + a->n + 1, sizeof(*m->v));
	m->text = tm_xcalloc(r->nevents + a->n + 1, sizeof(*m->text));
	m->n = 0;
	if (r->nsteps == 0)
		return;
	for (size_t i = 0; i < r->nevents; i++) {
		const struct tm_event *e = &r->events[i];
		const struct tm_step st_v = tm_run_step(r, step_at_line(r, e->line)), *st = &st_v;
		double x = wall ? st->ts : st->step;
		if (!isfinite(x))
			continue;
		size_t k = m->n;
		mark(m, x, NAN, tm_ev_severity_name(e->severity));
		if (e->count > 1)
			snprintf(m->text[k], TEXT_LEN, "line %llu (x%llu, to line %llu), near step %.0f: %s %s: %s",
				 (unsigned long long)e->line, (unsigned long long)e->count,
				 (unsigned long long)e->last_line, st->step, tm_ev_severity_name(e->severity),
				 tm_event_kind_name(e->kind), e->message);
		else
			snprintf(m->text[k], TEXT_LEN, "line %llu, near step %.0f: %s %s: %s", (unsigned long long)e->line,
				 st->step, tm_ev_severity_name(e->severity), tm_event_kind_name(e->kind), e->message);
	}
	for (size_t i = 0; anom != ANOM_NONE && i < a->n; i++) {
		const struct tm_anomaly *an = &a->v[i];
		int is_loss = an->kind == TM_AN_LOSS_SPIKE || an->kind == TM_AN_DIVERGENCE;
		if (an->kind == TM_AN_GRAD_NORM_SPIKE)
			continue;                /* no chart has the grad norm: the table lists it */
		if (anom == ANOM_LOSS ? !is_loss : anom == ANOM_STEP_TIME ? is_loss : an->kind != TM_AN_STEP_TIME_REGRESSION)
			continue;
		/* a point anomaly is a dot at its value; a change of level a line where it starts */
		int dot = an->kind == TM_AN_STEP_TIME_OUTLIER || an->kind == TM_AN_LOSS_SPIKE;
		size_t k = m->n;
		mark(m, an->first_step, dot ? an->value : NAN, "anomaly");
		char mag[32];
		if (isinf(an->magnitude))
			snprintf(mag, sizeof(mag), "not finite");
		else
			snprintf(mag, sizeof(mag), "%+.1f %%", 100 * an->magnitude);
		snprintf(m->text[k], TEXT_LEN, "%s at step %.0f%s: %s (%.6g vs %.6g)%s%s", tm_anomaly_kind_name(an->kind),
			 an->first_step, an->last_step != an->first_step ? " and after" : "", mag, an->value,
			 an->reference, an->cause ? "; after " : "", an->cause ? an->cause : "");
	}
}

static void marks_free(struct marks *m)
{
	free(m->v);
	free(m->text);
}

/* The 99.9th percentile of v[0..n) (finite values), or the highest regime median when higher;
 * NAN when there is nothing. */
static double robust_top(const double *v, size_t n, const struct tm_anomalies *a)
{
	double *t = tm_xmalloc((n + 1) * sizeof(*t));
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i]))
			t[k++] = v[i];
	double q = NAN;
	if (k >= 100) {
		tm_sort_doubles(t, k);
		q = tm_quantile(t, k, 0.999);
		for (size_t i = 0; i < a->nregimes; i++)
			q = fmax(q, a->regimes[i].median);
	}
	free(t);
	return q;
}

struct notes { char v[8][200]; size_t n; };

static void note(struct notes *nt, const char *chart, const char *why, const char *needs)
{
	if (nt->n < 8)
		snprintf(nt->v[nt->n++], sizeof(nt->v[0]), "%s: not drawn, %s%s", chart, why, needs ? needs : "");
}

static void chart_id(char *buf, size_t n, size_t run, const char *name)
{
	snprintf(buf, n, "run%zu-%s", run, name);
}

size_t tm__report_html_charts(FILE *f, size_t run, const struct tm_summary *s, const struct tm_run *r,
			      const struct tm_anomalies *a, const struct tm_html_opts *o)
{
	struct cols c;
	struct marks ev, evr, evt, evl;
	struct notes nt = { .n = 0 };
	cols_fill(&c, s, r);
	marks_fill(&ev, r, a, 0, ANOM_STEP_TIME);
	marks_fill(&evr, r, a, 0, ANOM_REGRESSION);
	marks_fill(&evl, r, a, 0, ANOM_LOSS);
	marks_fill(&evt, r, a, 1, ANOM_NONE);     /* at their wall-clock time */
	const struct tm_svg_axis xstep = { .label = "step", .si = 1, .integer = 1 };
	const struct tm_svg_axis xwall = { .label = "time (UTC)", .scale = TM_SVG_TIME };
	char id[64], buf[160], buf2[160];
	size_t drawn = 0;

	/* step time: the warm-up and the regimes shaded, their medians, the baseline */
	if (any(c.time, c.n)) {
		struct tm_svg_range *rg = tm_xcalloc(a->nregimes + 2, sizeof(*rg));
		char (*rtext)[160] = tm_xcalloc(a->nregimes + 2, sizeof(*rtext));
		size_t nrg = 0;
		if (s->warmup_steps > 0 && s->warmup_records < r->nsteps) {
			snprintf(rtext[nrg], sizeof(rtext[0]), "warm-up: %.0f steps (%zu records) left out of the statistics",
				 s->warmup_steps, s->warmup_records);
			rg[nrg] = (struct tm_svg_range){ .x0 = tm_run_stepf(r, 0, TM_SF_STEP),
							 .x1 = tm_run_stepf(r, s->warmup_records, TM_SF_STEP),
							 .text = rtext[nrg], .shade = 0, .label = "warm-up" };
			nrg++;
		}
		double *rx = tm_xcalloc(a->nregimes + 1, sizeof(double)), *ry = tm_xcalloc(a->nregimes + 1, sizeof(double));
		size_t nr = 0;
		if (a->nregimes > 1) {
			for (size_t i = 0; i < a->nregimes; i++) {
				const struct tm_regime *g = &a->regimes[i];
				snprintf(rtext[nrg], sizeof(rtext[0]), "regime %zu: steps %.0f..%.0f, median %.6g s over %zu steps",
					 i + 1, g->first_step, g->last_step, g->median, g->n);
				rg[nrg] = (struct tm_svg_range){ .x0 = g->first_step, .x1 = g->last_step, .text = rtext[nrg],
								 .shade = i % 2 ? 4 : 1 };
				nrg++;
				rx[nr] = g->first_step, ry[nr] = g->median, nr++;
			}
			rx[nr] = a->regimes[a->nregimes - 1].last_step, ry[nr] = ry[nr - 1], nr++;
		}
		struct tm_svg_series se[2] = {
			{ .name = "step time", .x = c.step, .y = c.time, .n = c.n, .color = 0, .ds = TM_SVG_DS_MINMAX },
			{ .name = "regime median", .x = rx, .y = ry, .n = nr, .kind = TM_SVG_STEP, .color = 1, .dashed = 1 },
		};
		struct tm_svg_hline base = { .y = s->step_time.v, .color = 2, .dashed = 1, .label = buf };
		snprintf(buf, sizeof(buf), "%s %.6g s", s->basis_level ? "last regime" : tm_basis_name(s->basis), s->step_time.v);
		snprintf(buf2, sizeof(buf2), "%zu records; the baseline is the basis of tokens/s, MFU and ETA%s", s->st.n,
			 c.derived ? "; times derived from the logged throughput" : "");
		/* a slow first step would flatten the rest: the range is the steady state's, the
		   warm-up is cut at the top */
		double lo = INFINITY, hi = -INFINITY, wmax = -INFINITY;
		for (size_t i = 0; i < c.n; i++)
			if (isfinite(c.time[i])) {
				if (i < s->warmup_records)
					wmax = fmax(wmax, c.time[i]);
				else
					lo = fmin(lo, c.time[i]), hi = fmax(hi, c.time[i]);
			}
		int cut = lo <= hi && wmax > hi + (hi - lo) * 0.5 && wmax > hi * 1.2;
		/* a few slow steps (checkpoints, a hang) would flatten the rest too: above 1.5x the
		   99.9th percentile or the regimes' level, the curve runs off the top (the steps are
		   marked; the wall-clock chart keeps the whole range) */
		double cap = robust_top(c.time + s->warmup_records, c.n - s->warmup_records, a);
		if (isfinite(cap) && hi > cap * 1.5)
			hi = cap * 1.15, cut = 1;
		if (cut) {
			double pad = fmax((hi - lo) * 0.08, hi * 0.01);
			lo = fmax(lo - pad, 0), hi += pad;
			tm_appendf(buf2, sizeof(buf2), &(size_t){ strlen(buf2) }, "; steps above %.4g s run off the top", hi);
		}
		chart_id(id, sizeof(id), run, "step-time");
		struct tm_svg_chart ch = {
			.id = id, .title = "Step time", .note = buf2, .x = xstep,
			.y = { .label = "step time", .unit = "s", .si = 1, .lo = cut ? lo : 0, .hi = cut ? hi : 0 },
			.series = se, .nseries = nr ? 2 : 1, .hlines = &base, .nhlines = isfinite(base.y) && !nr,
			.markers = ev.v, .nmarkers = ev.n, .ranges = rg, .nranges = nrg, .max_points = o->max_points,
		};
		drawn += tm_svg_chart(f, &ch) > 0;
		free(rg);
		free(rtext);
		free(rx);
		free(ry);
	} else {
		note(&nt, "step time", "no step record has a time", NULL);
	}

	/* tokens/s: ours per step, and the framework's own when it printed it */
	if (any(c.tps, c.n) || any(c.tps_logged, c.n)) {
		struct tm_svg_series se[2];
		size_t n = 0;
		if (any(c.tps, c.n))
			se[n++] = (struct tm_svg_series){ .name = "tokens/s", .x = c.step, .y = c.tps, .n = c.n, .color = 2 };
		if (any(c.tps_logged, c.n))
			se[n++] = (struct tm_svg_series){ .name = "tokens/s (logged)", .x = c.step, .y = c.tps_logged,
							  .n = c.n, .color = 5, .dashed = 1 };
		struct tm_svg_hline base = { .y = s->tokens_per_s.v, .color = 0, .dashed = 1, .label = buf };
		tm_fmt_si(buf, sizeof(buf), s->tokens_per_s.v, "tokens/s");
		chart_id(id, sizeof(id), run, "tokens");
		struct tm_svg_chart ch = {
			.id = id, .title = "Throughput", .note = "global batch x sequence length / step time", .x = xstep,
			.y = { .label = "throughput", .unit = "tokens/s", .si = 1, .zero = 1 },
			.series = se, .nseries = n, .hlines = &base, .nhlines = isfinite(base.y),
			.markers = evr.v, .nmarkers = evr.n, .max_points = o->max_points,
		};
		drawn += tm_svg_chart(f, &ch) > 0;
	} else {
		note(&nt, "throughput", "tokens/s unknown, needs ", s->tokens_per_s.needs ? s->tokens_per_s.needs : "--seq-len");
	}

	/* MFU: ours per step and the logged one, with the --min-mfu line */
	if (any(c.mfu, c.n) || any(c.mfu_logged, c.n)) {
		struct tm_svg_series se[2];
		size_t n = 0;
		if (any(c.mfu, c.n))
			se[n++] = (struct tm_svg_series){ .name = "MFU", .x = c.step, .y = c.mfu, .n = c.n, .color = 3,
							  .ds = TM_SVG_DS_MINMAX };
		if (any(c.mfu_logged, c.n))
			se[n++] = (struct tm_svg_series){ .name = "MFU (logged)", .x = c.step, .y = c.mfu_logged, .n = c.n,
							  .color = 5, .dashed = 1 };
		snprintf(buf, sizeof(buf), "--min-mfu %.4g %%", 100 * o->min_mfu);
		struct tm_svg_hline min = { .y = o->min_mfu, .color = 1, .dashed = 1, .label = buf };
		if (isnan(s->mfu.v))
			snprintf(buf2, sizeof(buf2), "our MFU unknown (needs %s): the framework's own", s->mfu.needs ? s->mfu.needs : "more input");
		else
			snprintf(buf2, sizeof(buf2), "model FLOPs / step time / GPUs / peak (%.6g TFLOP/s)", s->peak_tflops.v);
		chart_id(id, sizeof(id), run, "mfu");
		struct tm_svg_chart ch = {
			.id = id, .title = "Model FLOPs utilisation", .note = buf2, .x = xstep,
			.y = { .label = "MFU", .unit = "%", .mul = 100, .zero = 1 },
			.series = se, .nseries = n, .hlines = &min, .nhlines = o->min_mfu > 0,
			.markers = evr.v, .nmarkers = evr.n, .max_points = o->max_points,
		};
		drawn += tm_svg_chart(f, &ch) > 0;
	} else {
		note(&nt, "MFU", "unknown, needs ", s->mfu.needs ? s->mfu.needs : "more input");
	}

	/* loss, optionally on a log axis; loss spikes and divergence as markers */
	if (any(c.loss, c.n)) {
		struct tm_svg_series se = { .name = "loss", .x = c.step, .y = c.loss, .n = c.n, .color = 4, .ds = TM_SVG_DS_LTTB };
		chart_id(id, sizeof(id), run, "loss");
		struct tm_svg_chart ch = {
			.id = id, .title = "Loss", .note = o->loss_log ? "logarithmic axis" : NULL, .x = xstep,
			.y = { .label = "loss", .scale = o->loss_log ? TM_SVG_LOG : TM_SVG_LINEAR },
			.series = &se, .nseries = 1, .markers = evl.v, .nmarkers = evl.n, .max_points = o->max_points,
		};
		drawn += tm_svg_chart(f, &ch) > 0;
	} else {
		note(&nt, "loss", "the log printed no loss", NULL);
	}

	/* the wall clock: progress (flat where the job stalled or was down) and step time */
	if (c.nts >= 2) {
		struct tm_svg_series se = { .name = "step", .x = c.ts, .y = c.step, .n = c.n, .color = 0, .ds = TM_SVG_DS_LTTB };
		chart_id(id, sizeof(id), run, "progress-wall");
		struct tm_svg_chart ch = {
			.id = id, .title = "Progress over wall clock", .note = "flat stretches: stalls and restarts",
			.x = xwall, .y = { .label = "step", .si = 1 },
			.series = &se, .nseries = 1, .markers = evt.v, .nmarkers = evt.n, .max_points = o->max_points,
		};
		drawn += tm_svg_chart(f, &ch) > 0;
		if (any(c.time, c.n)) {
			struct tm_svg_series st = { .name = "step time", .x = c.ts, .y = c.time, .n = c.n, .color = 0 };
			chart_id(id, sizeof(id), run, "step-time-wall");
			struct tm_svg_chart ct = {
				.id = id, .title = "Step time over wall clock", .x = xwall,
				.y = { .label = "step time", .unit = "s", .si = 1 },
				.series = &st, .nseries = 1, .markers = evt.v, .nmarkers = evt.n, .max_points = o->max_points,
			};
			drawn += tm_svg_chart(f, &ct) > 0;
		}
	} else {
		note(&nt, "wall-clock charts", "the step lines carry no time", NULL);
	}
	if (nt.n) {
		fputs("<ul class=\"notes\">", f);
		for (size_t i = 0; i < nt.n; i++) {
			fputs("<li>", f);
			tm_html_puts(f, nt.v[i]);
			fputs("</li>", f);
		}
		fputs("</ul>\n", f);
	}
	marks_free(&ev);
	marks_free(&evr);
	marks_free(&evl);
	marks_free(&evt);
	cols_free(&c);
	return drawn;
}

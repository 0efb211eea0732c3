/* report_html_chain.c: chains (chain.h) in the HTML report: per chain, its segments over the
 * wall clock (each segment's steps by time, the segment shaded, its interruption marked) and its
 * goodput ledger as a stacked bar; the chain's table of figures is the text report's.
 *
 * Allocates the chart's arrays per chain and frees them before returning.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/report_html.h"
#include "trainmon/svg.h"
#include "trainmon/xalloc.h"
#include "banned.h"

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static void one_chain(FILE *f, size_t ci, const struct tm_chain *c, const struct tm_segment *segs)
{
	size_t n = c->nsegs;
	struct tm_svg_series *ser = tm_xcalloc(n + 1, sizeof(*ser));
	struct tm_svg_range *rng = tm_xcalloc(n + 1, sizeof(*rng));
	struct tm_svg_marker *mk = tm_xcalloc(n + 1, sizeof(*mk));
	char (*texts)[300] = tm_xcalloc(n + 1, sizeof(*texts));
	double **xs = tm_xcalloc(n + 1, sizeof(*xs)), **ys = tm_xcalloc(n + 1, sizeof(*ys));
	size_t nser = 0, nrng = 0, nmk = 0;
	for (size_t k = 0; k < n; k++) {
		const struct tm_segment *sg = &segs[c->segs[k]];
		xs[k] = tm_xcalloc(sg->nsteps + 1, sizeof(double));
		ys[k] = tm_xcalloc(sg->nsteps + 1, sizeof(double));
		size_t m = 0;
		for (size_t i = 0; i < sg->nsteps; i++)
			if (isfinite(sg->steps[i].ts)) {
				xs[k][m] = sg->steps[i].ts;
				ys[k][m++] = sg->steps[i].step;
			}
		if (m)
			ser[nser++] = (struct tm_svg_series){ .name = base_name(sg->file), .x = xs[k], .y = ys[k],
							       .n = m, .color = (int)(k % 4) };
		if (isfinite(sg->first_ts) && isfinite(sg->last_ts))
			rng[nrng++] = (struct tm_svg_range){ .x0 = sg->first_ts, .x1 = sg->last_ts,
							      .text = sg->file, .shade = (int)(k % 4) + 1,
							      .label = base_name(sg->file) };
		const struct tm_interruption *it = &sg->intr;
		double at = isfinite(it->initiating_ts) ? it->initiating_ts : it->end_ts;
		if (it->interrupted && isfinite(at)) {
			snprintf(texts[k], sizeof(texts[k]), "%s (%s): %s", tm_seg_end_name(it->end),
				 tm_int_category_name(it->category),
				 it->has_initiating ? it->initiating_msg : "no initiating event in the log");
			mk[nmk++] = (struct tm_svg_marker){ .x = at, .y = NAN, .text = texts[k], .cls = "critical" };
		}
	}
	struct tm_svg_part parts[TM_B_N];
	size_t np = 0;
	for (int b = 0; b < TM_B_N; b++)
		if (isfinite(c->bucket[b]) && c->bucket[b] > 0)
			parts[np++] = (struct tm_svg_part){ tm_bucket_name((enum tm_bucket)b), c->bucket[b], b % TM_SVG_COLORS };
	char id[64], bid[80], title[400];
	snprintf(id, sizeof(id), "chain-%zu", ci);
	snprintf(bid, sizeof(bid), "%s-ledger", id);
	snprintf(title, sizeof(title), "Chain %.300s: %zu segments, goodput %s", c->name, c->nsegs,
		 isfinite(c->goodput) ? "" : "unknown");
	if (isfinite(c->goodput)) {
		size_t l = strlen(title);
		snprintf(title + l, sizeof(title) - l, "%.1f%%", 100 * c->goodput);
	}
	struct tm_svg_bar bar = { .id = bid, .title = "Goodput ledger (wall time)", .unit = "s", .parts = parts,
				  .nparts = np };
	tm_report_html_chain(f, id, title, ser, nser, rng, nrng, mk, nmk, np ? &bar : NULL);
	for (size_t k = 0; k < n; k++) {
		free(xs[k]);
		free(ys[k]);
	}
	free(xs);
	free(ys);
	free(texts);
	free(mk);
	free(rng);
	free(ser);
}

void tm_report_html_chains(FILE *f, const struct tm_chain *chains, size_t n, const struct tm_segment *segs)
{
	for (size_t i = 0; i < n; i++)
		one_chain(f, i, &chains[i], segs);
}

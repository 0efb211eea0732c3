/* report_chain.c: chains (chain.h) as text, JSON and a CSV segments table.
 *
 * The JSON keys are an interface documented in docs/analyze.md ("Chains"): add keys, never rename
 * them. Unknown values are null in JSON, with a `reason`; "unknown (reason)" in text. Writes only
 * to the FILE or JSON writer it is given.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "trainmon/report.h"
#include "trainmon/timefmt.h"
#include "banned.h"

static void iso(char *buf, size_t n, double ts)
{
	if (isnan(ts))
		snprintf(buf, n, "unknown");
	else
		tm_time_iso(buf, n, ts);
}

/* A segment's ledger values, in JSON and CSV order. */
static const struct seg_col {
	const char *name;
	size_t off;                  /* of a double in struct tm_seg_ledger */
} seg_cols[] = {
	{ "productive_s", offsetof(struct tm_seg_ledger, productive) },
	{ "wasted_progress_s", offsetof(struct tm_seg_ledger, wasted) },
	{ "startup_s", offsetof(struct tm_seg_ledger, startup) },
	{ "checkpoint_load_s", offsetof(struct tm_seg_ledger, ckpt_load) },
	{ "checkpoint_save_s", offsetof(struct tm_seg_ledger, ckpt_save) },
	{ "evaluation_s", offsetof(struct tm_seg_ledger, eval) },
	{ "stall_s", offsetof(struct tm_seg_ledger, stall) },
	{ "other_s", offsetof(struct tm_seg_ledger, other) },
	{ "recovery_before_s", offsetof(struct tm_seg_ledger, recovery_before) },
};
#define NCOLS (sizeof(seg_cols) / sizeof(seg_cols[0]))

static double col(const struct tm_seg_ledger *L, size_t i)
{
	double v;
	memcpy(&v, (const char *)L + seg_cols[i].off, sizeof(v));
	return v;
}

static const struct tm_segment *seg_of(const struct tm_chain *c, const struct tm_segment *segs, size_t i)
{
	return &segs[c->segs[i]];
}

static const char *initiating(const struct tm_segment *sg)
{
	return sg->intr.has_initiating ? tm_event_kind_name(sg->intr.initiating) : NULL;
}

/* ---- text ---- */

static void text_segments(FILE *f, const struct tm_chain *c, const struct tm_segment *segs)
{
	int w = 4;
	for (size_t i = 0; i < c->nsegs; i++) {
		size_t len = strlen(seg_of(c, segs, i)->file);
		w = len > (size_t)w ? (len > 200 ? 200 : (int)len) : w;
	}
	fprintf(f, "  %-3s %-*s %-13s %-8s %-21s %-21s %s\n", "#", w, "file", "steps", "from", "start", "end",
		"ended");
	for (size_t i = 0; i < c->nsegs; i++) {
		const struct tm_segment *sg = seg_of(c, segs, i);
		char steps[64], from[32], a[40], b[40];
		if (sg->nsteps)
			snprintf(steps, sizeof(steps), "%.0f..%.0f", sg->steps[0].step, sg->steps[sg->nsteps - 1].step);
		else
			snprintf(steps, sizeof(steps), "none");
		if (isnan(sg->led.from_step))
			snprintf(from, sizeof(from), "unknown");
		else
			snprintf(from, sizeof(from), "%.0f", sg->led.from_step);
		iso(a, sizeof(a), sg->first_ts);
		iso(b, sizeof(b), sg->last_ts);
		fprintf(f, "  %-3zu %-*s %-13s %-8s %-21s %-21s %s", i + 1, w, sg->file, steps, from, a, b,
			tm_seg_end_name(sg->intr.end));
		if (sg->intr.interrupted && sg->intr.end != TM_END_TIME_LIMIT)
			fprintf(f, ": %s (%s)", initiating(sg) ? initiating(sg) : "no initiating event",
				tm_int_category_name(sg->intr.category));
		fputc('\n', f);
	}
}

static void text_ledger(FILE *f, const struct tm_chain *c)
{
	char d[48];
	tm_fmt_duration(d, sizeof(d), c->wall);
	if (isnan(c->wall))
		fprintf(f, "  wall clock    unknown (%s)\n", c->wall_why ? c->wall_why : "no times");
	else
		fprintf(f, "  wall clock    %s (%.0f s)\n", d, c->wall);
	if (!isnan(c->goodput))
		fprintf(f, "  goodput       %.2f%% of the wall time was productive", 100 * c->goodput);
	else
		fprintf(f, "  goodput       unknown");
	if (!isnan(c->effective_mfu))
		fprintf(f, "; effective MFU %.2f%% (MFU %.2f%% x goodput)", 100 * c->effective_mfu, 100 * c->mfu);
	fputc('\n', f);
	fprintf(f, "  ledger        %-16s %12s %8s %10s\n", "bucket", "seconds", "share", "GPU-hours");
	for (int b = 0; b < TM_B_N; b++) {
		double v = c->bucket[b];
		fprintf(f, "                %-16s ", tm_bucket_name(b));
		if (isnan(v)) {
			fprintf(f, "unknown (%s)\n", c->why[b]);
			continue;
		}
		fprintf(f, "%12.1f ", v);
		if (!isnan(c->wall) && c->wall > 0)
			fprintf(f, "%7.2f%% ", 100 * v / c->wall);
		else
			fprintf(f, "%8s ", "");
		if (!isnan(c->gpus))
			fprintf(f, "%10.2f", v * c->gpus / 3600);
		else
			fprintf(f, "%10s", "?");
		if (c->why[b][0])
			fprintf(f, "  (%s)", c->why[b]);
		fputc('\n', f);
	}
	if (isnan(c->gpus))
		fprintf(f, "                GPU-hours unknown (needs --gpus)\n");
}

static void text_tokens(FILE *f, const struct tm_chain *c)
{
	char a[48], b[48];
	tm_fmt_si(a, sizeof(a), c->tokens_done, "tokens");
	if (isnan(c->tokens_done))
		fprintf(f, "  tokens done   unknown (needs %s)\n", c->tokens_needs ? c->tokens_needs : "--seq-len");
	else
		fprintf(f, "  tokens done   %s (each step once)\n", a);
	if (isnan(c->target_tokens)) {
		fprintf(f, "  target        unknown (needs --target-tokens)\n");
		return;
	}
	tm_fmt_si(b, sizeof(b), c->target_tokens, "tokens");
	fprintf(f, "  target        %s", b);
	if (!isnan(c->progress))
		fprintf(f, ", %.2f%% done", 100 * c->progress);
	char t[48];
	if (c->ended) {
		tm_fmt_duration(t, sizeof(t), c->remaining_s);
		fprintf(f, "; remaining %s at the last rate; the run ended\n", t);
	} else {
		tm_fmt_duration(t, sizeof(t), c->eta_s);
		fprintf(f, "; ETA %s at the recent rate\n", t);
	}
}

static void text_interruptions(FILE *f, const struct tm_chain *c)
{
	fprintf(f, "  interruptions %zu", c->interruptions);
	const char *sep = " (";
	for (int k = 0; k < TM_IC_N; k++)
		if (c->by_category[k]) {
			fprintf(f, "%s%s %zu", sep, tm_int_category_name(k), c->by_category[k]);
			sep = ", ";
		}
	if (*sep == ',')
		fputc(')', f);
	char a[48], b[48];
	tm_fmt_duration(a, sizeof(a), c->mtbf_s);
	tm_fmt_duration(b, sizeof(b), c->mttr_s);
	fprintf(f, "; MTBF %s, MTTR %s; recurrence %zu\n", a, b, c->recurrence);
	for (size_t i = 0; i < c->nrecur; i++)
		fprintf(f, "  recurring     %s at step %.0f, %zu times\n", tm_event_kind_name(c->recur[i].kind),
			c->recur[i].step, c->recur[i].count);
}

void tm_report_chains_text(FILE *f, const struct tm_chain *chains, size_t n, const struct tm_segment *segs)
{
	static const char *const by[] = { "name", "--chain", "file_regex", "--chain-by", "param", "--chain-param",
					   "resume", "resume evidence" };
	for (size_t k = 0; k < n; k++) {
		const struct tm_chain *c = &chains[k];
		const char *how = c->grouped_by;
		for (size_t i = 0; i < 8; i += 2)
			if (strcmp(how, by[i]) == 0)
				how = by[i + 1];
		fprintf(f, "\nchain %s: %zu segments (grouped by %s, ordered by %s)\n", c->name, c->nsegs, how,
			c->by_time ? "time" : "step numbers");
		text_segments(f, c, segs);
		text_tokens(f, c);
		text_ledger(f, c);
		text_interruptions(f, c);
	}
}

/* ---- JSON ---- */

static void json_segment(struct tm_json *j, const struct tm_segment *sg)
{
	const struct tm_seg_ledger *L = &sg->led;
	tm_json_obj(j, NULL);
	tm_json_str(j, "file", sg->file);
	tm_json_num(j, "first_step", sg->nsteps ? sg->steps[0].step : NAN);
	tm_json_num(j, "last_step", sg->nsteps ? sg->steps[sg->nsteps - 1].step : NAN);
	tm_json_num(j, "from_step", L->from_step);
	tm_json_num(j, "kept_steps", L->kept_steps);
	tm_json_num(j, "wasted_steps", L->wasted_steps);
	tm_report_json_time(j, "start", sg->first_ts);
	tm_report_json_time(j, "end", sg->last_ts);
	tm_json_num(j, "start_epoch", sg->first_ts);
	tm_json_num(j, "end_epoch", sg->last_ts);
	tm_json_str(j, "ended", tm_seg_end_name(sg->intr.end));
	tm_json_bool(j, "interruption", sg->intr.interrupted && sg->intr.end != TM_END_TIME_LIMIT);
	tm_json_str(j, "initiating", initiating(sg));
	tm_json_str(j, "category", sg->intr.interrupted ? tm_int_category_name(sg->intr.category) : NULL);
	tm_json_num(j, "cascade", (double)sg->intr.cascade);
	tm_json_num(j, "teardown", (double)sg->intr.teardown);
	tm_json_num(j, "checkpoint_saves", (double)L->saves);
	for (size_t i = 0; i < NCOLS; i++)
		tm_json_num(j, seg_cols[i].name, col(L, i));
	tm_json_end(j, '}');
}

static void json_chain(struct tm_json *j, const struct tm_chain *c, const struct tm_segment *segs)
{
	tm_json_obj(j, NULL);
	tm_json_str(j, "name", c->name);
	tm_json_str(j, "grouped_by", c->grouped_by);
	tm_json_str(j, "order", c->by_time ? "time" : "steps");
	tm_json_arr(j, "segments");
	for (size_t i = 0; i < c->nsegs; i++)
		json_segment(j, seg_of(c, segs, i));
	tm_json_end(j, ']');
	tm_json_num(j, "tokens_done", c->tokens_done);
	tm_json_str(j, "tokens_done_needs", isnan(c->tokens_done) ? c->tokens_needs : NULL);
	tm_json_num(j, "target_tokens", c->target_tokens);
	tm_json_num(j, "progress", c->progress);
	tm_json_num(j, "tokens_per_s", c->tokens_per_s);
	tm_json_bool(j, "ended", c->ended);
	tm_json_num(j, "eta_s", c->eta_s);
	tm_json_num(j, "remaining_s_at_last_rate", c->remaining_s);
	tm_json_num(j, "wall_s", c->wall);
	tm_json_str(j, "wall_reason", c->wall_why);
	tm_json_num(j, "goodput", c->goodput);
	tm_json_num(j, "mfu", c->mfu);
	tm_json_num(j, "effective_mfu", c->effective_mfu);
	tm_json_num(j, "gpus", c->gpus);
	tm_json_obj(j, "ledger");
	for (int b = 0; b < TM_B_N; b++) {
		tm_json_obj(j, tm_bucket_name(b));
		tm_json_num(j, "seconds", c->bucket[b]);
		tm_json_num(j, "share", c->bucket[b] / c->wall);
		tm_json_num(j, "gpu_hours", c->bucket[b] * c->gpus / 3600);
		tm_json_str(j, "reason", c->why[b][0] ? c->why[b] : NULL);
		tm_json_end(j, '}');
	}
	tm_json_end(j, '}');
	tm_json_obj(j, "interruptions");
	tm_json_num(j, "count", (double)c->interruptions);
	tm_json_obj(j, "by_category");
	for (int k = 0; k < TM_IC_N; k++)
		if (c->by_category[k])
			tm_json_num(j, tm_int_category_name(k), (double)c->by_category[k]);
	tm_json_end(j, '}');
	tm_json_num(j, "mtbf_s", c->mtbf_s);
	tm_json_num(j, "mttr_s", c->mttr_s);
	tm_json_num(j, "recurrence", (double)c->recurrence);
	tm_json_arr(j, "recurring");
	for (size_t i = 0; i < c->nrecur; i++) {
		tm_json_obj(j, NULL);
		tm_json_str(j, "initiating", tm_event_kind_name(c->recur[i].kind));
		tm_json_num(j, "step", c->recur[i].step);
		tm_json_num(j, "count", (double)c->recur[i].count);
		tm_json_end(j, '}');
	}
	tm_json_end(j, ']');
	tm_json_end(j, '}');
	tm_json_end(j, '}');
}

void tm_report_chains_json(struct tm_json *j, const struct tm_chain *chains, size_t n, const struct tm_segment *segs)
{
	tm_json_arr(j, "chains");
	for (size_t k = 0; k < n; k++)
		json_chain(j, &chains[k], segs);
	tm_json_end(j, ']');
}

/* ---- CSV: one row per segment ---- */

static void csv_str(FILE *f, const char *s)
{
	if (!s)
		return;
	if (!strpbrk(s, ",\"\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void csv_num(FILE *f, double v)
{
	char buf[40];
	fputc(',', f);
	if (isnan(v))
		return;
	tm_fmt_num(buf, sizeof(buf), v);
	fputs(buf, f);
}

void tm_report_chains_csv(FILE *f, const struct tm_chain *chains, size_t n, const struct tm_segment *segs)
{
	fputs("chain,segment,file,first_step,last_step,from_step,kept_steps,wasted_steps,start,end,ended,"
	      "initiating,category", f);
	for (size_t i = 0; i < NCOLS; i++)
		fprintf(f, ",%s", seg_cols[i].name);
	fputc('\n', f);
	for (size_t k = 0; k < n; k++) {
		const struct tm_chain *c = &chains[k];
		for (size_t i = 0; i < c->nsegs; i++) {
			const struct tm_segment *sg = seg_of(c, segs, i);
			const struct tm_seg_ledger *L = &sg->led;
			char a[40] = "", b[40] = "";
			if (!isnan(sg->first_ts))
				tm_time_iso(a, sizeof(a), sg->first_ts);
			if (!isnan(sg->last_ts))
				tm_time_iso(b, sizeof(b), sg->last_ts);
			csv_str(f, c->name);
			fprintf(f, ",%zu,", i + 1);
			csv_str(f, sg->file);
			csv_num(f, sg->nsteps ? sg->steps[0].step : NAN);
			csv_num(f, sg->nsteps ? sg->steps[sg->nsteps - 1].step : NAN);
			csv_num(f, L->from_step);
			csv_num(f, L->kept_steps);
			csv_num(f, L->wasted_steps);
			fprintf(f, ",%s,%s,%s,", a, b, tm_seg_end_name(sg->intr.end));
			int intr = sg->intr.interrupted && sg->intr.end != TM_END_TIME_LIMIT;
			csv_str(f, intr ? initiating(sg) : NULL);
			fputc(',', f);
			csv_str(f, intr ? tm_int_category_name(sg->intr.category) : NULL);
			for (size_t c2 = 0; c2 < NCOLS; c2++)
				csv_num(f, col(L, c2));
			fputc('\n', f);
		}
	}
}

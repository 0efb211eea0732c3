/* report_incident.c: events as incidents (where and when: ranks, host, time, code) and a
 * segment's interruption record (interrupt.h), as JSON keys and text.
 *
 * Ranks print as ranges ("0-3,8"), in JSON too (a string, not an array of up to 1024 numbers).
 * JSON carries every field; text adds the ranks and host to an event's line and one or two
 * lines on how the segment ended. Writes only to what it is given.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "trainmon/appendf.h"
#include "trainmon/report.h"
#include "trainmon/timefmt.h"
#include "banned.h"

size_t tm_fmt_ranks(char *buf, size_t n, const struct tm_event *e)
{
	size_t len = 0;
	if (n)
		buf[0] = '\0';
	for (unsigned k = 0; k < TM_EVENT_RANKS && len + 1 < n; k++) {
		if (!tm_event_has_rank(e, k))
			continue;
		unsigned end = k;
		while (end + 1 < TM_EVENT_RANKS && tm_event_has_rank(e, end + 1))
			end++;
		int w = end == k ? snprintf(buf + len, n - len, "%s%u", len ? "," : "", k)
				 : snprintf(buf + len, n - len, "%s%u-%u", len ? "," : "", k, end);
		if (w < 0 || (size_t)w >= n - len) {
			/* cut at a whole range: "...,+" says there is more */
			while (len && buf[len - 1] != ',')
				len--;
			if (len + 2 <= n - 1) {
				buf[len++] = '+';
			}
			buf[len < n ? len : n - 1] = '\0';
			return len;
		}
		len += (size_t)w;
		k = end;
	}
	return len;
}


void tm_report_json_event_where(struct tm_json *j, const struct tm_event *e)
{
	char ranks[4096];
	tm_report_json_time_epoch(j, "ts", "ts_epoch", e->ts);
	tm_report_json_time_epoch(j, "last_ts", "last_ts_epoch", e->last_ts);
	tm_json_num(j, "nranks", (double)e->nranks);
	tm_fmt_ranks(ranks, sizeof(ranks), e);
	tm_json_str(j, "ranks", e->nranks ? ranks : NULL);
	tm_json_num(j, "ranks_beyond_lines", (double)e->ranks_beyond);
	tm_json_str(j, "host", e->nhosts ? e->host : NULL);
	tm_json_bool(j, "more_hosts", e->nhosts > 1);
	tm_json_num(j, "code", e->code >= 0 ? (double)e->code : NAN);
}

void tm_report_text_event_where(FILE *f, const struct tm_event *e)
{
	char ranks[200];
	if (e->nranks) {
		tm_fmt_ranks(ranks, sizeof(ranks), e);
		fprintf(f, " [%s %s]", e->nranks == 1 ? "rank" : "ranks", ranks);
	}
	if (e->nhosts)
		fprintf(f, " [host %s%s]", e->host, e->nhosts > 1 ? " and others" : "");
}

void tm_report_json_interruption(struct tm_json *j, const char *key, const struct tm_interruption *it)
{
	tm_json_obj(j, key);
	tm_json_str(j, "end", tm_seg_end_name(it->end));
	tm_json_bool(j, "interrupted", it->interrupted);
	tm_json_str(j, "category", it->interrupted ? tm_int_category_name(it->category) : NULL);
	if (it->has_initiating) {
		tm_json_obj(j, "initiating");
		tm_json_str(j, "kind", tm_event_kind_name(it->initiating));
		tm_json_num(j, "line", (double)it->initiating_line);
		tm_report_json_time_epoch(j, "ts", "ts_epoch", it->initiating_ts);
		tm_json_num(j, "step", it->initiating_step);
		tm_json_str(j, "host", it->host[0] ? it->host : NULL);
		tm_json_num(j, "rank", it->rank >= 0 ? (double)it->rank : NAN);
		tm_json_num(j, "code", it->code >= 0 ? (double)it->code : NAN);
		tm_json_str(j, "message", it->initiating_msg);
		tm_json_end(j, '}');
	} else {
		tm_json_null(j, "initiating");
	}
	tm_json_num(j, "cascade", (double)it->cascade);
	tm_json_num(j, "cascade_incidents", (double)it->cascade_incidents);
	tm_json_num(j, "cascade_ranks", (double)it->cascade_ranks);
	tm_json_num(j, "ranks", (double)it->ranks);
	tm_json_num(j, "teardown", (double)it->teardown);
	tm_json_str(j, "teardown_kind", it->has_teardown ? tm_event_kind_name(it->teardown_kind) : NULL);
	tm_json_num(j, "teardown_line", it->has_teardown ? (double)it->teardown_line : NAN);
	tm_json_num(j, "clean_line", it->clean_line ? (double)it->clean_line : NAN);
	tm_json_num(j, "last_step", it->last_step);
	tm_report_json_time_epoch(j, "end_ts", "end_ts_epoch", it->end_ts);
	tm_json_end(j, '}');
}

void tm_report_interruption_rows(const struct tm_interruption *it, tm_report_row_fn row, void *ctx)
{
	char v[600];
	size_t n = 0;
	if (it->end == TM_END_UNKNOWN && !it->has_initiating)
		return;
	v[0] = '\0';
	tm_appendf(v, sizeof(v), &n, "%s", tm_seg_end_name(it->end));
	if (it->end == TM_END_CLEAN) {
		if (it->clean_line)
			tm_appendf(v, sizeof(v), &n, " (training_done at line %llu)", (unsigned long long)it->clean_line);
		else
			tm_appendf(v, sizeof(v), &n, " (the last step reached train_iters)");
		row(ctx, "ended", v);
		return;
	}
	if (it->interrupted)
		tm_appendf(v, sizeof(v), &n, ", %s", tm_int_category_name(it->category));
	if (it->has_initiating) {
		tm_appendf(v, sizeof(v), &n, ": initiating %s at line %llu", tm_event_kind_name(it->initiating),
			   (unsigned long long)it->initiating_line);
		if (!isnan(it->initiating_step))
			tm_appendf(v, sizeof(v), &n, " (after step %.0f)", it->initiating_step);
		if (it->code >= 0)
			tm_appendf(v, sizeof(v), &n, ", %s %d",
				   it->initiating == TM_EV_XID || it->initiating == TM_EV_GPU_LOST ? "Xid" : "code", it->code);
		if (it->host[0])
			tm_appendf(v, sizeof(v), &n, ", host %s", it->host);
		if (it->rank >= 0)
			tm_appendf(v, sizeof(v), &n, ", rank %d", it->rank);
	}
	row(ctx, "ended", v);
	if (it->cascade || it->teardown) {
		n = 0;
		v[0] = '\0';
		tm_appendf(v, sizeof(v), &n, "cascade %llu line%s", (unsigned long long)it->cascade, it->cascade == 1 ? "" : "s");
		if (it->cascade_ranks)
			tm_appendf(v, sizeof(v), &n, " on %u rank%s", it->cascade_ranks, it->cascade_ranks == 1 ? "" : "s");
		tm_appendf(v, sizeof(v), &n, ", teardown %llu line%s", (unsigned long long)it->teardown,
			   it->teardown == 1 ? "" : "s");
		if (it->has_teardown)
			tm_appendf(v, sizeof(v), &n, " (first: %s at line %llu)", tm_event_kind_name(it->teardown_kind),
				   (unsigned long long)it->teardown_line);
		row(ctx, "", v);
	}
}


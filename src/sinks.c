/* sinks.c: where the daemon's output goes: human lines on stdout, JSON lines (--jsonl), a hook
 * per alert (--exec, sink_exec.c), HTTP notifications (daemon_notify.c), and notes on stderr; and the reports about the sinks
 * themselves (drops, write errors, failed hooks).
 *
 * Key decision: every record is built whole in memory and handed to a bounded, non-blocking
 * queue (sink_queue.c), so a stalled reader or a full disk never blocks the loop; what the queues
 * drop and the hooks fail is counted for /metrics and told on stderr at most once per
 * TM_SINK_REPORT_MS per sink. Must not: write to stdout or the --jsonl fd except through a queue,
 * or wait for a hook. Notes on stderr go through a queue too once the sinks are open (a stalled
 * reader of stderr, e.g. a pipe nobody drains, must not freeze the daemon); before that, and
 * after the queues are closed, they are plain writes.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "trainmon/json.h"
#include "trainmon/report.h"
#include "trainmon/xalloc.h"
#include "banned.h"

#define TM_SINK_REPORT_MS 10000     /* ms: at most one report per sink this often */
#define TM_SINK_DRAIN_MS 2000       /* ms: at exit, how long the queues may still write */
#define TM_EXEC_EXIT_WAIT_MS 1000   /* ms: at exit, how long running hooks may still run */

static void iso_now(char *buf, size_t n)
{
	struct timespec ts;
	struct tm tmv;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tmv);
	size_t k = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tmv);
	snprintf(buf + k, n - k, ".%03ldZ", ts.tv_nsec / 1000000);
}

void tm__sink_note(struct tm_daemon *d, const char *fmt, ...)
{
	char msg[1024], ts[40];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	iso_now(ts, sizeof(ts));
	if (!d || !d->sinks.err.q) {
		fprintf(stderr, "%s trainmon watch: %s\n", ts, msg);
		return;
	}
	size_t n = strlen(ts) + strlen(msg) + sizeof(" trainmon watch: \n");
	char *rec = tm_xmalloc(n);
	int k = snprintf(rec, n, "%s trainmon watch: %s\n", ts, msg);
	tm_sink_queue_push(&d->sinks.err, rec, (size_t)k);
}

int tm__sinks_open(struct tm_daemon *d)
{
	struct tm_daemon_sinks *s = &d->sinks;
	const struct tm_watch_cfg *c = d->cfg;
	int to_stdout = c->jsonl_path && strcmp(c->jsonl_path, "-") == 0;
	tm_sink_queue_open_std(&s->err, "stderr", STDERR_FILENO, c->sink_queue, &d->loop);
	if (!c->quiet || to_stdout) {
		tm_sink_queue_open(&s->out, to_stdout ? "jsonl" : "stdout", NULL, c->sink_queue, &d->loop);
		s->term = c->quiet ? NULL : &s->out;
	}
	if (to_stdout) {
		s->jsonl = &s->out;
	} else if (c->jsonl_path) {
		int rc = tm_sink_queue_open(&s->file, "jsonl", c->jsonl_path, c->sink_queue, &d->loop);
		if (rc < 0)
			return rc;
		s->jsonl = &s->file;
	}
	if (c->exec_cmd)
		tm_sink_exec_init(&s->exec, c->exec_cmd, c->exec_max, c->exec_timeout_s);
	return 0;
}

void tm__sinks_close(struct tm_daemon *d)
{
	tm_sink_queue_release(&d->sinks.file);
	tm_sink_queue_release(&d->sinks.out);
	tm_sink_queue_release(&d->sinks.err);
	tm_sink_exec_release(&d->sinks.exec);
	d->sinks.jsonl = d->sinks.term = NULL;
}

/* ---- records ---- */

/* A record is written into memory whole, then queued. */
struct rec {
	char *p;
	size_t len;
	FILE *f;
};

static int rec_open(struct rec *r)
{
	r->p = NULL;
	r->len = 0;
	r->f = open_memstream(&r->p, &r->len);
	return r->f ? 0 : -1;
}

static void rec_push(struct rec *r, struct tm_sink_queue *q)
{
	if (fclose(r->f) == 0 && r->len)
		tm_sink_queue_push(q, r->p, r->len);
	else
		free(r->p);
}

static int json_head(struct tm_daemon *d, struct rec *r, struct tm_json *j, const char *type, const char *file)
{
	char ts[40];
	if (!d->sinks.jsonl || rec_open(r) < 0)
		return -1;
	iso_now(ts, sizeof(ts));
	tm_json_init(j, r->f, 0);
	tm_json_obj(j, NULL);
	tm_json_str(j, "type", type);
	tm_json_str(j, "ts", ts);
	if (file)
		tm_json_str(j, "file", file);
	return 0;
}

static void json_tail(struct tm_daemon *d, struct rec *r, struct tm_json *j)
{
	tm_json_end(j, '}');
	fputc('\n', r->f);
	rec_push(r, d->sinks.jsonl);
}

static char *env_kv(const char *k, const char *v)
{
	size_t n = strlen(k) + strlen(v) + 2;
	char *s = tm_xmalloc(n);
	snprintf(s, n, "%s=%s", k, v);
	return s;
}

static void exec_alert(struct tm_daemon *d, struct tm_watched *w, const struct tm_alert_event *e)
{
	char num[64], what[160];
	int fl = e->kind == TM_AL_FAILURE;
	char **env = tm_xcalloc(11, sizeof(*env));
	env[0] = env_kv("TRAINMON_ALERT", tm_alert_name(e->kind));
	env[1] = env_kv("TRAINMON_STATE", e->firing ? "firing" : "resolved");
	env[2] = env_kv("TRAINMON_FILE", w->tail.path);
	tm_fmt_num(num, sizeof(num), e->value);
	env[3] = env_kv("TRAINMON_VALUE", num);
	tm_fmt_num(num, sizeof(num), e->threshold);
	env[4] = env_kv("TRAINMON_THRESHOLD", num);
	env[5] = env_kv("TRAINMON_MESSAGE", e->message);
	env[6] = env_kv("TRAINMON_KIND", fl ? tm_event_kind_name(e->event_kind) : "");
	env[7] = env_kv("TRAINMON_SEVERITY", fl ? tm_ev_severity_name(e->severity) : "");
	tm_fmt_num(num, sizeof(num), tm_alert_is_anomaly(e->kind) ? e->step : NAN);
	env[8] = env_kv("TRAINMON_STEP", num);
	snprintf(num, sizeof(num), "%d", e->kind == TM_AL_STRAGGLER ? e->rank : -1);
	env[9] = env_kv("TRAINMON_RANK", e->kind == TM_AL_STRAGGLER && e->rank >= 0 ? num : "");
	snprintf(what, sizeof(what), "'%s' %s for %s", tm_alert_name(e->kind), e->firing ? "firing" : "resolved",
		 w->tail.path);
	tm_sink_exec_submit(&d->sinks.exec, env, what, tm_loop_now(&d->loop));
}

void tm__reap_children(struct tm_daemon *d)
{
	tm_sink_exec_reap(&d->sinks.exec, tm_loop_now(&d->loop));
}

void tm__sink_alert(struct tm_daemon *d, struct tm_watched *w, const struct tm_alert_event *e)
{
	char ts[40];
	struct rec r;
	d->st.alerts++;
	if (d->sinks.term && rec_open(&r) == 0) {
		iso_now(ts, sizeof(ts));
		fprintf(r.f, "%s ALERT %s %s%s%s: %s\n", ts, e->firing ? "firing" : "resolved", tm_alert_name(e->kind),
			e->kind == TM_AL_FAILURE ? "/" : "", e->kind == TM_AL_FAILURE ? tm_event_kind_name(e->event_kind) : "",
			e->message);
		rec_push(&r, d->sinks.term);
	}
	char *rec = tm__alert_record(w, e);
	if (d->sinks.jsonl && rec) {
		size_t len = strlen(rec);
		char *line = tm_xmalloc(len + 1);
		memcpy(line, rec, len);
		line[len] = '\n';
		tm_sink_queue_push(d->sinks.jsonl, line, len + 1);
	}
	if (d->cfg->exec_cmd)
		exec_alert(d, w, e);
	tm__notify_alert(d, w, e, rec);
	free(rec);
}

/* The --jsonl alert record (also the body of --webhook-format json), without its newline. */
char *tm__alert_record(const struct tm_watched *w, const struct tm_alert_event *e)
{
	char ts[40];
	struct rec r;
	if (rec_open(&r) < 0)
		return NULL;
	struct tm_json j;
	iso_now(ts, sizeof(ts));
	tm_json_init(&j, r.f, 0);
	tm_json_obj(&j, NULL);
	tm_json_str(&j, "type", "alert");
	tm_json_str(&j, "ts", ts);
	tm_json_str(&j, "file", w->tail.path);
	tm_json_str(&j, "alert", tm_alert_name(e->kind));
	tm_json_str(&j, "state", e->firing ? "firing" : "resolved");
	tm_json_num(&j, "value", e->value);
	tm_json_num(&j, "threshold", e->threshold);
	tm_json_str(&j, "message", e->message);
	if (e->kind == TM_AL_FAILURE) {
		tm_json_str(&j, "kind", tm_event_kind_name(e->event_kind));
		tm_json_str(&j, "severity", tm_ev_severity_name(e->severity));
	}
	if (tm_alert_is_anomaly(e->kind))
		tm_json_num(&j, "step", e->step);
	if (e->kind == TM_AL_STRAGGLER) {
		tm_json_num(&j, "rank", e->rank);
		tm_json_str(&j, "host", e->host[0] ? e->host : NULL);
	}
	tm_json_end(&j, '}');
	if (fclose(r.f) != 0) {
		free(r.p);
		return NULL;
	}
	return r.p;
}

void tm__sink_events(struct tm_daemon *d, struct tm_watched *w)
{
	const struct tm_run *run = &w->tail.feed.run;
	for (; w->events_emitted < run->nevents; w->events_emitted++) {
		const struct tm_event *e = &run->events[w->events_emitted];
		struct tm_json j;
		struct rec r;
		if (json_head(d, &r, &j, "event", w->tail.path) < 0)
			continue;
		tm_json_str(&j, "kind", tm_event_kind_name(e->kind));
		tm_json_str(&j, "severity", tm_ev_severity_name(e->severity));
		tm_json_num(&j, "line", (double)e->line);
		tm_json_str(&j, "message", e->message);
		json_tail(d, &r, &j);
	}
}

void tm__sink_summary(struct tm_daemon *d, struct tm_watched *w, const char *why)
{
	const struct tm_run *run = &w->tail.feed.run;
	struct rec r;
	if (d->sinks.term && rec_open(&r) == 0) {
		char ts[40];
		iso_now(ts, sizeof(ts));
		fprintf(r.f, "%s SUMMARY (%s)\n", ts, why);
		tm_report_text(r.f, &w->sum, run);
		rec_push(&r, d->sinks.term);
	}
	struct tm_json j;
	if (json_head(d, &r, &j, "summary", NULL) == 0) {
		tm_json_str(&j, "why", why);
		tm_report_json_fields(&j, &w->sum, run);
		json_tail(d, &r, &j);
	}
}

void tm__sink_line(struct tm_daemon *d, const char *file, const struct tm_record *rec)
{
	struct tm_json j;
	struct rec r;
	if (json_head(d, &r, &j, "line", file) < 0)
		return;
	tm_json_num(&j, "line", (double)rec->line);
	tm_json_strn(&j, "text", rec->p, rec->len);
	json_tail(d, &r, &j);
}

/* ---- reports on the sinks themselves ---- */

static const char *queue_label(const struct tm_daemon *d, const struct tm_sink_queue *q, char *buf, size_t n)
{
	if (q->path)
		snprintf(buf, n, "--jsonl %s", q->path);
	else
		snprintf(buf, n, "%s", q == d->sinks.jsonl ? "--jsonl - (stdout)" : "stdout");
	return buf;
}

static const char *why_text(const struct tm_sink_queue *q)
{
	switch (q->last_err) {
	case EPIPE:
		return q->fifo ? "the reader went away (Broken pipe): reopening the FIFO when a reader comes back"
			       : "the reader went away (Broken pipe): records are dropped from now on";
	case ENXIO:
		return "no reader on the FIFO: records wait in the queue until one opens it";
	default:
		return strerror(q->last_err);
	}
}

/* One line about q when its error state changed (at the next tick), or when it dropped records
 * (at most once per TM_SINK_REPORT_MS; force: now, at exit). */
static void report_queue(struct tm_daemon *d, struct tm_sink_queue *q, struct tm_sink_report *rep, uint64_t now,
			 int force)
{
	/* a change of error state is told now; drops alone wait for the interval */
	if (!q->q || (q->last_err == rep->err && (q->dropped == rep->dropped || (!force && now < rep->next_ms))))
		return;
	char label[600], drops[200] = "";
	queue_label(d, q, label, sizeof(label));
	if (q->dropped != rep->dropped)
		snprintf(drops, sizeof(drops), "; %llu records dropped since the last report (%llu in all; the oldest "
			 "go first when %zu bytes wait)", (unsigned long long)(q->dropped - rep->dropped),
			 (unsigned long long)q->dropped, q->max_bytes);
	if (q->last_err)
		tm__sink_note(d, "%s: cannot write: %s; %zu records waiting%s", label, why_text(q), q->n, drops);
	else if (rep->err)
		tm__sink_note(d, "%s: writing again (after: %s)%s", label, strerror(rep->err), drops);
	else
		tm__sink_note(d, "%s: the reader does not keep up%s", label, drops);
	rep->err = q->last_err;
	rep->dropped = q->dropped;
	rep->next_ms = now + TM_SINK_REPORT_MS;
}

static void report_exec(struct tm_daemon *d, uint64_t now, int force)
{
	struct tm_sink_exec *x = &d->sinks.exec;
	struct tm_sink_report *rep = &d->sinks.rep_exec;
	uint64_t f = tm_sink_exec_failures(x);
	if (!x->cmd || (f == rep->failures && x->dropped == rep->dropped) || (!force && now < rep->next_ms))
		return;
	if (f != rep->failures)
		tm__sink_note(d, "--exec: %llu hooks failed since the last report (in all: %llu exit status, %llu "
			      "signal, %llu timeout, %llu not started); the last: %s",
			      (unsigned long long)(f - rep->failures), (unsigned long long)x->fail_exit,
			      (unsigned long long)x->fail_signal, (unsigned long long)x->fail_timeout,
			      (unsigned long long)x->fail_spawn, x->last_fail);
	if (x->dropped != rep->dropped)
		tm__sink_note(d, "--exec: %llu alerts dropped without a hook since the last report (%zu hooks run "
			      "at once, %d wait; the oldest waiting go first)",
			      (unsigned long long)(x->dropped - rep->dropped), x->max, TM_EXEC_PENDING_MAX);
	rep->failures = f;
	rep->dropped = x->dropped;
	rep->next_ms = now + TM_SINK_REPORT_MS;
}

void tm__sinks_tick(struct tm_daemon *d, uint64_t now)
{
	struct tm_daemon_sinks *s = &d->sinks;
	if (s->file.q)
		tm_sink_queue_tick(&s->file);
	if (s->out.q)
		tm_sink_queue_tick(&s->out);
	if (s->err.q)
		tm_sink_queue_tick(&s->err);
	if (s->exec.cmd)
		tm_sink_exec_tick(&s->exec, now);
	report_queue(d, &s->file, &s->rep_file, now, 0);
	report_queue(d, &s->out, &s->rep_out, now, 0);
	report_exec(d, now, 0);
}

/* At exit: hooks get a bounded time, then their groups are killed; the queues write for a
 * bounded time; whatever is left is reported as lost. */
void tm__sinks_finish(struct tm_daemon *d)
{
	struct tm_daemon_sinks *s = &d->sinks;
	uint64_t now = tm_loop_now(&d->loop);
	char label[600];
	if (s->exec.cmd) {
		size_t waiting = tm_sink_exec_shutdown(&s->exec, TM_EXEC_EXIT_WAIT_MS);
		if (waiting)
			tm__sink_note(d, "--exec: %zu alerts still waiting for a hook at exit: not run", waiting);
		s->rep_exec.dropped = s->exec.dropped;           /* told just above */
		report_exec(d, now, 1);
	}
	struct tm_sink_queue *qs[] = { &s->file, &s->out };
	struct tm_sink_report *reps[] = { &s->rep_file, &s->rep_out };
	for (size_t i = 0; i < 2; i++) {
		if (!qs[i]->q)
			continue;
		size_t bytes = qs[i]->bytes;
		size_t left = tm_sink_queue_drain(qs[i], TM_SINK_DRAIN_MS);
		if (left) {
			tm__sink_note(d, "%s: %zu records (%zu bytes) not written at exit after %d ms: %s", queue_label(d, qs[i], label, sizeof(label)),
				      left, bytes, TM_SINK_DRAIN_MS, qs[i]->last_err ? why_text(qs[i]) : "the reader did not keep up");
			reps[i]->dropped = qs[i]->dropped;
		}
		report_queue(d, qs[i], reps[i], now, 1);
	}
	/* the notes last (every note above is in it); what cannot be written goes unsaid: there is
	 * nowhere left to say it, and the counter in /metrics has said it while we ran */
	if (s->err.q)
		tm_sink_queue_drain(&s->err, TM_SINK_DRAIN_MS);
}

/* The view's numbers for /metrics. */
void tm__sinks_totals(const struct tm_daemon *d, struct tm_metrics_totals *out)
{
	const struct tm_daemon_sinks *s = &d->sinks;
	const struct tm_sink_queue *qs[] = { &s->out, &s->file, &s->err };
	for (size_t i = 0; i < 3 && out->nsinks < TM_METRICS_SINKS; i++)
		if (qs[i]->q)
			out->sinks[out->nsinks++] = (struct tm_metrics_sink){ qs[i]->name, qs[i]->dropped, qs[i]->errors,
									       qs[i]->bytes };
	if (s->exec.cmd && out->nsinks < TM_METRICS_SINKS)
		out->sinks[out->nsinks++] = (struct tm_metrics_sink){ "exec", s->exec.dropped, s->exec.fail_spawn, 0 };
	out->exec = s->exec.cmd != NULL;
	out->exec_started = s->exec.started;
	out->exec_running = s->exec.nrun;
	out->exec_fail_exit = s->exec.fail_exit;
	out->exec_fail_signal = s->exec.fail_signal;
	out->exec_fail_timeout = s->exec.fail_timeout;
	out->exec_fail_spawn = s->exec.fail_spawn;
}

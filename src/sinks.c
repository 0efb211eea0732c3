/* sinks.c: where the daemon's output goes: human lines on stdout, JSON lines (--jsonl), and a
 * command per alert (--exec).
 *
 * --exec runs `/bin/sh -c CMD` with the alert's fields in environment variables only
 * (TRAINMON_ALERT, TRAINMON_STATE, TRAINMON_FILE, TRAINMON_VALUE, TRAINMON_THRESHOLD,
 * TRAINMON_MESSAGE, TRAINMON_KIND, TRAINMON_SEVERITY): log text is never interpolated into the
 * command string. Children are reaped from the loop's SIGCHLD, never waited for inline.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "trainmon/json.h"
#include "trainmon/report.h"
#include "banned.h"


static void iso_now(char *buf, size_t n)
{
	struct timespec ts;
	struct tm tmv;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tmv);
	size_t k = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tmv);
	snprintf(buf + k, n - k, ".%03ldZ", ts.tv_nsec / 1000000);
}

int tm__sinks_open(struct tm_daemon *d)
{
	const char *p = d->cfg->jsonl_path;
	if (!p)
		return 0;
	if (strcmp(p, "-") == 0) {
		d->jsonl = stdout;
		return 0;
	}
	d->jsonl = fopen(p, "ae");
	if (!d->jsonl)
		return -errno;
	setvbuf(d->jsonl, NULL, _IOLBF, 0);
	return 0;
}

void tm__sinks_close(struct tm_daemon *d)
{
	if (d->jsonl && d->jsonl != stdout)
		fclose(d->jsonl);
	d->jsonl = NULL;
}

static void json_head(struct tm_daemon *d, struct tm_json *j, const char *type, const char *file)
{
	char ts[40];
	iso_now(ts, sizeof(ts));
	tm_json_init(j, d->jsonl, 0);
	tm_json_obj(j, NULL);
	tm_json_str(j, "type", type);
	tm_json_str(j, "ts", ts);
	if (file)
		tm_json_str(j, "file", file);
}

static void json_tail(struct tm_daemon *d, struct tm_json *j)
{
	tm_json_end(j, '}');
	fputc('\n', d->jsonl);
	fflush(d->jsonl);
}

void tm__sink_note(struct tm_daemon *d, const char *fmt, ...)
{
	char msg[1024], ts[40];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	iso_now(ts, sizeof(ts));
	fprintf(stderr, "%s trainmon watch: %s\n", ts, msg);
	(void)d;
}

static void exec_alert(struct tm_daemon *d, struct tm_watched *w, const struct tm_alert_event *e)
{
	pid_t pid = fork();
	if (pid < 0) {
		tm__sink_note(d, "--exec: fork failed: %s", strerror(errno));
		return;
	}
	if (pid > 0)
		return;
	/* child: the fields travel in the environment only */
	char num[64];
	setenv("TRAINMON_ALERT", tm_alert_name(e->kind), 1);
	setenv("TRAINMON_STATE", e->firing ? "firing" : "resolved", 1);
	setenv("TRAINMON_FILE", w->tail.path, 1);
	tm_fmt_num(num, sizeof(num), e->value);
	setenv("TRAINMON_VALUE", num, 1);
	tm_fmt_num(num, sizeof(num), e->threshold);
	setenv("TRAINMON_THRESHOLD", num, 1);
	setenv("TRAINMON_MESSAGE", e->message, 1);
	setenv("TRAINMON_KIND", e->kind == TM_AL_FAILURE ? tm_event_kind_name(e->event_kind) : "", 1);
	setenv("TRAINMON_SEVERITY", e->kind == TM_AL_FAILURE ? tm_ev_severity_name(e->severity) : "", 1);
	execl("/bin/sh", "sh", "-c", d->cfg->exec_cmd, (char *)NULL);
	_exit(127);
}

void tm__reap_children(struct tm_daemon *d)
{
	(void)d;
	int status;
	while (waitpid(-1, &status, WNOHANG) > 0)
		;
}

void tm__sink_alert(struct tm_daemon *d, struct tm_watched *w, const struct tm_alert_event *e)
{
	char ts[40];
	d->st.alerts++;
	if (!d->cfg->quiet) {
		iso_now(ts, sizeof(ts));
		printf("%s ALERT %s %s%s%s: %s\n", ts, e->firing ? "firing" : "resolved", tm_alert_name(e->kind),
		       e->kind == TM_AL_FAILURE ? "/" : "", e->kind == TM_AL_FAILURE ? tm_event_kind_name(e->event_kind) : "",
		       e->message);
		fflush(stdout);
	}
	if (d->jsonl) {
		struct tm_json j;
		json_head(d, &j, "alert", w->tail.path);
		tm_json_str(&j, "alert", tm_alert_name(e->kind));
		tm_json_str(&j, "state", e->firing ? "firing" : "resolved");
		tm_json_num(&j, "value", e->value);
		tm_json_num(&j, "threshold", e->threshold);
		tm_json_str(&j, "message", e->message);
		if (e->kind == TM_AL_FAILURE) {
			tm_json_str(&j, "kind", tm_event_kind_name(e->event_kind));
			tm_json_str(&j, "severity", tm_ev_severity_name(e->severity));
		}
		json_tail(d, &j);
	}
	if (d->cfg->exec_cmd)
		exec_alert(d, w, e);
}

void tm__sink_events(struct tm_daemon *d, struct tm_watched *w)
{
	const struct tm_run *r = &w->tail.feed.run;
	for (; w->events_emitted < r->nevents; w->events_emitted++) {
		const struct tm_event *e = &r->events[w->events_emitted];
		if (!d->jsonl)
			continue;
		struct tm_json j;
		json_head(d, &j, "event", w->tail.path);
		tm_json_str(&j, "kind", tm_event_kind_name(e->kind));
		tm_json_str(&j, "severity", tm_ev_severity_name(e->severity));
		tm_json_num(&j, "line", (double)e->line);
		tm_json_str(&j, "message", e->message);
		json_tail(d, &j);
	}
}

void tm__sink_summary(struct tm_daemon *d, struct tm_watched *w, const char *why)
{
	const struct tm_run *r = &w->tail.feed.run;
	if (!d->cfg->quiet) {
		char ts[40];
		iso_now(ts, sizeof(ts));
		printf("%s SUMMARY (%s)\n", ts, why);
		tm_report_text(stdout, &w->sum, r);
		fflush(stdout);
	}
	if (d->jsonl) {
		struct tm_json j;
		json_head(d, &j, "summary", NULL);
		tm_json_str(&j, "why", why);
		tm_report_json_fields(&j, &w->sum, r);
		json_tail(d, &j);
	}
}

void tm__sink_line(struct tm_daemon *d, const char *file, const struct tm_record *rec)
{
	if (!d->jsonl)
		return;
	struct tm_json j;
	json_head(d, &j, "line", file);
	tm_json_num(&j, "line", (double)rec->line);
	tm_json_strn(&j, "text", rec->p, rec->len);
	json_tail(d, &j);
}

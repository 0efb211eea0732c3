/* daemon_notify.c: the daemon's side of --alertmanager and --webhook: what an alert transition
 * becomes (Alertmanager labels and annotations, the webhook bodies, an idempotency key), when
 * a run's alerts resolve because the run is gone, and delivery at start and exit.
 *
 * Key decision: everything about a transition is decided here, from the run, when it happens;
 * notify.c only queues and delivers bytes, so a queued notification says what was true then and
 * survives a restart as it is. Labels are stable for an alert's life (no value, no time in them):
 * Alertmanager identifies an alert by its label set, so the same alert re-posted after a restart
 * is the same alert, not a duplicate. Must not: print but through tm__sink_note, or show a URL.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "trainmon/fnv.h"
#include "trainmon/json.h"
#include "trainmon/runkey.h"
#include "trainmon/xalloc.h"
#include "banned.h"

#define NOTIFY_EXIT_MS 2000         /* ms: at exit, how long deliveries may still run */
#define MAX_PAIRS 48

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_note(void *ctx, const char *msg)
{
	tm__sink_note(ctx, "%s", msg);
}

int tm__notify_start(struct tm_daemon *d, char *err, size_t errlen)
{
	int rc = tm_notify_new(&d->notify, &d->cfg->notify, &d->loop, on_note, d, err, errlen);
	if (rc == 0 && d->notify)
		tm_notify_import(d->notify, &d->saved_extra);
	else if (rc == 0 && d->saved_extra.nnotes)
		tm__sink_note(d, "state: %zu saved notifications, and no --alertmanager or --webhook now: dropped",
			      d->saved_extra.nnotes);
	tm_state_extra_release(&d->saved_extra);
	return rc;
}

/* The chain (the runs of one job across restarts) this run belongs to, computed now (the alert
 * may come from the lines that made it join); NULL, so no label, while it has none. */
static const char *run_chain(struct tm_daemon *d, struct tm_watched *w)
{
	tm__daemon_chains_refresh(d);
	return w->chain;
}

static const char *severity(const struct tm_alert_event *e)
{
	switch (e->kind) {
	case TM_AL_FAILURE: return tm_ev_severity_name(e->severity);
	case TM_AL_STALL: return "critical";
	case TM_AL_FINISHED: return "info";
	default: return "warning";
	}
}

/* The newest event of the failure's kind: its line number and text. */
static const struct tm_event *failure_event(const struct tm_watched *w, const struct tm_alert_event *e)
{
	const struct tm_run *r = &w->tail.feed.run;
	if (e->kind != TM_AL_FAILURE)
		return NULL;
	for (size_t i = r->nevents; i-- > 0;)
		if (r->events[i].kind == e->event_kind)
			return &r->events[i];
	return NULL;
}

/* Slack's mrkdwn needs &, < and > escaped (api.slack.com/reference/surfaces/formatting). */
static void slack_escape(char *out, size_t n, const char *s)
{
	size_t k = 0;
	for (; *s && k + 6 < n; s++) {
		const char *rep = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : NULL;
		if (rep) {
			memcpy(out + k, rep, strlen(rep));
			k += strlen(rep);
		} else {
			out[k++] = *s;
		}
	}
	out[k] = '\0';
}

/* Slack's incoming-webhook message: "text" (the notification's fallback) and Block Kit blocks. */
static char *slack_body(const struct tm_watched *w, const struct tm_alert_event *e, const char *alertname,
			const char *run, const struct tm_event *ev)
{
	char *p = NULL, head[700], msg[1000], ctx[1400], num[64], thr[64];
	size_t len;
	FILE *f = open_memstream(&p, &len);
	if (!f)
		return NULL;
	snprintf(head, sizeof(head), "%s %s %s%s%s%s (%s) in %s", e->firing ? ":rotating_light:" : ":white_check_mark:",
		 e->firing ? "FIRING" : "RESOLVED", alertname, e->kind == TM_AL_FAILURE ? " " : "",
		 e->kind == TM_AL_FAILURE ? tm_event_kind_name(e->event_kind) : "", "", severity(e), run);
	slack_escape(msg, sizeof(msg), e->message);
	tm_fmt_num(num, sizeof(num), e->value);
	tm_fmt_num(thr, sizeof(thr), e->threshold);
	char file[600], chain[300];
	slack_escape(file, sizeof(file), w->tail.path);
	slack_escape(chain, sizeof(chain), w->chain ? w->chain : "");
	snprintf(ctx, sizeof(ctx), "file %s%s%s%s%s%s%s", file, chain[0] ? " | chain " : "", chain,
		 isfinite(e->value) ? " | value " : "", isfinite(e->value) ? num : "",
		 isfinite(e->threshold) ? " | threshold " : "", isfinite(e->threshold) ? thr : "");
	struct tm_json j;
	tm_json_init(&j, f, 0);
	tm_json_obj(&j, NULL);
	char text[1800];
	snprintf(text, sizeof(text), "%s: %s", head, msg);
	tm_json_str(&j, "text", text);
	tm_json_arr(&j, "blocks");
	tm_json_obj(&j, NULL);
	tm_json_str(&j, "type", "section");
	tm_json_obj(&j, "text");
	tm_json_str(&j, "type", "mrkdwn");
	snprintf(text, sizeof(text), "*%s*\n%s", head, msg);
	tm_json_str(&j, "text", text);
	tm_json_end(&j, '}');
	tm_json_end(&j, '}');
	if (ev) {
		char line[600];
		slack_escape(line, sizeof(line), ev->message);
		tm_json_obj(&j, NULL);
		tm_json_str(&j, "type", "section");
		tm_json_obj(&j, "text");
		tm_json_str(&j, "type", "mrkdwn");
		snprintf(text, sizeof(text), "line %llu:\n```%s```", (unsigned long long)ev->line, line);
		tm_json_str(&j, "text", text);
		tm_json_end(&j, '}');
		tm_json_end(&j, '}');
	}
	tm_json_obj(&j, NULL);
	tm_json_str(&j, "type", "context");
	tm_json_arr(&j, "elements");
	tm_json_obj(&j, NULL);
	tm_json_str(&j, "type", "mrkdwn");
	tm_json_str(&j, "text", ctx);
	tm_json_end(&j, '}');
	tm_json_end(&j, ']');
	tm_json_end(&j, '}');
	tm_json_end(&j, ']');
	tm_json_end(&j, '}');
	if (fclose(f) != 0) {
		free(p);
		return NULL;
	}
	return p;
}

static void add(struct tm_notify_pair *v, size_t *n, const char *k, const char *val)
{
	if (*n < MAX_PAIRS && val)
		v[(*n)++] = (struct tm_notify_pair){ k, val };
}

/* Static labels "KEY=VALUE": split in place copies kept in store. */
static void add_static(struct tm_notify_pair *v, size_t *n, const char *kv, char **store, size_t *nstore)
{
	if (*nstore >= MAX_PAIRS)
		return;
	char *c = store[(*nstore)++] = tm_xstrdup(kv);
	char *eq = strchr(c, '=');
	if (!eq)
		return;
	*eq = '\0';
	add(v, n, c, eq + 1);
}

void tm__notify_alert(struct tm_daemon *d, struct tm_watched *w, const struct tm_alert_event *e, const char *rec)
{
	if (!d->notify)
		return;
	const struct tm_notify_opts *o = &d->cfg->notify;
	const struct tm_run *r = &w->tail.feed.run;
	const struct tm_event *ev = failure_event(w, e);
	char alertname[64], run[512], value[64], thr[64], summary[700], lineno[32], key[40], rank[16], step[32];
	snprintf(alertname, sizeof(alertname), "trainmon_%s", tm_alert_name(e->kind));
	tm_run_name(w->tail.path, run, sizeof(run));
	struct tm_notify_pair labels[MAX_PAIRS], ann[MAX_PAIRS];
	size_t nl = 0, na = 0, nstore = 0;
	char *store[MAX_PAIRS];
	add(labels, &nl, "alertname", alertname);
	add(labels, &nl, "run", run);
	add(labels, &nl, "chain", run_chain(d, w));      /* absent while unknown */
	add(labels, &nl, "file", w->tail.path);
	add(labels, &nl, "slurm_job_id", r->sparams[TM_P_SLURM_JOB_ID]);
	add(labels, &nl, "severity", severity(e));
	if (e->kind == TM_AL_FAILURE)
		add(labels, &nl, "kind", tm_event_kind_name(e->event_kind));
	if (e->kind == TM_AL_STRAGGLER && e->rank >= 0) {   /* fixed for an episode: a label */
		snprintf(rank, sizeof(rank), "%d", e->rank);
		add(labels, &nl, "rank", rank);
	}
	for (size_t i = 0; i < o->label.n; i++)
		add_static(labels, &nl, o->label.v[i], store, &nstore);
	for (size_t i = 0; i < d->cfg->nlabels; i++)
		add_static(labels, &nl, d->cfg->labels[i], store, &nstore);
	for (size_t i = 0; i < o->ncfg_labels; i++)
		add_static(labels, &nl, o->cfg_labels[i], store, &nstore);
	struct tm_podlog pl;
	char pod[3][256];
	if (tm_podlog_parse(w->tail.path, &pl)) {
		snprintf(pod[0], sizeof(pod[0]), "%.*s", (int)pl.ns_len, pl.ns);
		snprintf(pod[1], sizeof(pod[1]), "%.*s", (int)pl.pod_len, pl.pod);
		snprintf(pod[2], sizeof(pod[2]), "%.*s", (int)pl.container_len, pl.container);
		add(labels, &nl, "namespace", pod[0]);
		add(labels, &nl, "pod", pod[1]);
		add(labels, &nl, "container", pod[2]);
	}
	snprintf(summary, sizeof(summary), "trainmon: %s%s%s in run %s", tm_alert_name(e->kind),
		 e->kind == TM_AL_FAILURE ? " " : "", e->kind == TM_AL_FAILURE ? tm_event_kind_name(e->event_kind) : "",
		 run);
	add(ann, &na, "summary", summary);
	add(ann, &na, "message", e->message);
	if (isfinite(e->value)) {
		tm_fmt_num(value, sizeof(value), e->value);
		add(ann, &na, "value", value);
	}
	if (isfinite(e->threshold)) {
		tm_fmt_num(thr, sizeof(thr), e->threshold);
		add(ann, &na, "threshold", thr);
	}
	if (tm_alert_is_anomaly(e->kind) && isfinite(e->step)) {
		snprintf(step, sizeof(step), "%.0f", e->step);
		add(ann, &na, "step", step);
	}
	if (e->kind == TM_AL_STRAGGLER && e->host[0])
		add(ann, &na, "host", e->host);
	if (ev) {
		snprintf(lineno, sizeof(lineno), "%llu", (unsigned long long)ev->line);
		add(ann, &na, "line_number", lineno);
		add(ann, &na, "log_line", ev->message);
	}
	/* the key of this transition: the same after a crash replays the same lines */
	uint64_t h = tm_fnv1a(TM_FNV_BASIS, w->tail.path, strlen(w->tail.path) + 1);
	h = tm_fnv1a(h, alertname, strlen(alertname) + 1);
	int kind = e->kind == TM_AL_FAILURE ? (int)e->event_kind : -1;
	double anchor = ev ? (double)ev->line : r->nsteps ? tm_run_stepf(r, r->nsteps - 1, TM_SF_STEP) : -1;
	if (tm_alert_is_anomaly(e->kind) && isfinite(e->step))
		anchor = e->step;                /* where the anomaly starts, whatever was read since */
	h = tm_fnv1a(h, &kind, sizeof(kind));
	h = tm_fnv1a(h, &e->firing, sizeof(e->firing));
	h = tm_fnv1a(h, &anchor, sizeof(anchor));
	snprintf(key, sizeof(key), "trainmon-%016llx", (unsigned long long)h);
	char *slack = o->webhook_format == TM_NF_SLACK ? slack_body(w, e, alertname, run, ev) : NULL;
	char alert[96];
	snprintf(alert, sizeof(alert), "%s%s%s", alertname, e->kind == TM_AL_FAILURE ? "/" : "",
		 e->kind == TM_AL_FAILURE ? tm_event_kind_name(e->event_kind) : "");
	struct tm_notify_alert a = { .run = w->tail.path, .alert = alert, .firing = e->firing,
				     .one_shot = e->kind == TM_AL_FAILURE || e->kind == TM_AL_FINISHED ||
						 e->kind == TM_AL_ENDED,
				     .labels = labels, .nlabels = nl, .annotations = ann, .nannotations = na,
				     .json = rec, .slack = slack, .key = key };
	tm_notify_alert(d->notify, &a, wall_ms());
	free(slack);
	for (size_t i = 0; i < nstore; i++)
		free(store[i]);
}

void tm__notify_run_gone(struct tm_daemon *d, struct tm_watched *w)
{
	if (d->notify)
		tm_notify_run_gone(d->notify, w->tail.path, wall_ms());
}

void tm__notify_tick(struct tm_daemon *d)
{
	if (d->notify)
		tm_notify_tick(d->notify, wall_ms());
}

void tm__notify_finish(struct tm_daemon *d)
{
	if (!d->notify)
		return;
	size_t left = tm_notify_finish(d->notify, NOTIFY_EXIT_MS);
	if (left)
		tm__sink_note(d, "%zu notifications not delivered at exit%s", left,
			      d->cfg->state_path ? ": kept in the state file, sent after the restart"
						 : " (lost: without --state they are not kept)");
}

/* notify.h: alerts delivered over HTTP: to Alertmanager's API v2 (--alertmanager) and to
 * webhooks (--webhook, a JSON body or Slack's incoming-webhook shape).
 *
 * Each destination (a sink) has a bounded queue: a webhook's is a FIFO of POSTs, one per alert
 * transition, delivered in order one at a time; an Alertmanager's is the set of its active
 * alerts, all posted in one array whenever one changes and again every resend interval while any
 * fires (Alertmanager resolves an alert whose endsAt passes, as Prometheus's own resends assume).
 * A failed attempt is retried with exponential backoff and full jitter; when a queue is full the
 * oldest entry is dropped and counted. HTTP runs on the caller's loop (libcurl multi, src/http.c),
 * so nothing here blocks it. The queues are plain data the daemon saves in its state file and
 * hands back at start. URLs and tokens are secrets: only a sink's redacted name (scheme://host,
 * port) ever reaches a note or a metric label. Nothing here prints: notes go to a callback.
 */
#ifndef TRAINMON_NOTIFY_H
#define TRAINMON_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "trainmon/diag.h"
#include "trainmon/loop.h"
#include "trainmon/opt.h"
#include "trainmon/state.h"

enum tm_notify_format { TM_NF_JSON, TM_NF_SLACK };

struct tm_notify_opts {             /* the settings; rows: tm_notify_opt_rows() */
	struct tm_strv alertmanager;    /* URL, env:NAME or file:PATH (repeatable) */
	struct tm_strv webhook;         /* the same */
	int webhook_format;             /* enum tm_notify_format */
	const char *bearer;             /* env:NAME or file:PATH of Alertmanager's bearer token; NULL none */
	struct tm_strv label;           /* KEY=VALUE static labels from flags (strings borrowed) */
	char **cfg_labels;              /* owned array of owned "KEY=VALUE" from the config's
					   `alertmanager: labels:` mapping */
	size_t ncfg_labels;
	const char *generator_url;      /* generatorURL of every alert, NULL none */
	double resend_s;                /* s: re-post active alerts this often (60) */
	double event_ttl_s;             /* s: one-shot alerts (failure, finished, ended) resolve after this (3600) */
	double timeout_s;               /* s: one request, in all (10) */
	double connect_timeout_s;       /* s: its connection (5) */
	double retry_min_s, retry_max_s; /* s: backoff base and cap (1, 60) */
	size_t queue_max;               /* entries per sink (1000) */
};

void tm_notify_opts_init(struct tm_notify_opts *o);
void tm_notify_opts_release(struct tm_notify_opts *o);
/* The option rows (config section "notify"), destinations in struct tm_notify_opts. */
const struct tm_opt *tm_notify_opt_rows(size_t *n);
/* The config's `alertmanager:` section: `labels: {KEY: VALUE, ...}`. Returns the error count. */
int tm_notify_read_am_section(struct tm_notify_opts *o, const struct tm_ynode *v, const struct tm_src *src,
			      struct tm_diag *d);

struct tm_notify;

struct tm_notify_pair {
	const char *k, *v;              /* borrowed */
};

struct tm_notify_alert {            /* one alert transition, as the daemon describes it */
	const char *run;                /* the run's key (its file path) */
	const char *alert;              /* the alert within its run, the same for its firing and its
					   resolve ("trainmon_failure/nccl_timeout") */
	int firing;                     /* 1 firing, 0 resolved */
	int one_shot;                   /* resolves after event_ttl_s, or when the run is gone */
	const struct tm_notify_pair *labels;      /* Alertmanager labels (alertname first) */
	size_t nlabels;
	const struct tm_notify_pair *annotations; /* Alertmanager annotations */
	size_t nannotations;
	const char *json;               /* body for --webhook-format json (the --jsonl record) */
	const char *slack;              /* body for --webhook-format slack */
	const char *key;                /* Idempotency-Key of the webhook POSTs */
};

struct tm_notify_stats {            /* one sink, for /metrics */
	const char *name;               /* borrowed: the redacted name */
	const char *kind;               /* static: "alertmanager" or "webhook" */
	uint64_t delivered, retried, rejected, dropped, resent;
	size_t queued;
};

typedef void (*tm_notify_note_fn)(void *ctx, const char *msg);

/* Reads the secrets (env:NAME, file:PATH), checks the URLs, and starts the HTTP client on loop.
 * Returns 0 with *out (NULL when no sink is configured), 1 with a message in err for a bad
 * setting (usage), or -errno (a secret file unreadable, libcurl failed) with a message in err. */
int tm_notify_new(struct tm_notify **out, const struct tm_notify_opts *o, struct tm_loop *loop,
		  tm_notify_note_fn note, void *note_ctx, char *err, size_t errlen);
void tm_notify_free(struct tm_notify *n);

/* A transition at wall-clock unix ms now_wall: queued to every sink, sent when the sink is idle. */
void tm_notify_alert(struct tm_notify *n, const struct tm_notify_alert *a, int64_t now_wall);
/* The run is gone (its file released): its firing Alertmanager alerts resolve. */
void tm_notify_run_gone(struct tm_notify *n, const char *run, int64_t now_wall);
/* On the owner's tick: one-shot alerts past their hold resolve; resends fall due; drops are noted. */
void tm_notify_tick(struct tm_notify *n, int64_t now_wall);

/* What is not delivered yet, for the state file: strings borrowed until the next call into n. */
void tm_notify_export(const struct tm_notify *n, struct tm_state_extra *x);
/* At start: entries of the saved state for sinks still configured are queued again (the others
 * are noted and dropped); x's strings move into n. */
void tm_notify_import(struct tm_notify *n, struct tm_state_extra *x);
/* At exit, after the loop stopped: waits up to ms for running requests (and what follows them).
 * Returns how many notifications are still waiting (webhook POSTs, and Alertmanager alerts whose
 * latest change no post has carried yet). */
size_t tm_notify_finish(struct tm_notify *n, int ms);

size_t tm_notify_nsinks(const struct tm_notify *n);
void tm_notify_get_stats(const struct tm_notify *n, size_t i, struct tm_notify_stats *out);

#endif

/* metrics.h: the Prometheus side of `trainmon watch`: per-run and self metrics rendered in the
 * text exposition format, served over HTTP (libmicrohttpd, --listen) and/or written atomically
 * to a node_exporter textfile (--textfile).
 *
 * Renders from a read-only view its owner provides (struct tm_metrics_view): it never reaches
 * into the daemon. libmicrohttpd runs without threads; its epoll fd is registered in the caller's
 * tm_loop, and a loop timer armed from MHD_get_timeout() covers what that fd cannot signal, so
 * no thread ever reads the runs. Slow clients are cut at a request-header deadline and evicted at
 * the connection cap; a few parked fds keep scrapes answered at the open-file limit.
 */
#ifndef TRAINMON_METRICS_H
#define TRAINMON_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "trainmon/alert.h"
#include "trainmon/chain.h"
#include "trainmon/loop.h"
#include "trainmon/notify.h"
#include "trainmon/tail.h"

struct tm_metrics;

struct tm_metrics_cfg {
	const char *listen;         /* borrowed; "ADDR:PORT" or NULL (no HTTP server) */
	const char *textfile;       /* borrowed; node_exporter textfile path or NULL */
	double expire_s;            /* s: finished runs leave the output after this */
	double http_timeout_s;      /* s: a client sends its whole request header within this (from
				       connecting, or from its previous response), and a connection
				       idle this long is closed; 0 = the default, 5 */
	unsigned http_max_conns;    /* connections served at once; a new one beyond this closes the
				       one waiting longest for its header; 0 = the default, 64 */
	const char *const *labels;  /* borrowed during tm_metrics_new only: "KEY=VALUE" static labels
				       put on every series (names checked by labels.h), nlabels of them */
	size_t nlabels;
};

struct tm_metrics_file {            /* one followed file, as the view hands it out */
	const struct tm_tail *tail;         /* borrowed: path, run, read counters, rule matches */
	const struct tm_summary *sum;       /* borrowed */
	const struct tm_alerts *alerts;     /* borrowed */
	uint64_t ended_ms;                  /* ms on the loop clock when the run ended; 0 = active */
	const char *chain;                  /* borrowed: its chain's name (the `chain` label); NULL none */
};

#define TM_METRICS_SINKS 4
struct tm_metrics_sink {            /* one output of the daemon: stdout, jsonl, exec */
	const char *name;                   /* borrowed, static: the sink label */
	uint64_t dropped, errors, queued_bytes;
};

struct tm_metrics_totals {          /* the owner's self counters */
	size_t ndirs;                       /* directories watched or polled */
	const struct tm_ruleset *rules;     /* borrowed until the next callback; NULL none */
	size_t files_waiting;               /* files waiting for a file descriptor (EMFILE) */
	uint64_t lines, overflows, alerts, saves, save_errors, reloads, reload_errors;
	struct tm_metrics_sink sinks[TM_METRICS_SINKS];
	size_t nsinks;
	int exec;                           /* --exec is set: its series are rendered */
	uint64_t exec_started, exec_running, exec_fail_exit, exec_fail_signal, exec_fail_timeout, exec_fail_spawn;
	struct tm_tail_stats released;      /* read counters of files released (deleted, closed, expired) */
	uint64_t released_cut;              /* their lines cut at --line-max */
	const uint64_t *released_matches;   /* borrowed until the next callback: their rule matches,
					       per rule of rules; NULL none */
	const struct tm_notify *notify;     /* borrowed until the next callback: --alertmanager and
					       --webhook delivery; NULL none */
	const struct tm_chain_counters *chains; /* borrowed until the next callback: the chains'
						   counters (livechain.h), nchains */
	size_t nchains;
	unsigned shard_index, shard_count;  /* --shard I/N; count 0: not sharded */
};

/* Valid from one call into metrics to its return: metrics keeps no pointer it hands out. */
struct tm_metrics_view {
	size_t (*nfiles)(void *ctx);
	void (*file)(void *ctx, size_t i, struct tm_metrics_file *out);
	void (*totals)(void *ctx, struct tm_metrics_totals *out);
	void (*note)(void *ctx, const char *msg);   /* a textfile write failed, or works again; the
						       open-file limit stopped accept(), or it works */
	void *ctx;                                  /* borrowed; outlives the metrics */
};

/* Starts the HTTP server (cfg->listen, registered in loop) and/or prepares the textfile. loop
 * may be NULL without listen. Returns 0, 1 when listen is not [ADDR:]PORT, or -errno (e.g.
 * -EADDRINUSE); the reason is in err (no newline). *out is set either way: free it. */
int tm_metrics_new(struct tm_metrics **out, const struct tm_metrics_cfg *cfg, const struct tm_metrics_view *view,
		   struct tm_loop *loop, char *err, size_t errlen);
void tm_metrics_free(struct tm_metrics *m);
/* A file's run changed at now_ms (loop clock). */
void tm_metrics_update(struct tm_metrics *m, uint64_t now_ms);
/* On the owner's tick: expiry of finished runs, textfile write, HTTP connection timeouts. */
void tm_metrics_tick(struct tm_metrics *m, uint64_t now_ms);
/* Writes the whole exposition text (all runs and self metrics) to f. */
void tm_metrics_render(struct tm_metrics *m, FILE *f);

#endif

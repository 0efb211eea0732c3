/* metrics.h: the Prometheus side of `trainmon watch`: per-run and self metrics rendered in the
 * text exposition format, served over HTTP (libmicrohttpd, --listen) and/or written atomically
 * to a node_exporter textfile (--textfile).
 *
 * The daemon's loop owns the sockets: libmicrohttpd runs without threads, its epoll fd and a
 * timerfd armed from MHD_get_timeout() sit in the daemon's epoll set and are served from the
 * loop, so no thread ever reads the runs.
 */
#ifndef TRAINMON_METRICS_H
#define TRAINMON_METRICS_H

#include <stdint.h>
#include <stdio.h>

struct tm_daemon;
struct tm_watched;
struct tm_metrics;

/* Starts the HTTP server (cfg->listen) and/or prepares the textfile. Returns 0 or a TM_EXIT_*
 * code after printing why (e.g. port in use: 3). */
int tm_metrics_new(struct tm_metrics **out, struct tm_daemon *d);
void tm_metrics_free(struct tm_metrics *m);
/* A file's run changed. */
void tm_metrics_update(struct tm_metrics *m, struct tm_watched *w, uint64_t now_ms);
/* Once a second: expiry of finished runs, textfile write, HTTP timeouts and fd set refresh. */
void tm_metrics_tick(struct tm_metrics *m, struct tm_daemon *d, uint64_t now_ms);
/* An fd the metrics server registered in the daemon's epoll set is ready. */
void tm_metrics_fd(struct tm_metrics *m, int fd);
/* Writes the whole exposition text (all runs and self metrics) to f. */
void tm_metrics_render(struct tm_metrics *m, FILE *f);

#endif

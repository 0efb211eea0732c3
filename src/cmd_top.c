/* cmd_top.c: `trainmon top DIR...` and `trainmon top --from URL`: a live terminal view of the
 * runs, one row each (top.h).
 *
 * With directories it is `trainmon watch` (the same option rows, config and daemon, through
 * watch_cmd.h) with the terminal as one more consumer on the daemon's loop: the daemon's change
 * hook and a timer redraw the view from its read-only file view; no second tailer. With --from it
 * scrapes a running daemon's /metrics on its own loop (http_get.h, prom.h). --once and --batch N
 * print plain frames to stdout instead of taking the terminal; the interactive view runs under a
 * supervising parent that restores the terminal if the view crashes (top_super.c).
 */
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "trainmon/cmd.h"
#include "trainmon/http_get.h"
#include "trainmon/prom.h"
#include "trainmon/top.h"
#include "trainmon/watch_cmd.h"
#include "banned.h"

#define MAX_SCRAPE (64u << 20)          /* bytes: a larger /metrics is refused */

static const char *const sort_names[] = { "run", "framework", "step", "step-time", "tokens", "mfu", "eta", "alerts",
					  NULL };

struct top {
	/* options */
	const char *from;               /* borrowed from argv, or NULL */
	int once;
	unsigned batch;                 /* frames to print, 0: interactive */
	double interval_s;
	int sort, reverse;
	/* running */
	int utf8, width;
	struct tm_loop *loop;           /* borrowed: the daemon's, or own_loop */
	struct tm_loop own_loop;        /* --from */
	struct tm_daemon *d;            /* borrowed, NULL with --from */
	struct tm_top_ui *ui;           /* owned, NULL in frames mode */
	struct tm_top_model frame;      /* frames mode: the rows printed */
	unsigned frames;                /* printed so far */
	int status;                     /* exit status of --from */
	struct tm_url url;
	struct tm_http_get *get;        /* owned: the scrape in flight, or NULL */
	struct tm_prom last;            /* owned: the last good scrape */
	char from_state[320];           /* the last scrape's outcome, for the status line */
};

#define T(field) offsetof(struct top, field)
static const struct tm_opt top_rows[] = {
	{ .kind = TM_OPT_HEADING, .help = "View:" },
	{ .kind = TM_OPT_STR, .name = "from", .arg = "URL", .off = T(from),
	  .help = "read a running daemon's /metrics (http://HOST:PORT[/metrics]) instead\n"
		  "of following directories" },
	{ .kind = TM_OPT_BOOL, .name = "once", .off = T(once),
	  .help = "print one frame as plain text to stdout and exit (for scripts)" },
	{ .kind = TM_OPT_UINT, .name = "batch", .arg = "N", .off = T(batch), .min = 1, .max = 1e9,
	  .expect = "a count >= 1", .help = "print N frames, one per --interval, as plain text (like top -b)" },
	{ .kind = TM_OPT_NUM, .name = "interval", .arg = "SECONDS", .off = T(interval_s), .min = 0.1, .max = 3600,
	  .help = "refresh (and --from scrape) period (default 1); new lines redraw at once" },
	{ .kind = TM_OPT_CHOICE, .name = "sort", .arg = "COLUMN", .off = T(sort), .choices = sort_names,
	  .help = "first sort column: run, framework, step, step-time, tokens, mfu,\n"
		  "eta or alerts (default run; keys s, S and 1-8 change it)" },
	{ .kind = TM_OPT_BOOL, .name = "reverse", .off = T(reverse), .help = "sort the other way round (key r)" },
};
#undef T

/* ---- frames (--once, --batch) ---- */

static int frame_width(void)
{
	const char *c = getenv("COLUMNS");
	char *e;
	long v = c ? strtol(c, &e, 10) : 0;
	if (c && *c && !*e && v >= 20 && v <= 1000)
		return (int)v;
	struct winsize ws;
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	return 80;
}

static void print_frame(struct top *t, const char *source)
{
	char title[600];
	snprintf(title, sizeof(title), "trainmon top: %zu run%s from %s, sorted by %s%s", t->frame.n,
		 t->frame.n == 1 ? "" : "s", source, sort_names[t->sort], t->reverse ? " (reversed)" : "");
	if (t->frames++)
		fputc('\n', stdout);
	tm_top_frame(stdout, &t->frame, title, t->width, t->utf8);
	fflush(stdout);
	if (t->frames >= (t->once ? 1 : t->batch))
		tm_loop_stop(t->loop);
}

/* ---- the in-process daemon ---- */

static void view_status(struct top *t, char *status, size_t n)
{
	struct tm_metrics_view v;
	struct tm_metrics_totals tot;
	tm_daemon_view(t->d, &v);
	v.totals(v.ctx, &tot);
	size_t files = v.nfiles(v.ctx);
	snprintf(status, n, " %zu file%s in %zu director%s", files, files == 1 ? "" : "s", tot.ndirs,
		 tot.ndirs == 1 ? "y" : "ies");
}

static void refresh_view(void *ctx, struct tm_top_model *m, char *status, size_t n)
{
	struct top *t = ctx;
	struct tm_metrics_view v;
	tm_daemon_view(t->d, &v);
	tm_top_from_view(m, &v);
	view_status(t, status, n);
}

static void frame_tick(void *ctx, uint64_t now)
{
	(void)now;
	struct top *t = ctx;
	char status[128];
	t->frame.sort = (enum tm_top_col)t->sort;
	t->frame.reverse = t->reverse;
	refresh_view(t, &t->frame, status, sizeof(status));
	print_frame(t, status + 1);
}

static void on_change(void *ctx, uint64_t now)
{
	(void)now;
	struct top *t = ctx;
	tm_top_ui_changed(t->ui);
}

static int run_daemon(void *ctx, struct tm_daemon *d)
{
	struct top *t = ctx;
	t->d = d;
	t->loop = tm_daemon_loop(d);
	if (!t->batch && !t->once) {
		char err[300];
		struct tm_top_ui_cfg c = { .loop = t->loop, .interval_s = t->interval_s, .sort = (enum tm_top_col)t->sort,
					   .reverse = t->reverse, .fill = refresh_view, .ctx = t };
		if (tm_top_ui_start(&t->ui, &c, err, sizeof(err)) < 0) {
			fprintf(stderr, "trainmon top: %s\n", err);
			return -ENOTTY;
		}
	} else {
		uint64_t ms = (uint64_t)(t->interval_s * 1000);
		tm_loop_timer_add(t->loop, 0, 0, frame_tick, t);
		if (t->batch > 1)
			tm_loop_timer_add(t->loop, ms, ms, frame_tick, t);
	}
	int rc = tm_daemon_run(d);
	tm_top_ui_free(t->ui);
	t->ui = NULL;
	return rc;
}

/* ---- --from URL ---- */

static void scrape(struct top *t);

static void refresh_from(void *ctx, struct tm_top_model *m, char *status, size_t n)
{
	struct top *t = ctx;
	tm_top_from_prom(m, &t->last);
	snprintf(status, n, " %s", t->from_state);
}

static void scraped(void *ctx, int status, const char *body, size_t len, const char *err)
{
	struct top *t = ctx;
	char why[300] = "";
	if (err)
		snprintf(why, sizeof(why), "%s", err);
	else if (status != 200)
		snprintf(why, sizeof(why), "HTTP status %d", status);
	if (!why[0]) {
		struct tm_prom p = { 0 };
		char perr[200];
		int line = tm_prom_parse(&p, body, len, perr, sizeof(perr));
		if (line) {
			snprintf(why, sizeof(why), "line %d of the response: %s", line, perr);
			tm_prom_release(&p);
		} else {
			tm_prom_release(&t->last);
			t->last = p;
		}
	}
	tm_http_get_free(t->get);              /* after the body (its buffer) was read */
	t->get = NULL;
	if (why[0])
		snprintf(t->from_state, sizeof(t->from_state), "%s: %s (retrying)", t->from, why);
	else
		snprintf(t->from_state, sizeof(t->from_state), "%s", t->from);
	if (t->ui) {
		tm_top_ui_changed(t->ui);
		return;
	}
	if (why[0]) {                           /* frames: a failed scrape ends the command */
		fprintf(stderr, "trainmon top: %s: %s\n", t->from, why);
		t->status = TM_EXIT_SYSTEM;
		tm_loop_stop(t->loop);
		return;
	}
	t->frame.sort = (enum tm_top_col)t->sort;
	t->frame.reverse = t->reverse;
	tm_top_from_prom(&t->frame, &t->last);
	print_frame(t, t->from);
}

static void scrape(struct top *t)
{
	if (t->get)
		return;                         /* one at a time: a slow server is not piled on */
	char err[300];
	uint64_t deadline = (uint64_t)(t->interval_s * 1000) < 5000 ? 5000 : (uint64_t)(t->interval_s * 1000);
	if (tm_http_get_start(&t->get, t->loop, &t->url, deadline, MAX_SCRAPE, scraped, t, err, sizeof(err)) < 0)
		scraped(t, 0, NULL, 0, err);
}

static void scrape_tick(void *ctx, uint64_t now)
{
	(void)now;
	scrape(ctx);
}

static void from_signal(void *ctx, int signo)
{
	(void)signo;
	struct top *t = ctx;
	tm_loop_stop(t->loop);
}

static int run_from(struct top *t)
{
	char err[300];
	int rc = tm_loop_init(&t->own_loop, NULL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	if (rc == 0)
		rc = tm_loop_signals(&t->own_loop, &set, from_signal, t);
	if (rc < 0) {
		fprintf(stderr, "trainmon top: cannot set up the event loop: %s\n", strerror(-rc));
		tm_loop_release(&t->own_loop);
		return TM_EXIT_SYSTEM;
	}
	t->loop = &t->own_loop;
	snprintf(t->from_state, sizeof(t->from_state), "%s: connecting", t->from);
	uint64_t ms = (uint64_t)(t->interval_s * 1000);
	tm_loop_timer_add(t->loop, ms, ms, scrape_tick, t);
	scrape(t);
	t->status = TM_EXIT_OK;
	if (!t->batch && !t->once) {
		struct tm_top_ui_cfg c = { .loop = t->loop, .interval_s = t->interval_s, .sort = (enum tm_top_col)t->sort,
					   .reverse = t->reverse, .fill = refresh_from, .ctx = t };
		if (tm_top_ui_start(&t->ui, &c, err, sizeof(err)) < 0) {
			fprintf(stderr, "trainmon top: %s\n", err);
			t->status = TM_EXIT_SYSTEM;
		}
	}
	if (t->status == TM_EXIT_OK) {
		rc = tm_loop_run(t->loop);
		if (rc < 0) {
			fprintf(stderr, "trainmon top: epoll_wait: %s\n", strerror(-rc));
			t->status = TM_EXIT_SYSTEM;
		}
	}
	tm_top_ui_free(t->ui);
	t->ui = NULL;
	tm_http_get_free(t->get);
	t->get = NULL;
	tm_loop_release(&t->own_loop);
	return t->status;
}

/* ---- the command ---- */

static int prepare(void *ctx, struct tm_watch_cfg *cfg, size_t nargs)
{
	struct top *t = ctx;
	char err[300];
	if (t->once && t->batch) {
		fprintf(stderr, "trainmon top: --once and --batch: give one (see trainmon help top)\n");
		return TM_EXIT_USAGE;
	}
	if (t->from && nargs) {
		fprintf(stderr, "trainmon top: --from reads a running daemon: give no directory (see trainmon help top)\n");
		return TM_EXIT_USAGE;
	}
	if (!t->from && !nargs) {
		fprintf(stderr, "trainmon top: no directory given, and no --from URL (see trainmon help top)\n");
		return TM_EXIT_USAGE;
	}
	if (t->from && tm_url_parse(t->from, &t->url, err, sizeof(err)) < 0) {
		fprintf(stderr, "trainmon top: --from: %s\n", err);
		return TM_EXIT_USAGE;
	}
	if (cfg->jsonl_path && strcmp(cfg->jsonl_path, "-") == 0) {
		fprintf(stderr, "trainmon top: --jsonl -: stdout is the view; give a file\n");
		return TM_EXIT_USAGE;
	}
	cfg->quiet = 1;                         /* the daemon's human lines would overwrite the view */
	const char *cs = nl_langinfo(CODESET);
	t->utf8 = cs && strcmp(cs, "UTF-8") == 0;
	t->width = frame_width();
	if (!t->once && !t->batch) {
		if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
			fprintf(stderr, "trainmon top: stdin and stdout must be a terminal (use --once or --batch N in scripts)\n");
			return TM_EXIT_USAGE;
		}
		int st = tm_top_supervise();
		if (st >= 0)
			return st;              /* the parent: the view has ended */
	}
	return t->from ? run_from(t) : -1;
}

int cmd_top(int argc, char **argv)
{
	setlocale(LC_CTYPE, "");               /* UTF-8 or not; numbers stay in the C locale */
	struct top t = { .interval_s = 1 };
	struct tm_watch_front fe = {
		.name = "top",
		.usage = "usage: trainmon top [OPTIONS] DIR|FILE...\n"
			 "       trainmon top --from URL [--once | --batch N]\n"
			 "A live view of the training runs in DIR (one row per run: step, step time, tokens/s, MFU,\n"
			 "ETA, alerts, recent step times), or of a running `trainmon watch --listen`'s /metrics.\n"
			 "Takes every option of `trainmon watch` (the same daemon runs inside).\n",
		.epilog = "Keys: Up/Down select, Enter details, s/S/1-8 sort, r reverse, ? help, q quit.\n"
			  "NO_COLOR (set, not empty) turns colours off. Exit status: 0 quit, 1 invalid rules or\n"
			  "config, 2 usage (not a terminal without --once/--batch), 3 system error (a --from\n"
			  "scrape failed in --once/--batch, or the view died: the terminal is restored).\n",
		.opts = top_rows,
		.nopts = sizeof(top_rows) / sizeof(top_rows[0]),
		.opts_dst = &t,
		.prepare = prepare,
		.run = run_daemon,
		.on_change = on_change,
		.ctx = &t,
	};
	int rc = tm_watch_command(argc, argv, &fe);
	tm_top_model_release(&t.frame);
	tm_prom_release(&t.last);
	return rc;
}

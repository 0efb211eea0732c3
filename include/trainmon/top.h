/* top.h: `trainmon top`'s model: one row per run, from either source, and how rows become text.
 *
 * The model is plain data (names, numbers, firing alerts, recent step times, the detail view's
 * values and events) filled from the in-process daemon's read-only view (tm_top_from_view) or
 * from a daemon's scraped /metrics (tm_top_from_prom); top_text.c lays it out for a width, the
 * same for the terminal (top_screen.c, ncurses) and for --once's plain frames. Nothing here
 * touches the terminal, the daemon or the network.
 */
#ifndef TRAINMON_TOP_H
#define TRAINMON_TOP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "trainmon/loop.h"
#include "trainmon/metrics.h"
#include "trainmon/prom.h"

enum tm_top_col { TM_TOP_RUN, TM_TOP_FRAMEWORK, TM_TOP_STEP, TM_TOP_STEP_TIME, TM_TOP_TPS, TM_TOP_MFU, TM_TOP_ETA,
	TM_TOP_ALERTS, TM_TOP_SPARK, TM_TOP_NCOLS };

#define TM_TOP_SPARK_N 64           /* recent step times kept per run */
#define TM_TOP_ALERT_BITS 6         /* low_mfu, throughput_drop, stall, failure, finished, ended */

struct tm_top_kv {                  /* one line of the detail view: "step time  1.048 s (last)" */
	char key[24];
	char val[200];
};

struct tm_top_event {
	uint64_t line, count;       /* line 0: unknown (from /metrics: counts only) */
	char kind[32], severity[12];
	char msg[240];
};

struct tm_top_run {
	char name[128];             /* the file's stem (the `run` label) */
	char file[512];             /* its path (the key) */
	char framework[32];         /* "" unknown */
	double step, step_time, tps, mfu, eta_s; /* NAN unknown; step_time: the last step's, s */
	unsigned alerts;            /* bit k: tm_alert_kind k is firing (or happened, finished/ended) */
	char failure[64];           /* failure alert: the event kinds, "" none */
	double spark[TM_TOP_SPARK_N]; /* recent step times (s), oldest first */
	size_t nspark;
	double spark_step;          /* the step of the newest spark point (from /metrics), NAN none */
	struct tm_top_kv *kv;       /* owned */
	size_t nkv, capkv;
	struct tm_top_event *ev;    /* owned, newest last */
	size_t nev, capev;
	uint64_t events_total;      /* all events (ev may list fewer) */
};

struct tm_top_model {
	struct tm_top_run *runs;    /* owned, in display order (tm_top_sort) */
	size_t n, cap;
	enum tm_top_col sort;       /* the sort column */
	int reverse;                /* 1: the other way round from the column's natural order */
};

void tm_top_model_release(struct tm_top_model *m);

/* Replaces the rows with the view's files (in-process daemon), then sorts. */
void tm_top_from_view(struct tm_top_model *m, const struct tm_metrics_view *v);
/* Replaces the rows with the runs of a scrape of /metrics, keeping each run's sparkline from the
 * previous scrapes (a point is added when its step changed), then sorts. */
void tm_top_from_prom(struct tm_top_model *m, const struct tm_prom *p);
/* Sorts by m->sort (unknown values last, the file path breaks ties). */
void tm_top_sort(struct tm_top_model *m);
/* The index of the run with this file, or -1. */
long tm_top_find(const struct tm_top_model *m, const char *file);

/* ---- text (top_text.c) ---- */

enum tm_top_style { TM_TOP_ST_PLAIN, TM_TOP_ST_HEADER, TM_TOP_ST_DIM, TM_TOP_ST_OK, TM_TOP_ST_WARN,
	TM_TOP_ST_BAD, TM_TOP_ST_TITLE, TM_TOP_NSTYLES };

struct tm_top_layout {
	int ncols;
	struct { enum tm_top_col col; int x, w; } c[TM_TOP_NCOLS];
};

const char *tm_top_col_name(enum tm_top_col c);     /* "run", "step-time", ... (--sort) */
/* The columns that fit width (>= 20) cells: the lowest-priority ones are dropped first; the rest
 * of the width goes to the run name, the sparkline and the alerts. */
void tm_top_layout(struct tm_top_layout *l, int width);
/* Run r's text in column c, fit to w cells, into buf (UTF-8 only when utf8); returns its style. */
enum tm_top_style tm_top_cell(const struct tm_top_run *r, enum tm_top_col c, int w, int utf8, char *buf, size_t n);
/* Column c's title, with the sort marker when it is the sort column. */
void tm_top_title(const struct tm_top_model *m, enum tm_top_col c, int w, int utf8, char *buf, size_t n);
/* A sparkline of the newest values that fit w cells (▁..█, or ASCII "_.-~=+*#"). */
void tm_top_spark(const double *v, size_t n, int w, int utf8, char *buf, size_t len);

/* One line of a detail view. */
typedef void (*tm_top_line_fn)(void *ctx, enum tm_top_style st, const char *text);
void tm_top_detail(const struct tm_top_run *r, int width, int utf8, tm_top_line_fn fn, void *ctx);

/* A plain-text frame (--once, --batch): a title line, the header and one line per run. */
void tm_top_frame(FILE *f, const struct tm_top_model *m, const char *title, int width, int utf8);

/* ---- the terminal (top_screen.c, ncurses) ---- */

struct tm_top_ui_cfg {
	struct tm_loop *loop;       /* borrowed: the terminal's fd, SIGWINCH and timers go on it */
	double interval_s;          /* refresh period */
	enum tm_top_col sort;
	int reverse;
	/* Fills m (rows and sort as given) with the runs now, and status with a one-line state. */
	void (*fill)(void *ctx, struct tm_top_model *m, char *status, size_t n);
	void *ctx;                  /* borrowed */
};

struct tm_top_ui;

/* Takes the terminal (stdin and stdout must be one): curses, colours unless NO_COLOR is set
 * (and not empty) or the terminal has none; draws once. `q` (and a hung-up terminal) stops the
 * loop. Returns 0 or -1 with the reason in err (not a terminal, no terminfo entry). */
int tm_top_ui_start(struct tm_top_ui **out, const struct tm_top_ui_cfg *c, char *err, size_t errlen);
/* New data: redraw soon (bursts are drawn once). NULL is a no-op. */
void tm_top_ui_changed(struct tm_top_ui *u);
/* Gives the terminal back as it was, and leaves the loop. NULL is a no-op. */
void tm_top_ui_free(struct tm_top_ui *u);

/* ---- the supervisor (top_super.c) ---- */

/* Forks: the child returns -1 at once and runs the view, its stderr going to a pipe; the parent
 * waits for it, keeps the last 64 KiB it wrote to stderr, restores the terminal (modes, cursor,
 * main screen) when the child died without doing so (a crash, a kill -9), then writes the
 * child's stderr and returns the child's exit status (3 after a signal). TERM, INT and HUP sent
 * to the parent are passed on. Returns -1 in the child, or an exit status in the parent (3 when
 * the fork fails, with the reason on stderr). */
int tm_top_supervise(void);

#endif

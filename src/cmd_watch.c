/* cmd_watch.c: `trainmon watch DIR...`: options and config for the daemon (daemon.c).
 *
 * Every setting has one name, used as `--flag-name` and as `flag_name:` in the config file's
 * `watch:`, `alerts:` and `metrics:` sections; `job:` and `files:` take the job flags. Flags win
 * over the config. On SIGHUP the config's job, files and alerts are read again with the flags on
 * top; a bad config keeps the running one.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/cmd.h"
#include "trainmon/daemon.h"
#include "trainmon/jobopts.h"
#include "trainmon/xalloc.h"
#include "trainmon/yaml.h"
#include "vocab.h"
#include "banned.h"

const char *cmd_watch_help(void)
{
	return
	"usage: trainmon watch [OPTIONS] DIR...\n"
	"Follow the training logs in DIR (files present and appearing later), alert when a run slows\n"
	"down, stalls or fails, print summaries, and export metrics.\n"
	"\n"
	"Files:\n"
	"  --glob PATTERN        file names to follow (repeatable; default *.out and *.log)\n"
	"  --recursive           also follow subdirectories, including ones created later\n"
	"  --poll SECONDS        poll every directory instead of inotify (NFS, Lustre and GPFS\n"
	"                        directories are detected and polled every 2 s without it)\n"
	"  --from-end            skip the history of files present at start (when no state is saved)\n"
	"  --state FILE          save positions, runs and alert states here; resume from it\n"
	"  --state-every SECONDS how often to save the state (default 30; also on exit)\n"
	"  --rotate-wait SECONDS keep reading a renamed-away file this long after it stops growing (5)\n"
	"  --line-max BYTES      longer lines are cut and counted (default 65536)\n"
	"  --max-files N         follow at most N files (default 10000)\n"
	"  --max-steps N         keep each run's newest N step records (default 200000; statistics\n"
	"                        then cover that window; 0 keeps all)\n"
	"Alerts:\n"
	"  --min-mfu X           alert when MFU stays below X (a fraction, e.g. 0.35)\n"
	"  --for-steps N         ... for N consecutive steps (default 3); recovery needs N steps too\n"
	"  --for-seconds S       ... or for S seconds of steps\n"
	"  --drop X              alert when tokens/s stays X (fraction) below the run's median\n"
	"  --stall SECONDS       alert when a stepping run logs no step for this long\n"
	"                        (default: 10 x its median step time, at least 300 s)\n"
	"Output:\n"
	"  --jsonl FILE          one JSON object per event, alert and summary (\"-\" = stdout)\n"
	"  --exec CMD            run CMD (via /bin/sh -c) per alert, fields in TRAINMON_* variables\n"
	"  --summary-every SECONDS  a summary per active run this often (default: final ones only)\n"
	"  --trace-lines         also write every line read to --jsonl (for testing pipelines)\n"
	"  --quiet               no human lines on stdout\n"
	"  --listen ADDR:PORT    serve Prometheus metrics at http://ADDR:PORT/metrics (a bare PORT or\n"
	"                        :PORT binds 127.0.0.1; other addresses must be named)\n"
	"  --textfile PATH       write the metrics to PATH for node_exporter's textfile collector\n"
	"  --expire SECONDS      drop a finished run's series after this long (default 3600)\n"
	"Rules and config:\n"
	"  --rules PATH          extra rule pack file or directory (repeatable)\n"
	"  --no-default-rules    do not load the installed packs\n"
	"  --config FILE         YAML with job:, files:, watch:, alerts:, metrics: (see etc/trainmon.yaml)\n"
	"\n";
}

/* Non-job settings, by name (flag spelling). Returns 0, or -1 with err set. */
static int watch_setting(struct tm_watch_cfg *c, const char *name, const char *v, char *err, size_t n)
{
	double x;
#define NUM(field, min) do { if (tm_parse_quantity(v, &x) || x < (min)) { \
		snprintf(err, n, "--%s: '%s' is not a number >= %g", name, v, (double)(min)); return -1; } \
		c->field = x; } while (0)
	if (strcmp(name, "glob") == 0) {
		if (c->nglobs == sizeof(c->globs) / sizeof(c->globs[0])) {
			snprintf(err, n, "--glob: at most 16 patterns");
			return -1;
		}
		c->globs[c->nglobs++] = v;
	} else if (strcmp(name, "poll") == 0) {
		NUM(poll_s, 0.05);
	} else if (strcmp(name, "state") == 0) {
		c->state_path = v;
	} else if (strcmp(name, "state-every") == 0) {
		NUM(state_every_s, 1);
	} else if (strcmp(name, "rotate-wait") == 0) {
		NUM(rotate_wait_s, 0);
	} else if (strcmp(name, "line-max") == 0) {
		if (tm_parse_quantity(v, &x) || x < 256 || x > 64e6) {
			snprintf(err, n, "--line-max: '%s' is not a size from 256 to 64M", v);
			return -1;
		}
		c->line_max = (size_t)x;
	} else if (strcmp(name, "max-files") == 0) {
		if (tm_parse_quantity(v, &x) || x < 1) {
			snprintf(err, n, "--max-files: '%s' is not a positive number", v);
			return -1;
		}
		c->max_files = (size_t)x;
	} else if (strcmp(name, "max-steps") == 0) {
		if (tm_parse_quantity(v, &x) || x < 0 || (x > 0 && x < 100)) {
			snprintf(err, n, "--max-steps: '%s' is not 0 or a count >= 100", v);
			return -1;
		}
		c->max_steps = (size_t)x;
	} else if (strcmp(name, "min-mfu") == 0) {
		if (tm_parse_quantity(v, &x) || !(x > 0 && x < 1)) {
			snprintf(err, n, "--min-mfu: '%s' is not a fraction between 0 and 1 (e.g. 0.35)", v);
			return -1;
		}
		c->alerts.min_mfu = x;
	} else if (strcmp(name, "for-steps") == 0) {
		if (tm_parse_quantity(v, &x) || x < 1 || x > 1e6) {
			snprintf(err, n, "--for-steps: '%s' is not a count >= 1", v);
			return -1;
		}
		c->alerts.for_steps = (unsigned)x;
	} else if (strcmp(name, "for-seconds") == 0) {
		NUM(alerts.for_s, 0);
	} else if (strcmp(name, "drop") == 0) {
		if (tm_parse_quantity(v, &x) || !(x > 0 && x < 1)) {
			snprintf(err, n, "--drop: '%s' is not a fraction between 0 and 1 (e.g. 0.2)", v);
			return -1;
		}
		c->alerts.drop = x;
	} else if (strcmp(name, "stall") == 0) {
		NUM(alerts.stall_s, 0.1);
	} else if (strcmp(name, "jsonl") == 0) {
		c->jsonl_path = v;
	} else if (strcmp(name, "exec") == 0) {
		c->exec_cmd = v;
	} else if (strcmp(name, "summary-every") == 0) {
		NUM(summary_every_s, 0.1);
	} else if (strcmp(name, "listen") == 0) {
		c->listen = v;
	} else if (strcmp(name, "textfile") == 0) {
		c->textfile = v;
	} else if (strcmp(name, "expire") == 0) {
		NUM(expire_s, 0);
	} else if (strcmp(name, "recursive") == 0 || strcmp(name, "from-end") == 0 ||
		   strcmp(name, "trace-lines") == 0 || strcmp(name, "quiet") == 0) {
		int on = !v || strcmp(v, "true") == 0;
		if (v && strcmp(v, "true") && strcmp(v, "false")) {
			snprintf(err, n, "--%s: '%s' is not true or false", name, v);
			return -1;
		}
		if (strcmp(name, "recursive") == 0) c->recursive = on;
		else if (strcmp(name, "from-end") == 0) c->from_end = on;
		else if (strcmp(name, "trace-lines") == 0) c->trace_lines = on;
		else c->quiet = on;
	} else {
		snprintf(err, n, "unknown setting '%s'", name);
		return -1;
	}
#undef NUM
	return 0;
}

static const char *const section_keys[][16] = {
	/* watch: */ { "glob", "recursive", "poll", "from_end", "state", "state_every", "rotate_wait",
		       "line_max", "max_files", "max_steps", "jsonl", "exec", "summary_every", "quiet", NULL },
	/* alerts: */ { "min_mfu", "for_steps", "for_seconds", "drop", "stall", NULL },
	/* metrics: */ { "listen", "textfile", "expire", NULL },
};

struct watch_ctx {                      /* what cmd_watch keeps for reloads */
	struct tm_watch_cfg *cfg;
	char **flags_name;              /* borrowed from argv: the non-job flags, in order */
	const char **flags_val;
	size_t nflags;
	int job_ids[64];
	const char *job_args[64];
	size_t njob;
	char **owned;                   /* owned strings the config's settings point to */
	size_t nowned, capowned;
};

static const char *keep(struct watch_ctx *x, const char *s)
{
	tm_xgrow((void **)&x->owned, &x->capowned, x->nowned + 1, sizeof(*x->owned));
	return x->owned[x->nowned++] = tm_xstrdup(s);
}

static int load_section(struct watch_ctx *x, struct tm_watch_cfg *c, const struct tm_ynode *map, int which,
			const char *sect, const struct tm_src *src, struct tm_diag *d)
{
	int errors = 0;
	if (map->type != TM_Y_MAP)
		return tm_diag_error(d, src, map->line, map->col, "'%s' must be a mapping", sect), 1;
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct tm_ynode *k = map->kids[i], *v = map->kids[i + 1];
		const char *const *allowed = section_keys[which];
		size_t na = 0, j;
		while (allowed[na])
			na++;
		for (j = 0; j < na; j++)
			if (k->type == TM_Y_SCALAR && strcmp(k->str, allowed[j]) == 0)
				break;
		if (j == na) {
			const char *hint = k->type == TM_Y_SCALAR ? tm_did_you_mean(k->str, allowed, na) : NULL;
			if (hint)
				tm_diag_error(d, src, k->line, k->col, "%s: unknown key '%s' (did you mean '%s'?)", sect,
					      k->str, hint);
			else
				tm_diag_error(d, src, k->line, k->col, "%s: unknown key '%s'", sect,
					      k->type == TM_Y_SCALAR ? k->str : "?");
			errors++;
			continue;
		}
		char name[64];
		snprintf(name, sizeof(name), "%s", k->str);
		for (char *p = name; *p; p++)
			if (*p == '_')
				*p = '-';
		const struct tm_ynode *items[16];
		size_t nitems = 0;
		if (v->type == TM_Y_SEQ && strcmp(name, "glob") == 0)
			for (size_t q = 0; q < v->n && nitems < 16; q++)
				items[nitems++] = v->kids[q];
		else
			items[nitems++] = v;
		for (size_t q = 0; q < nitems; q++) {
			char err[256];
			if (items[q]->type != TM_Y_SCALAR) {
				tm_diag_error(d, src, items[q]->line, items[q]->col, "%s: '%s' must be a scalar", sect, k->str);
				errors++;
				continue;
			}
			if (watch_setting(c, name, keep(x, items[q]->str), err, sizeof(err))) {
				tm_diag_error(d, src, items[q]->line, items[q]->col, "%s: %s", sect, err + 2);
				errors++;
			}
		}
	}
	return errors;
}

/* `files:` - a list of mappings, each with `glob:` and job keys. */
static int load_files(struct tm_watch_cfg *c, const struct tm_ynode *list, const struct tm_src *src,
		      struct tm_diag *d)
{
	if (list->type != TM_Y_SEQ)
		return tm_diag_error(d, src, list->line, list->col, "'files' must be a list of mappings with 'glob'"), 1;
	int errors = 0;
	c->file_jobs = tm_xcalloc(list->n + 1, sizeof(*c->file_jobs));
	for (size_t i = 0; i < list->n; i++) {
		const struct tm_ynode *e = list->kids[i];
		const struct tm_ynode *g = tm_ymap_get(e, "glob");
		if (e->type != TM_Y_MAP || !g || g->type != TM_Y_SCALAR) {
			tm_diag_error(d, src, e->line, e->col, "files: each entry needs 'glob: PATTERN'");
			errors++;
			continue;
		}
		struct tm_file_job *fj = &c->file_jobs[c->nfile_jobs++];
		fj->glob = tm_xstrdup(g->str);
		tm_job_init(&fj->job);
		/* the job keys: the mapping without glob */
		struct tm_ynode rest = *e;
		const struct tm_ynode *kids[128];
		size_t nk = 0;
		for (size_t q = 0; q + 1 < e->n && nk + 2 <= 128; q += 2)
			if (!(e->kids[q]->type == TM_Y_SCALAR && strcmp(e->kids[q]->str, "glob") == 0)) {
				kids[nk++] = e->kids[q];
				kids[nk++] = e->kids[q + 1];
			}
		rest.kids = (struct tm_ynode **)(void *)kids;
		rest.n = nk;
		errors += tm_job_config_apply(&fj->job, &rest, src, d);
	}
	return errors;
}

static void free_file_jobs(struct tm_watch_cfg *c)
{
	for (size_t i = 0; i < c->nfile_jobs; i++)
		free(c->file_jobs[i].glob);
	free(c->file_jobs);
	c->file_jobs = NULL;
	c->nfile_jobs = 0;
}

struct load_ctx {                       /* what the section readers of one load need */
	struct watch_ctx *x;
	struct tm_watch_cfg *c;
};

static int sec_job(void *ctx, const struct tm_ynode *v, const struct tm_src *src, struct tm_diag *d)
{
	return tm_job_config_apply(&((struct load_ctx *)ctx)->c->job, v, src, d);
}

static int sec_files(void *ctx, const struct tm_ynode *v, const struct tm_src *src, struct tm_diag *d)
{
	return load_files(((struct load_ctx *)ctx)->c, v, src, d);
}

static int sec_watch(void *ctx, const struct tm_ynode *v, const struct tm_src *src, struct tm_diag *d)
{
	struct load_ctx *l = ctx;
	return load_section(l->x, l->c, v, 0, "watch", src, d);
}

static int sec_alerts(void *ctx, const struct tm_ynode *v, const struct tm_src *src, struct tm_diag *d)
{
	struct load_ctx *l = ctx;
	return load_section(l->x, l->c, v, 1, "alerts", src, d);
}

static int sec_metrics(void *ctx, const struct tm_ynode *v, const struct tm_src *src, struct tm_diag *d)
{
	struct load_ctx *l = ctx;
	return load_section(l->x, l->c, v, 2, "metrics", src, d);
}

static int load_config(struct watch_ctx *x, struct tm_watch_cfg *c, const char *path, struct tm_diag *d)
{
	static const struct tm_config_section sections[] = {
		{ "job", sec_job }, { "files", sec_files }, { "watch", sec_watch }, { "alerts", sec_alerts },
		{ "metrics", sec_metrics }, { "estimate", NULL },
	};
	struct load_ctx l = { x, c };
	int rc = tm_config_load(path, sections, sizeof(sections) / sizeof(sections[0]), &l, d);
	return rc < 0 ? 1 : rc;
}

static void defaults(struct tm_watch_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->remote_poll_s = 2;
	c->state_every_s = 30;
	c->rotate_wait_s = 5;
	c->line_max = TM_LINE_MAX_DEFAULT;
	c->max_files = 10000;
	c->max_steps = 200000;
	c->expire_s = 3600;
	tm_alert_cfg_init(&c->alerts);
	tm_job_init(&c->job);
}

/* Flags on top of whatever the config set. */
static int apply_flags(struct watch_ctx *x, struct tm_watch_cfg *c)
{
	char err[256];
	int flag_globs = 0;
	for (size_t i = 0; i < x->nflags; i++)
		if (strcmp(x->flags_name[i], "glob") == 0)
			flag_globs = 1;
	if (flag_globs)
		c->nglobs = 0;   /* --glob replaces the config's list */
	for (size_t i = 0; i < x->nflags; i++)
		if (watch_setting(c, x->flags_name[i], x->flags_val[i], err, sizeof(err))) {
			fprintf(stderr, "trainmon watch: %s\n", err);
			return -1;
		}
	for (size_t i = 0; i < x->njob; i++)
		if (tm_job_option(&c->job, x->job_ids[i], x->job_args[i], TM_SRC_FLAG, err, sizeof(err))) {
			fprintf(stderr, "trainmon watch: %s\n", err);
			return -1;
		}
	if (c->nglobs == 0) {
		c->globs[c->nglobs++] = "*.out";
		c->globs[c->nglobs++] = "*.log";
	}
	return 0;
}

/* SIGHUP: config again, flags on top; only job, files and alerts change in the running daemon. */
static int reload_cfg(void *ctx, struct tm_diag *d)
{
	struct watch_ctx *x = ctx;
	struct tm_watch_cfg fresh;
	defaults(&fresh);
	int errors = x->cfg->config_path ? load_config(x, &fresh, x->cfg->config_path, d) : 0;
	if (errors || apply_flags(x, &fresh) < 0) {
		free_file_jobs(&fresh);
		return errors ? errors : 1;
	}
	free_file_jobs(x->cfg);
	x->cfg->job = fresh.job;
	x->cfg->file_jobs = fresh.file_jobs;
	x->cfg->nfile_jobs = fresh.nfile_jobs;
	x->cfg->alerts = fresh.alerts;
	return 0;
}

enum { O_RULES = 1, O_NO_DEFAULT, O_CONFIG, O_HELP, O_SETTING };

int cmd_watch(int argc, char **argv)
{
	static const char *const settings[] = { "glob", "recursive", "poll", "from-end", "state", "state-every",
		"rotate-wait", "line-max", "max-files", "max-steps", "min-mfu", "for-steps", "for-seconds", "drop", "stall",
		"jsonl", "exec", "summary-every", "trace-lines", "quiet", "listen", "textfile", "expire", NULL };
	static const char *const flags_noarg[] = { "recursive", "from-end", "trace-lines", "quiet", NULL };
	size_t nset = 0;
	while (settings[nset])
		nset++;
	size_t njobopt = tm_job_nlongopts();
	struct option *lo = tm_xcalloc(nset + njobopt + 5, sizeof(*lo));
	size_t k = 0;
	for (size_t i = 0; i < nset; i++) {
		int noarg = 0;
		for (size_t q = 0; flags_noarg[q]; q++)
			noarg |= strcmp(flags_noarg[q], settings[i]) == 0;
		lo[k++] = (struct option){ settings[i], noarg ? no_argument : required_argument, NULL, O_SETTING + (int)i };
	}
	lo[k++] = (struct option){ "rules", required_argument, NULL, O_RULES };
	lo[k++] = (struct option){ "no-default-rules", no_argument, NULL, O_NO_DEFAULT };
	lo[k++] = (struct option){ "config", required_argument, NULL, O_CONFIG };
	lo[k++] = (struct option){ "help", no_argument, NULL, O_HELP };
	memcpy(lo + k, tm_job_longopts(), njobopt * sizeof(*lo));

	struct tm_watch_cfg cfg;
	defaults(&cfg);
	struct watch_ctx x = { .cfg = &cfg };
	x.flags_name = tm_xcalloc((size_t)argc + 1, sizeof(*x.flags_name));
	x.flags_val = tm_xcalloc((size_t)argc + 1, sizeof(*x.flags_val));
	int c, status = TM_EXIT_OK, done = 0;
	optind = 1;
	while (!done && (c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (c >= O_SETTING && c < O_SETTING + (int)nset) {
			x.flags_name[x.nflags] = (char *)(uintptr_t)settings[c - O_SETTING];
			x.flags_val[x.nflags++] = optarg;
		} else if (c >= TM_OPT_JOB_FIRST && x.njob < 64) {
			x.job_ids[x.njob] = c;
			x.job_args[x.njob++] = optarg;
		} else if (c == O_RULES && cfg.nrules < 32) {
			cfg.rules[cfg.nrules++] = optarg;
		} else if (c == O_NO_DEFAULT) {
			cfg.no_default_rules = 1;
		} else if (c == O_CONFIG) {
			cfg.config_path = optarg;
		} else if (c == O_HELP || c == 'h') {
			fputs(cmd_watch_help(), stdout);
			fputs(tm_job_help(), stdout);
			fputs("\nSignals: TERM/INT save the state and exit; HUP reloads rules and config (a bad\n"
			      "reload keeps the old ones); USR1 writes every run's summary.\n"
			      "Exit status: 0 stopped by a signal, 1 invalid rules or config, 2 usage, 3 system\n"
			      "error (a directory cannot be read, port in use, state file not writable).\n", stdout);
			done = 1;
		} else {
			status = TM_EXIT_USAGE;
			done = 1;
		}
	}
	free(lo);
	if (done && status == TM_EXIT_OK)
		goto out;
	if (status == TM_EXIT_OK && optind >= argc) {
		fprintf(stderr, "trainmon watch: no directory given (see trainmon help watch)\n");
		status = TM_EXIT_USAGE;
	}
	if (status == TM_EXIT_OK && cfg.config_path) {
		struct tm_diag d;
		tm_diag_init(&d);
		if (load_config(&x, &cfg, cfg.config_path, &d))
			status = TM_EXIT_INPUT;
		tm_diag_print(&d, stderr);
		tm_diag_release(&d);
	}
	if (status == TM_EXIT_OK && apply_flags(&x, &cfg) < 0)
		status = TM_EXIT_USAGE;
	if (status == TM_EXIT_OK) {
		cfg.dirs = argv + optind;
		cfg.ndirs = (size_t)(argc - optind);
		struct tm_daemon_opts opts = { .clock = NULL, .reload_cfg = reload_cfg, .reload_ctx = &x };
		struct tm_daemon *dm = NULL;
		struct tm_diag diag;
		tm_diag_init(&diag);
		int rc = tm_daemon_new(&dm, &cfg, &opts, &diag);
		tm_diag_print(&diag, stderr);
		tm_diag_release(&diag);
		char err[4200] = "";
		if (rc == 0)
			rc = tm_daemon_start(dm, err, sizeof(err));
		if (rc == 0)
			rc = tm_daemon_run(dm);
		if (err[0])
			fprintf(stderr, "trainmon watch: %s\n", err);
		status = rc == 0 ? TM_EXIT_OK : rc == TM_DAEMON_BAD_INPUT ? TM_EXIT_INPUT
		       : rc == TM_DAEMON_BAD_USAGE ? TM_EXIT_USAGE : TM_EXIT_SYSTEM;
		tm_daemon_free(dm);
	}
out:
	free_file_jobs(&cfg);
	for (size_t i = 0; i < x.nowned; i++)
		free(x.owned[i]);
	free(x.owned);
	free(x.flags_name);
	free(x.flags_val);
	return status;
}

/* cmd_watch.c: `trainmon watch DIR...`: options and config for the daemon (daemon.c).
 *
 * Every setting is a row below, used as `--flag-name` and as `flag_name:` in the config file's
 * `watch:`, `alerts:` or `metrics:` section; `job:` and each `files:` entry take the job rows
 * (job.c); `notify:` takes the delivery rows and `alertmanager:` its static labels (notify_opts.c);
 * `labels:` the static labels of /metrics and alerts (labels.c). Flags win over the config (opt.c). On SIGHUP the config is read again into a fresh
 * struct with the flags on top, and only job, files and alerts are taken from it; a bad config
 * keeps the running one.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "trainmon/cmd.h"
#include "trainmon/daemon.h"
#include "trainmon/labels.h"
#include "trainmon/opt.h"
#include "trainmon/runkey.h"
#include "trainmon/watch_cmd.h"
#include "trainmon/xalloc.h"
#include "trainmon/yaml.h"
#include "banned.h"

/* What the command line and the config set: the daemon's config plus the lists it borrows. */
struct watch_opts {
	struct tm_watch_cfg cfg;
	struct tm_strv globs;       /* cfg.globs points into it */
	struct tm_strv rules;       /* cfg.rules points into it */
};

static int set_max_steps(void *base, const struct tm_opt *o, const char *arg, enum tm_src_kind src, char *err,
			 size_t n)
{
	(void)src;
	double x;
	if (tm_parse_quantity(arg, &x) || x < 0 || (x > 0 && x < 100)) {
		snprintf(err, n, "--%s: '%s' is not 0 or a count >= 100", o->name, arg);
		return -1;
	}
	((struct watch_opts *)base)->cfg.max_steps = (size_t)x;
	return 0;
}

static int set_shard(void *base, const struct tm_opt *o, const char *arg, enum tm_src_kind src, char *err, size_t n)
{
	(void)src;
	if (tm_shard_parse(arg, &((struct watch_opts *)base)->cfg.shard)) {
		snprintf(err, n, "--%s: '%s' is not I/N with 0 <= I < N <= %u", o->name, arg, TM_SHARD_MAX);
		return -1;
	}
	return 0;
}

#define W(field) offsetof(struct watch_opts, field)
#define C(field) offsetof(struct watch_opts, cfg.field)
static const struct tm_opt watch_rows[] = {
	{ .kind = TM_OPT_HEADING, .help = "Files:" },
	{ .kind = TM_OPT_LIST, .name = "glob", .arg = "PATTERN", .off = W(globs),
	  .help = "file names to follow (repeatable; default *.out and *.log)" },
	{ .kind = TM_OPT_BOOL, .name = "recursive", .off = C(recursive),
	  .help = "also follow subdirectories, including ones created later" },
	{ .kind = TM_OPT_BOOL, .name = "no-follow-outside", .off = C(no_follow_outside),
	  .help = "skip symlinks whose target is outside every watched directory\n"
		  "(default: follow them)" },
	{ .kind = TM_OPT_NUM, .name = "poll", .arg = "SECONDS", .off = C(poll_s), .min = 0.05, .max = HUGE_VAL,
	  .help = "poll every directory instead of inotify (NFS, Lustre and GPFS\n"
		  "directories are detected and polled every 2 s without it)" },
	{ .kind = TM_OPT_BOOL, .name = "from-end", .off = C(from_end),
	  .help = "skip the history of files present at start (when no state is saved)" },
	{ .kind = TM_OPT_STR, .name = "state", .arg = "FILE", .off = C(state_path),
	  .help = "save positions, runs and alert states here; resume from it" },
	{ .kind = TM_OPT_NUM, .name = "state-every", .arg = "SECONDS", .off = C(state_every_s), .min = 1, .max = HUGE_VAL,
	  .help = "how often to save the state (default 30; also on exit)" },
	{ .kind = TM_OPT_NUM, .name = "rotate-wait", .arg = "SECONDS", .off = C(rotate_wait_s), .max = HUGE_VAL,
	  .help = "keep reading a renamed-away file this long after it stops growing (5)" },
	{ .kind = TM_OPT_SIZE, .name = "line-max", .arg = "BYTES", .off = C(line_max), .min = 256, .max = 64e6,
	  .expect = "a size from 256 to 64M", .help = "longer lines are cut and counted (default 65536)" },
	{ .kind = TM_OPT_SIZE, .name = "max-files", .arg = "N", .off = C(max_files), .min = 1, .max = 1e9,
	  .expect = "a positive number", .help = "follow at most N files (default 10000)" },
	{ .kind = TM_OPT_CUSTOM, .name = "max-steps", .arg = "N", .set = set_max_steps,
	  .help = "keep each run's newest N step records (default 200000; statistics\n"
		  "then cover that window; 0 keeps all)" },
	{ .kind = TM_OPT_HEADING, .help = "Chains (a run's jobs, each resuming from a checkpoint):" },
	{ .kind = TM_OPT_STR, .name = "chain", .arg = "NAME", .off = C(chain),
	  .help = "every file followed is a segment of the one training run NAME" },
	{ .kind = TM_OPT_STR, .name = "chain-by", .arg = "REGEX", .off = C(chain_by),
	  .help = "files whose names give the same key (first group, else the match)\n"
		  "are one run" },
	{ .kind = TM_OPT_STR, .name = "chain-param", .arg = "NAME", .off = C(chain_param),
	  .help = "files whose logs print the same value of this parameter (save_dir,\n"
		  "chain_key) are one run (default: resume evidence joins them)" },
	{ .kind = TM_OPT_HEADING, .help = "Fleet (several daemons over one tree; docs/scaling.md):" },
	{ .kind = TM_OPT_CUSTOM, .name = "shard", .arg = "I/N", .set = set_shard,
	  .help = "follow only share I (0 to N-1) of N: a file is this daemon's when\n"
		  "jump-hash(FNV-1a 64 of its chain key) mod N is I; others are never opened\n"
		  "(the key: --chain, else --chain-by's capture, else a pod log's\n"
		  "namespace/pod/container, else the directory and the file's job name)" },
	{ .kind = TM_OPT_HEADING, .help = "Alerts:" },
	{ .kind = TM_OPT_NUM, .name = "min-mfu", .arg = "X", .off = C(alerts.min_mfu), .max = 1, .section = "alerts",
	  .flags = TM_OPTF_ABOVE_MIN | TM_OPTF_BELOW_MAX, .expect = "a fraction between 0 and 1 (e.g. 0.35)",
	  .help = "alert when MFU stays below X (a fraction, e.g. 0.35)" },
	{ .kind = TM_OPT_UINT, .name = "for-steps", .arg = "N", .off = C(alerts.for_steps), .min = 1, .max = 1e6,
	  .section = "alerts", .expect = "a count >= 1",
	  .help = "... for N consecutive steps (default 3); recovery needs N steps too" },
	{ .kind = TM_OPT_NUM, .name = "for-seconds", .arg = "S", .off = C(alerts.for_s), .max = HUGE_VAL,
	  .section = "alerts", .help = "... or for S seconds of steps" },
	{ .kind = TM_OPT_NUM, .name = "drop", .arg = "X", .off = C(alerts.drop), .max = 1, .section = "alerts",
	  .flags = TM_OPTF_ABOVE_MIN | TM_OPTF_BELOW_MAX, .expect = "a fraction between 0 and 1 (e.g. 0.2)",
	  .help = "alert when tokens/s stays X (fraction) below the run's median" },
	{ .kind = TM_OPT_NUM, .name = "stall", .arg = "SECONDS", .off = C(alerts.stall_s), .min = 0.1, .max = HUGE_VAL,
	  .section = "alerts", .help = "alert when a stepping run logs no step for this long\n"
				     "(default: 10 x its median step time, at least 300 s)" },
	{ .kind = TM_OPT_HEADING, .help = "Output:" },
	{ .kind = TM_OPT_STR, .name = "jsonl", .arg = "FILE", .off = C(jsonl_path),
	  .help = "one JSON object per event, alert and summary (\"-\" = stdout)" },
	{ .kind = TM_OPT_STR, .name = "exec", .arg = "CMD", .off = C(exec_cmd),
	  .help = "run CMD (via /bin/sh -c) per alert, fields in TRAINMON_* variables" },
	{ .kind = TM_OPT_SIZE, .name = "exec-max", .arg = "N", .off = C(exec_max), .min = 1, .max = 1024,
	  .expect = "a count from 1 to 1024",
	  .help = "at most N --exec hooks at once (default 8); later alerts wait,\n"
		  "up to 256, then the oldest waiting are dropped and counted" },
	{ .kind = TM_OPT_NUM, .name = "exec-timeout", .arg = "SECONDS", .off = C(exec_timeout_s), .min = 0.1,
	  .max = HUGE_VAL, .help = "kill a hook's process group after this long (default 30;\n"
				   "SIGTERM, then SIGKILL 2 s later); counted as a failure" },
	{ .kind = TM_OPT_SIZE, .name = "sink-queue", .arg = "BYTES", .off = C(sink_queue), .min = 4096, .max = 1e12,
	  .expect = "a size of at least 4096",
	  .help = "records kept per output (stdout, --jsonl) while its reader lags or\n"
		  "the disk is full (default 8M); then the oldest are dropped and counted" },
	{ .kind = TM_OPT_NUM, .name = "summary-every", .arg = "SECONDS", .off = C(summary_every_s), .min = 0.1,
	  .max = HUGE_VAL, .help = "a summary per active run this often (default: final ones only)" },
	{ .kind = TM_OPT_BOOL, .name = "trace-lines", .off = C(trace_lines), .flags = TM_OPTF_NO_CONFIG,
	  .help = "also write every line read to --jsonl (for testing pipelines)" },
	{ .kind = TM_OPT_BOOL, .name = "quiet", .off = C(quiet), .help = "no human lines on stdout" },
	{ .kind = TM_OPT_STR, .name = "listen", .arg = "ADDR:PORT", .off = C(listen), .section = "metrics",
	  .help = "serve Prometheus metrics at http://ADDR:PORT/metrics (a bare PORT or\n"
		  ":PORT binds 127.0.0.1; other addresses must be named)" },
	{ .kind = TM_OPT_STR, .name = "textfile", .arg = "PATH", .off = C(textfile), .section = "metrics",
	  .help = "write the metrics to PATH for node_exporter's textfile collector" },
	{ .kind = TM_OPT_NUM, .name = "http-timeout", .arg = "SECONDS", .off = C(http_timeout_s), .min = 0.1,
	  .max = 3600, .section = "metrics", .help = "a client sends its whole request header within this long, and\n"
		  "an idle connection is closed after it (default 5)" },
	{ .kind = TM_OPT_SIZE, .name = "http-max-connections", .arg = "N", .off = C(http_max_conns), .min = 1,
	  .max = 10000, .section = "metrics", .expect = "a count from 1 to 10000",
	  .help = "serve N connections at once; a new one closes the one waiting longest\n"
		  "for its request header, after 100 ms for it (default 64)" },
	{ .kind = TM_OPT_NUM, .name = "expire", .arg = "SECONDS", .off = C(expire_s), .max = HUGE_VAL,
	  .section = "metrics", .help = "drop a finished run's series after this long (default 3600)" },
	{ .kind = TM_OPT_HEADING, .help = "Rules and config:" },
	{ .kind = TM_OPT_LIST, .name = "rules", .arg = "PATH", .off = W(rules), .flags = TM_OPTF_NO_CONFIG,
	  .help = "extra rule pack file or directory (repeatable)" },
	{ .kind = TM_OPT_BOOL, .name = "no-default-rules", .off = C(no_default_rules), .flags = TM_OPTF_NO_CONFIG,
	  .help = "do not load the installed packs" },
	{ .kind = TM_OPT_CONFIG, .name = "config", .arg = "FILE", .off = C(config_path),
	  .help = "YAML with job:, files:, watch:, alerts:, metrics:, notify:,\n"
		  "alertmanager:, labels: (see etc/trainmon.yaml)" },
	{ .kind = TM_OPT_HELP, .name = "help", .shortc = 'h', .help = "this text" },
};
#undef W
#undef C

/* `files:` - a list of mappings, each with `glob:` and job keys. */
struct files_ctx {
	struct tm_cli *cli;
	struct tm_watch_cfg *cfg;
};

static int read_files(void *ctx, const struct tm_ynode *list, const struct tm_src *src, struct tm_diag *d)
{
	struct files_ctx *fc = ctx;
	struct tm_watch_cfg *c = fc->cfg;
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
		void *const dst[2] = { NULL, &fj->job };
		errors += tm_opt_read_map(fc->cli, "job", e, dst, "glob", src, d);
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

static int read_alertmanager(void *ctx, const struct tm_ynode *v, const struct tm_src *src, struct tm_diag *d)
{
	return tm_notify_read_am_section(&((struct files_ctx *)ctx)->cfg->notify, v, src, d);
}

/* `labels:` - static labels of every series and alert (labels.c checks the names). */
static int read_labels(void *ctx, const struct tm_ynode *v, const struct tm_src *src, struct tm_diag *d)
{
	struct tm_watch_cfg *c = ((struct files_ctx *)ctx)->cfg;
	return tm_labels_read_map(v, "labels", 1, &c->labels, &c->nlabels, src, d);
}

static void free_labels(struct tm_watch_cfg *c)
{
	for (size_t i = 0; i < c->nlabels; i++)
		free(c->labels[i]);
	free(c->labels);
	c->labels = NULL;
	c->nlabels = 0;
}

static const struct tm_opt_section watch_sections[] = { { "files", read_files },
							 { "alertmanager", read_alertmanager },
							 { "labels", read_labels } };

static void spec_init(struct tm_cmd_spec *spec, struct tm_opt_group *groups, const struct tm_watch_front *fe)
{
	groups[0] = (struct tm_opt_group){ watch_rows, sizeof(watch_rows) / sizeof(watch_rows[0]), "watch" };
	groups[1] = (struct tm_opt_group){ NULL, 0, "job" };
	groups[1].opts = tm_job_opts(&groups[1].nopts);
	groups[2] = (struct tm_opt_group){ NULL, 0, "notify" };
	groups[2].opts = tm_notify_opt_rows(&groups[2].nopts);
	groups[3] = (struct tm_opt_group){ NULL, 0, "anomalies" };
	groups[3].opts = tm_anomaly_opts(&groups[3].nopts);
	groups[4] = (struct tm_opt_group){ fe ? fe->opts : NULL, fe ? fe->nopts : 0, NULL };
	*spec = (struct tm_cmd_spec){
		.name = "watch",
		.usage = "usage: trainmon watch [OPTIONS] DIR|FILE...\n"
			 "Follow the training logs in DIR (files present and appearing later) or the FILEs named,\n"
			 "alert when a run slows down, stalls or fails, print summaries, and export metrics.\n",
		.groups = groups,
		.ngroups = 4,
		.sections = watch_sections,
		.nsections = 3,
		.epilog = "Signals: TERM/INT save the state and exit; HUP reloads rules and config (a bad\n"
			  "reload keeps the old ones); USR1 writes every run's summary.\n"
			  "Exit status: 0 stopped by a signal, 1 invalid rules or config, 2 usage, 3 system\n"
			  "error (a directory cannot be read, port in use, state file not writable).\n",
	};
	if (fe) {
		spec->name = fe->name;
		spec->usage = fe->usage;
		spec->epilog = fe->epilog;
		spec->ngroups = 5;
	}
}

static void defaults(struct watch_opts *o)
{
	memset(o, 0, sizeof(*o));
	struct tm_watch_cfg *c = &o->cfg;
	c->remote_poll_s = 2;
	c->state_every_s = 30;
	c->rotate_wait_s = 5;
	c->line_max = TM_LINE_MAX_DEFAULT;
	c->max_files = 10000;
	c->max_steps = 200000;
	c->expire_s = 3600;
	c->http_timeout_s = 5;
	c->http_max_conns = 64;
	c->exec_max = 8;
	c->exec_timeout_s = 30;
	c->sink_queue = 8000000;
	tm_alert_cfg_init(&c->alerts);
	tm_job_init(&c->job);
	tm_notify_opts_init(&c->notify);
}

static void opts_release(struct watch_opts *o)
{
	free_file_jobs(&o->cfg);
	free_labels(&o->cfg);
	tm_notify_opts_release(&o->cfg.notify);
	tm_strv_release(&o->globs);
	tm_strv_release(&o->rules);
}

/* Config, then flags, into o (holding the defaults). Returns as tm_cli_apply. */
static int apply(struct tm_cli *cli, struct watch_opts *o, void *fe_dst, struct tm_diag *d, char *err, size_t n)
{
	struct files_ctx fc = { cli, &o->cfg };
	void *const dst[5] = { o, &o->cfg.job, &o->cfg.notify, &o->cfg.alerts.anomaly, fe_dst };
	int rc = tm_cli_apply(cli, dst, &fc, d, err, n);
	if (o->globs.n == 0) {
		tm_strv_push(&o->globs, "*.out");
		tm_strv_push(&o->globs, "*.log");
	}
	o->cfg.globs = o->globs.v;
	o->cfg.nglobs = o->globs.n;
	o->cfg.rules = o->rules.v;
	o->cfg.nrules = o->rules.n;
	return rc;
}

struct reload_ctx {                     /* what a SIGHUP reload needs */
	struct tm_cli *cli;
	struct watch_opts *opts;        /* the running daemon's settings */
	void *fe_dst;                   /* a front end's extra rows' struct, or NULL */
};

/* SIGHUP: config again, flags on top; only job, files and alerts change in the running daemon
 * (delivery settings and secrets are read once, at start). */
static int reload_cfg(void *ctx, struct tm_diag *d)
{
	struct reload_ctx *x = ctx;
	struct watch_opts fresh;
	char err[320];
	defaults(&fresh);
	int rc = apply(x->cli, &fresh, x->fe_dst, d, err, sizeof(err));
	if (rc == -EINVAL)
		tm_diag_error(d, NULL, 0, 0, "%s", err);
	if (rc) {
		opts_release(&fresh);
		return rc > 0 ? rc : 1;
	}
	struct tm_watch_cfg *c = &x->opts->cfg;
	free_file_jobs(c);
	c->job = fresh.cfg.job;
	c->file_jobs = fresh.cfg.file_jobs;
	c->nfile_jobs = fresh.cfg.nfile_jobs;
	c->alerts = fresh.cfg.alerts;
	fresh.cfg.file_jobs = NULL;
	fresh.cfg.nfile_jobs = 0;
	opts_release(&fresh);
	return 0;
}

int tm_watch_command(int argc, char **argv, const struct tm_watch_front *fe)
{
	struct tm_opt_group groups[5];
	struct tm_cmd_spec spec;
	spec_init(&spec, groups, fe);
	const char *name = spec.name;
	struct tm_cli cli;
	struct watch_opts o;
	char err[320];
	defaults(&o);
	int status = TM_EXIT_OK;
	int rc = tm_cmd_parse(&cli, &spec, argc, argv);
	if (rc >= 0) {
		status = rc;
		goto out;
	}
	if (cli.nargs == 0 && !fe) {
		fprintf(stderr, "trainmon %s: no directory given (see trainmon help %s)\n", name, name);
		status = TM_EXIT_USAGE;
		goto out;
	}
	void *fe_dst = fe ? fe->opts_dst : NULL;
	struct tm_diag d;
	tm_diag_init(&d);
	rc = apply(&cli, &o, fe_dst, &d, err, sizeof(err));
	tm_diag_print(&d, stderr);
	tm_diag_release(&d);
	if (rc == -EINVAL) {
		fprintf(stderr, "trainmon %s: %s\n", name, err);
		status = TM_EXIT_USAGE;
	} else if (rc) {
		status = TM_EXIT_INPUT;
	}
	if (status == TM_EXIT_OK &&
	    tm_chain_opts_set(&o.cfg.chains, o.cfg.chain, o.cfg.chain_by, o.cfg.chain_param, err, sizeof(err)) < 0) {
		fprintf(stderr, "trainmon %s: %s\n", name, err);
		status = TM_EXIT_USAGE;
	}
	if (status == TM_EXIT_OK && fe && fe->prepare) {
		int st = fe->prepare(fe->ctx, &o.cfg, cli.nargs);
		if (st >= 0) {
			status = st;
			goto out;
		}
	}
	if (status == TM_EXIT_OK) {
		struct tm_watch_cfg *c = &o.cfg;
		struct reload_ctx x = { &cli, &o, fe_dst };
		c->dirs = cli.args;
		c->ndirs = cli.nargs;
		struct tm_daemon_opts opts = { .clock = NULL, .reload_cfg = reload_cfg, .reload_ctx = &x,
					       .on_change = fe ? fe->on_change : NULL, .change_ctx = fe ? fe->ctx : NULL };
		struct tm_daemon *dm = NULL;
		struct tm_diag diag;
		tm_diag_init(&diag);
		int drc = tm_daemon_new(&dm, c, &opts, &diag);
		tm_diag_print(&diag, stderr);
		tm_diag_release(&diag);
		char derr[4200] = "";
		if (drc == 0)
			drc = tm_daemon_start(dm, derr, sizeof(derr));
		if (drc == 0)
			drc = fe && fe->run ? fe->run(fe->ctx, dm) : tm_daemon_run(dm);
		if (derr[0])
			fprintf(stderr, "trainmon %s: %s\n", name, derr);
		status = drc == 0 ? TM_EXIT_OK : drc == TM_DAEMON_BAD_INPUT ? TM_EXIT_INPUT
		       : drc == TM_DAEMON_BAD_USAGE ? TM_EXIT_USAGE : TM_EXIT_SYSTEM;
		tm_daemon_free(dm);
	}
out:
	opts_release(&o);
	tm_cli_release(&cli);
	return status;
}

int cmd_watch(int argc, char **argv)
{
	return tm_watch_command(argc, argv, NULL);
}

/* cmd_analyze.c: `trainmon analyze FILE...`: a summary per finished (or growing) log, and
 * `trainmon report FILE... -o report.html`, the same analysis as one HTML page (report_html.h).
 *
 * Each file goes through analysis.h (the engine to EOF, then summary.h's numbers under the job
 * given by flags and --config, and the anomalies), on a pool of threads. Files are independent:
 * one unreadable file is reported and the others still analysed; the exit status reports the
 * worst outcome.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "trainmon/analysis.h"
#include "trainmon/chain.h"
#include "trainmon/cmd.h"
#include "trainmon/job.h"
#include "trainmon/opt.h"
#include "trainmon/pool.h"
#include "trainmon/report.h"
#include "trainmon/report_html.h"
#include "trainmon/xalloc.h"
#include "banned.h"

enum { FORMAT_TEXT, FORMAT_JSON, FORMAT_CSV, FORMAT_HTML };

struct analyze_opts {
	int format;                 /* FORMAT_* */
	const char *chain;          /* --chain NAME: every file one chain; borrowed or NULL */
	const char *chain_by;       /* --chain-by REGEX over the file names; borrowed or NULL */
	const char *chain_param;    /* --chain-param NAME: a string parameter; borrowed or NULL */
	double stall_s;             /* --stall: seconds with no step that count as a stall */
	int csv_table;              /* CSV_STEPS or CSV_SEGMENTS */
	const char *output;         /* --output, borrowed, or NULL: stdout */
	struct tm_html_opts html;
};

enum { CSV_STEPS, CSV_SEGMENTS };
static const char *const formats[] = { "text", "json", "csv", "html", NULL };
static const char *const csv_tables[] = { "steps", "segments", NULL };

#define A(field) offsetof(struct analyze_opts, field)
static const struct tm_opt analyze_rows[] = {
	{ .kind = TM_OPT_HEADING, .help = "Output:" },
	{ .kind = TM_OPT_CHOICE, .name = "format", .arg = "F", .off = A(format), .choices = formats, .shortc = 'f',
	  .help = "text (default), json, csv (the per-step series) or html (a page with\n"
		  "charts; trainmon report's default)" },
	{ .kind = TM_OPT_STR, .name = "output", .arg = "FILE", .off = A(output), .shortc = 'o',
	  .help = "write to FILE (replaced whole when done) instead of standard output" },
	{ .kind = TM_OPT_CHOICE, .name = "csv-table", .arg = "T", .off = A(csv_table), .choices = csv_tables,
	  .help = "with --format csv: steps (default, per step) or segments (one row per chain segment)" },
	{ .kind = TM_OPT_HEADING, .help = "Chains (logs of one training run, each resuming from a checkpoint):" },
	{ .kind = TM_OPT_STR, .name = "chain", .arg = "NAME", .off = A(chain),
	  .help = "all files are segments of one run named NAME (default: grouped by resume evidence)" },
	{ .kind = TM_OPT_STR, .name = "chain-by", .arg = "REGEX", .off = A(chain_by),
	  .help = "files whose names give the same key (first group, else the match) are one run" },
	{ .kind = TM_OPT_STR, .name = "chain-param", .arg = "NAME", .off = A(chain_param),
	  .help = "files whose logs print the same value of this parameter (save_dir, chain_key) are one run" },
	{ .kind = TM_OPT_NUM, .name = "stall", .arg = "SECONDS", .off = A(stall_s), .min = 0, .max = 1e9,
	  .expect = "seconds from 0", .help = "a time with no step longer than this is a stall in the ledger (default 300)" },
	{ .kind = TM_OPT_HEADING, .help = "HTML (--format html, trainmon report):" },
	{ .kind = TM_OPT_BOOL, .name = "loss-log", .off = A(html.loss_log), .help = "draw the loss on a logarithmic axis" },
	{ .kind = TM_OPT_NUM, .name = "min-mfu", .arg = "X", .off = A(html.min_mfu), .max = 1,
	  .expect = "a fraction between 0 and 1 (e.g. 0.35)", .help = "draw this MFU (a fraction) as a line on the MFU chart" },
	{ .kind = TM_OPT_SIZE, .name = "max-points", .arg = "N", .off = A(html.max_points), .min = 16, .max = 1e6,
	  .help = "points per curve at most; longer series are downsampled (default 2000)" },
};
#undef A

enum { NGROUPS = TM_ANALYSIS_NGROUPS };

static void spec_init(struct tm_cmd_spec *spec, struct tm_opt_group *groups, int report)
{
	groups[0] = (struct tm_opt_group){ analyze_rows, sizeof(analyze_rows) / sizeof(analyze_rows[0]), NULL };
	tm_analysis_groups(groups);
	*spec = (struct tm_cmd_spec){
		.name = report ? "report" : "analyze",
		.usage = report ? "usage: trainmon report [OPTIONS] FILE... -o report.html\n"
			 "The analysis of `trainmon analyze` as one self-contained HTML page: the summary, charts of\n"
			 "step time, tokens/s, MFU and loss with the events marked (no script, no external file).\n"
			 : "usage: trainmon analyze [OPTIONS] FILE...\n"
			 "Summarise training logs (\"-\" reads standard input): step time, tokens/s, model FLOPs,\n"
			 "MFU, tokens done and the time left to a token target, plus the failure events found.\n",
		.groups = groups,
		.ngroups = NGROUPS,
		.epilog = "Exit status: 0 ok, 1 invalid input (a rule pack, the config, or a log with nothing to\n"
			  "report), 2 usage, 3 a file could not be read.\n",
	};
}

/* One file's analysis, made on a pool thread and rendered on the main thread in input order. */
struct file_result {
	struct tm_analysis a;
	char *msgs;                  /* owned: what it has to say on stderr */
	size_t msglen;
};

struct analyze_ctx {                 /* what every file shares; read-only while the pool runs */
	struct tm_segment *segs;     /* owned: the chain segments of the files reported so far */
	struct tm_seg_arena arena;   /* owned: their step records */
	size_t nsegs, npaths;
	int chain_param;             /* TM_P_* or -1 */
	struct tm_analysis_cfg cfg;
	const struct analyze_opts *o;
	char **paths;                /* borrowed from argv */
	struct file_result *res;     /* owned array, one per path */
	struct tm_json *js;          /* the main thread's output */
	FILE *out;                   /* stdout or --output's temporary file */
	int csv_header, failed, nothing;
};

/* On a pool thread: read, summarise, find the anomalies of file i. */
static void work(void *ctx, size_t i)
{
	struct analyze_ctx *cx = ctx;
	struct file_result *res = &cx->res[i];
	FILE *err = open_memstream(&res->msgs, &res->msglen);
	if (!err)
		abort();      /* only when malloc fails */
	tm_analysis_file(&res->a, &cx->cfg, cx->paths[i], err);
	fclose(err);
}

/* On the main thread, in input order: file i's messages, then its report; then it is freed. */
static void done(void *ctx, size_t i)
{
	struct analyze_ctx *cx = ctx;
	struct file_result *res = &cx->res[i];
	fflush(cx->out);
	fwrite(res->msgs, 1, res->msglen, stderr);
	cx->failed |= res->a.failed;
	cx->nothing |= res->a.nothing;
	if (cx->o->format == FORMAT_TEXT && i > 0)
		fputc('\n', cx->out);
	if (res->a.f) {
		const struct tm_summary *s = &res->a.s;
		const struct tm_run *r = &res->a.f->run;
		struct tm_interruption it;
		tm_interrupt_find(r, &it);
		if (cx->o->format == FORMAT_TEXT) {
			tm_report_text(cx->out, s, r);
			tm_report_text_interruption(cx->out, &it);
			tm_report_text_anomalies(cx->out, &res->a.an);
		} else if (cx->o->format == FORMAT_HTML) {
			tm_report_html_run(cx->out, i, s, r, &res->a.an, &cx->o->html);
		} else if (cx->o->format == FORMAT_JSON) {
			tm_json_obj(cx->js, NULL);
			tm_report_json_fields(cx->js, s, r);
			tm_report_json_interruption(cx->js, "interruption", &it);
			tm_report_json_anomalies(cx->js, &res->a.an, s->basis_level);
			tm_json_end(cx->js, '}');
		} else if (cx->o->csv_table == CSV_STEPS) {
			tm_report_csv(cx->out, s, r, &res->a.an, cx->csv_header);
			cx->csv_header = 0;
		}
		/* a chain needs two files, or --chain; a segment copies the run's steps (32 bytes each) */
		if ((r->nsteps || r->nevents) && (cx->npaths > 1 || cx->o->chain))
			tm_segment_from_run_in(&cx->segs[cx->nsegs++], r, s, cx->chain_param, &cx->arena);
	}
	tm_analysis_release(&res->a);
	free(res->msgs);
	memset(res, 0, sizeof(*res));
}

/* The chain options, checked before any file is read: one way of grouping, a --chain-param
 * that names a text parameter, a --chain-by regex that compiles. Returns an exit status. */
static int chain_opts(const struct analyze_opts *o, int *param)
{
	struct tm_chain_opts co;
	char err[300];
	if (tm_chain_opts_set(&co, o->chain, o->chain_by, o->chain_param, err, sizeof(err)) < 0) {
		fprintf(stderr, "trainmon analyze: %s\n", err);
		return TM_EXIT_USAGE;
	}
	*param = co.by_param;
	return TM_EXIT_OK;
}

/* --output: a temporary file beside FILE, renamed over it when everything is written, so a
 * reader never sees half a report. NULL with a message when it cannot be made. */
static FILE *output_open(const char *cmd, const char *path, char *tmp, size_t n)
{
	snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
	if (!f) {
		fprintf(stderr, "trainmon %s: %s: %s\n", cmd, path, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	return f;
}

/* Returns 0, or -1 (said on stderr, the temporary file removed) when the output failed. */
static int output_close(const char *cmd, FILE *f, const char *tmp, const char *path)
{
	int bad = fflush(f) != 0 || ferror(f);
	int e = errno;
	if (fclose(f) != 0 && !bad)
		bad = 1, e = errno;
	if (!bad && rename(tmp, path) != 0)
		bad = 1, e = errno;
	if (bad) {
		fprintf(stderr, "trainmon %s: %s: %s\n", cmd, path, strerror(e));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int analyze_main(int argc, char **argv, int report)
{
	const char *cmd = report ? "report" : "analyze";
	struct tm_opt_group groups[NGROUPS];
	struct tm_cmd_spec spec;
	spec_init(&spec, groups, report);
	struct tm_cli cli;
	char err[320];
	int rc = tm_cmd_parse(&cli, &spec, argc, argv);
	if (rc >= 0) {
		tm_cli_release(&cli);
		return rc;
	}
	if (cli.nargs == 0) {
		fprintf(stderr, "trainmon %s: no log files given (see trainmon help %s)\n", cmd, cmd);
		tm_cli_release(&cli);
		return TM_EXIT_USAGE;
	}
	struct analyze_opts o = { .format = report ? FORMAT_HTML : FORMAT_TEXT, .stall_s = 300 };
	struct tm_analysis_env env;
	int status = tm_analysis_env_setup(&env, &cli, &o, cmd, stderr);
	int chain_param = -1;
	if (status == TM_EXIT_OK)
		status = chain_opts(&o, &chain_param);
	if (status == TM_EXIT_OK && o.format == FORMAT_HTML && !o.output && isatty(1)) {
		fprintf(stderr, "trainmon %s: an HTML page is not for a terminal: give -o FILE or redirect "
			"standard output\n", cmd);
		status = TM_EXIT_USAGE;
	}
	char tmp[4200];
	FILE *out = stdout;
	if (status == TM_EXIT_OK && o.output && !(out = output_open(cmd, o.output, tmp, sizeof(tmp))))
		status = TM_EXIT_SYSTEM;
	if (status != TM_EXIT_OK) {
		tm_analysis_env_release(&env);
		tm_cli_release(&cli);
		return status;
	}

	struct tm_json js;
	int json = o.format == FORMAT_JSON;
	tm_json_init(&js, out, 1);
	if (o.format == FORMAT_HTML)
		tm_report_html_begin(out, cli.args, cli.nargs);
	if (json) {
		tm_json_obj(&js, NULL);
		tm_json_str(&js, "trainmon_version", TM_VERSION);
		tm_json_arr(&js, "runs");
	}
	/* files on a pool of threads (one file: its halves on two), reported in input order */
	struct analyze_ctx cx = {
		.cfg = { .cmd = cmd, .rs = &env.rs, .job = &env.job, .in = &env.in,
			 .anomalies = &env.anomalies, .split = cli.nargs == 1 },
		.o = &o, .paths = cli.args, .js = &js, .out = out, .csv_header = 1 };
	cx.res = tm_xcalloc(cli.nargs, sizeof(*cx.res));
	cx.segs = tm_xcalloc(cli.nargs, sizeof(*cx.segs));
	cx.chain_param = chain_param;
	cx.npaths = cli.nargs;
	struct tm_read_bufs bufs;
	tm_read_bufs_init(&bufs);
	cx.cfg.bufs = &bufs;
	tm_pool_run(cli.nargs, tm_pool_threads(8), 16, work, done, &cx);
	tm_read_bufs_release(&bufs);
	free(cx.res);
	int failed = cx.failed, nothing = cx.nothing;
	/* the runs' chains: after every run, from the segments kept of each */
	struct tm_chain *chains = NULL;
	struct tm_chain_opts co = { .name = o.chain, .by_regex = o.chain_by, .by_param = chain_param,
				    .stall_s = o.stall_s };
	long nchains = tm_chains_build(cx.segs, cx.nsegs, &co, &chains, err, sizeof(err));
	nchains = nchains < 0 ? 0 : nchains;   /* the regex was checked before any file was read */
	if (json) {
		tm_json_end(&js, ']');
		if (nchains)
			tm_report_chains_json(&js, chains, (size_t)nchains, cx.segs);
		tm_json_end(&js, '}');
		fputc('\n', out);
	} else if (o.format == FORMAT_TEXT && nchains) {
		tm_report_chains_text(out, chains, (size_t)nchains, cx.segs);
	} else if (o.format == FORMAT_CSV && o.csv_table == CSV_SEGMENTS) {
		tm_report_chains_csv(out, chains, (size_t)nchains, cx.segs);
	}
	if (o.format == FORMAT_HTML) {
		tm_report_html_chains(out, chains, (size_t)nchains, cx.segs);
		tm_report_html_end(out);
	}
	if (o.output && output_close(cmd, out, tmp, o.output) < 0)
		failed = 1;
	tm_chains_free(chains, (size_t)nchains);
	for (size_t i = 0; i < cx.nsegs; i++)
		tm_segment_release(&cx.segs[i]);
	tm_seg_arena_free(&cx.arena);
	free(cx.segs);
	tm_analysis_env_release(&env);
	tm_cli_release(&cli);
	return failed ? TM_EXIT_SYSTEM : nothing ? TM_EXIT_INPUT : TM_EXIT_OK;
}

int cmd_analyze(int argc, char **argv)
{
	return analyze_main(argc, argv, 0);
}

int cmd_report(int argc, char **argv)
{
	return analyze_main(argc, argv, 1);
}

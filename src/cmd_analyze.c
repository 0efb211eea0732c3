/* cmd_analyze.c: `trainmon analyze FILE...`: a summary per finished (or growing) log.
 *
 * Each file goes through the shared engine (engine.h) to EOF, then summary.h computes its numbers
 * under the job given by flags and --config. Files are independent: one unreadable file is
 * reported and the others still analysed; the exit status reports the worst outcome.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trainmon/chain.h"
#include "trainmon/cmd.h"
#include "trainmon/engine.h"
#include "trainmon/job.h"
#include "trainmon/opt.h"
#include "trainmon/pool.h"
#include "trainmon/report.h"
#include "trainmon/xalloc.h"
#include "banned.h"

enum { FORMAT_TEXT, FORMAT_JSON, FORMAT_CSV };

struct analyze_opts {
	int format;                 /* FORMAT_* */
	struct tm_strv rules;       /* --rules paths, borrowed from argv */
	int no_default;
	const char *framework;      /* borrowed or NULL */
	const char *config;         /* borrowed or NULL */
	size_t line_max;            /* bytes */
	struct tm_anomaly_cfg anomalies;
	const char *chain;          /* --chain NAME: every file one chain; borrowed or NULL */
	const char *chain_by;       /* --chain-by REGEX over the file names; borrowed or NULL */
	const char *chain_param;    /* --chain-param NAME: a string parameter; borrowed or NULL */
	double stall_s;             /* --stall: seconds with no step that count as a stall */
	int csv_table;              /* CSV_STEPS or CSV_SEGMENTS */
};

enum { CSV_STEPS, CSV_SEGMENTS };
static const char *const formats[] = { "text", "json", "csv", NULL };
static const char *const csv_tables[] = { "steps", "segments", NULL };

#define A(field) offsetof(struct analyze_opts, field)
static const struct tm_opt analyze_rows[] = {
	{ .kind = TM_OPT_HEADING, .help = "Output:" },
	{ .kind = TM_OPT_CHOICE, .name = "format", .arg = "F", .off = A(format), .choices = formats, .shortc = 'f',
	  .help = "text (default), json or csv (the per-step series)" },
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
	{ .kind = TM_OPT_HEADING, .help = "Rules:" },
	{ .kind = TM_OPT_LIST, .name = "rules", .arg = "PATH", .off = A(rules),
	  .help = "extra rule pack file or directory (repeatable)" },
	{ .kind = TM_OPT_BOOL, .name = "no-default-rules", .off = A(no_default),
	  .help = "do not load the installed packs" },
	{ .kind = TM_OPT_STR, .name = "framework", .arg = "NAME", .off = A(framework),
	  .help = "take steps from this pack only (default: detected per file)" },
	{ .kind = TM_OPT_SIZE, .name = "line-max", .arg = "BYTES", .off = A(line_max), .min = 256, .max = 64e6,
	  .expect = "a size from 256 to 64M", .help = "longer lines are cut and counted (default 65536)" },
	{ .kind = TM_OPT_CONFIG, .name = "config", .arg = "FILE", .off = A(config),
	  .help = "YAML file whose `job:` mapping sets the job options below" },
	{ .kind = TM_OPT_HELP, .name = "help", .shortc = 'h', .help = "this text" },
};
#undef A

static void spec_init(struct tm_cmd_spec *spec, struct tm_opt_group *groups)
{
	groups[0] = (struct tm_opt_group){ analyze_rows, sizeof(analyze_rows) / sizeof(analyze_rows[0]), NULL };
	groups[1] = (struct tm_opt_group){ NULL, 0, "job" };
	groups[1].opts = tm_job_opts(&groups[1].nopts);
	groups[2] = (struct tm_opt_group){ NULL, 0, "anomalies" };
	groups[2].opts = tm_anomaly_opts(&groups[2].nopts);
	*spec = (struct tm_cmd_spec){
		.name = "analyze",
		.usage = "usage: trainmon analyze [OPTIONS] FILE...\n"
			 "Summarise training logs (\"-\" reads standard input): step time, tokens/s, model FLOPs,\n"
			 "MFU, tokens done and the time left to a token target, plus the failure events found.\n",
		.groups = groups,
		.ngroups = 3,
		.epilog = "Exit status: 0 ok, 1 invalid input (a rule pack, the config, or a log with nothing to\n"
			  "report), 2 usage, 3 a file could not be read.\n",
	};
}

/* One file's analysis, made on a pool thread and rendered on the main thread in input order. */
struct file_result {
	struct tm_feed *f;           /* owned, NULL when the file could not be read */
	struct tm_summary s;         /* borrows from f */
	struct tm_anomalies an;
	char *msgs;                  /* owned: what it has to say on stderr */
	size_t msglen;
	int failed, nothing;
};

struct analyze_ctx {                 /* what every file shares; read-only while the pool runs */
	struct tm_segment *segs;     /* owned: the chain segments of the files reported so far */
	size_t nsegs, npaths;
	int chain_param;             /* TM_P_* or -1 */
	const struct tm_ruleset *rs;
	const struct tm_job *job;
	const struct analyze_opts *o;
	char **paths;                /* borrowed from argv */
	struct file_result *res;     /* owned array, one per path */
	int split;                   /* large files in two halves (only when there is one file) */
	struct tm_json *js;          /* the main thread's output */
	int csv_header, failed, nothing;
};

/* Reads one file to its end; every message goes to err. Returns the feed, or NULL. */
static struct tm_feed *read_file(const struct analyze_ctx *cx, const char *path, FILE *err)
{
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(err, "trainmon analyze: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) < 0)
		memset(&st, 0, sizeof(st));
	if (S_ISDIR(st.st_mode)) {
		fprintf(err, "trainmon analyze: %s: is a directory\n", path);
		close(fd);
		return NULL;
	}
	struct tm_feed *f = tm_xcalloc(1, sizeof(*f));
	tm_feed_init(f, path, cx->rs, cx->o->line_max);
	if (cx->o->framework)
		tm_run_force_framework(&f->run, cx->o->framework);
	/* a large regular file is read in two halves on two threads, with the same result */
	int rc = cx->split && fd != 0 && S_ISREG(st.st_mode) ? tm_feed_file_split(f, fd, path, (uint64_t)st.st_size)
							   : tm_feed_fd_to_eof(f, fd);
	/* a file that shrank while we read it (copytruncate, a rewrite) gave us part of one version
	 * and maybe part of another: say so rather than print numbers that look whole */
	struct stat after;
	if (rc == 0 && S_ISREG(st.st_mode) && fstat(fd, &after) == 0 && after.st_size < st.st_size) {
		fprintf(err, "trainmon analyze: %s: truncated while it was read (%lld bytes, then %lld): "
			"the numbers would cover part of it\n", path, (long long)st.st_size, (long long)after.st_size);
		rc = -ESTALE;
	}
	if (fd != 0)
		close(fd);
	if (rc < 0) {
		if (rc != -ESTALE)
			fprintf(err, "trainmon analyze: %s: read error: %s\n", path, strerror(-rc));
		tm_feed_release(f);
		free(f);
		return NULL;
	}
	return f;
}

/* On a pool thread: read, summarise, find the anomalies of file i. */
static void work(void *ctx, size_t i)
{
	struct analyze_ctx *cx = ctx;
	struct file_result *res = &cx->res[i];
	const char *path = cx->paths[i];
	FILE *err = open_memstream(&res->msgs, &res->msglen);
	if (!err)
		abort();      /* only when malloc fails */
	res->f = read_file(cx, path, err);
	res->failed = res->f == NULL;
	tm_anomalies_init(&res->an);
	if (res->f) {
		struct tm_feed *f = res->f;
		tm_run_name_hints(&f->run, path);
		if (getenv("TRAINMON_DEBUG_STATS"))
			fprintf(err, "%s: %llu records, %llu holding a rule literal, %llu regex runs\n", path,
				(unsigned long long)f->m.records, (unsigned long long)f->m.literal_records,
				(unsigned long long)f->m.regex_runs);
		tm_summarize(&f->run, cx->job, &res->s);
		if (f->lines.truncated)
			fprintf(err, "trainmon analyze: %s: %llu lines longer than %zu bytes were cut (--line-max)\n",
				path, (unsigned long long)f->lines.truncated, f->lines.line_max);
		if (f->m.regex_aborted)
			fprintf(err, "trainmon analyze: %s: %llu regex runs hit a PCRE2 limit and count as no match\n",
				path, (unsigned long long)f->m.regex_aborted);
		if (f->run.nsteps == 0 && f->run.nevents == 0) {
			fprintf(err, "trainmon analyze: %s: no step records or events found (%llu lines; framework %s)\n",
				path, (unsigned long long)f->lines.lines,
				res->s.framework ? res->s.framework : "not detected");
			res->nothing = 1;
		}
		tm_anomalies_find(&res->an, &f->run, res->s.warmup_records, &cx->o->anomalies);
		if (res->an.nregimes > 1)
			tm_summarize_at(&f->run, cx->job, res->an.regimes[res->an.nregimes - 1].median, &res->s);
	}
	fclose(err);
}

/* On the main thread, in input order: file i's messages, then its report; then it is freed. */
static void done(void *ctx, size_t i)
{
	struct analyze_ctx *cx = ctx;
	struct file_result *res = &cx->res[i];
	fflush(stdout);
	fwrite(res->msgs, 1, res->msglen, stderr);
	cx->failed |= res->failed;
	cx->nothing |= res->nothing;
	if (cx->o->format == FORMAT_TEXT && i > 0)
		putchar('\n');
	if (res->f) {
		const struct tm_summary *s = &res->s;
		const struct tm_run *r = &res->f->run;
		if (cx->o->format == FORMAT_TEXT) {
			tm_report_text(stdout, s, r);
			tm_report_text_anomalies(stdout, &res->an);
		} else if (cx->o->format == FORMAT_JSON) {
			tm_json_obj(cx->js, NULL);
			tm_report_json_fields(cx->js, s, r);
			tm_report_json_anomalies(cx->js, &res->an, s->basis_level);
			tm_json_end(cx->js, '}');
		} else if (cx->o->csv_table == CSV_STEPS) {
			tm_report_csv(stdout, s, r, cx->csv_header);
			cx->csv_header = 0;
		}
		/* a chain needs two files, or --chain; a segment copies the run's steps (32 bytes each) */
		if ((r->nsteps || r->nevents) && (cx->npaths > 1 || cx->o->chain))
			tm_segment_from_run(&cx->segs[cx->nsegs++], r, s, cx->chain_param);
		tm_feed_release(res->f);
		free(res->f);
	}
	tm_anomalies_release(&res->an);
	free(res->msgs);
	memset(res, 0, sizeof(*res));
}

/* The chain options, checked before any file is read: one way of grouping, a --chain-param
 * that names a text parameter, a --chain-by regex that compiles. Returns an exit status. */
static int chain_opts(const struct analyze_opts *o, int *param)
{
	if (!!o->chain + !!o->chain_by + !!o->chain_param > 1) {
		fprintf(stderr, "trainmon analyze: give one of --chain, --chain-by and --chain-param\n");
		return TM_EXIT_USAGE;
	}
	if (o->chain_param) {
		*param = tm_param_lookup(o->chain_param, strlen(o->chain_param));
		if (*param < TM_P_NUM_STRINGS_FROM_HERE) {
			fprintf(stderr, "trainmon analyze: --chain-param: '%s' is not a parameter a log prints as text "
				"(save_dir, chain_key, slurm_job_id, ...)\n", o->chain_param);
			return TM_EXIT_USAGE;
		}
	}
	struct tm_chain *none;
	char err[300];
	struct tm_chain_opts co = { .by_regex = o->chain_by, .by_param = -1 };
	if (tm_chains_build(NULL, 0, &co, &none, err, sizeof(err)) < 0) {
		fprintf(stderr, "trainmon analyze: %s\n", err);
		return TM_EXIT_USAGE;
	}
	return TM_EXIT_OK;
}

int cmd_analyze(int argc, char **argv)
{
	struct tm_opt_group groups[3];
	struct tm_cmd_spec spec;
	spec_init(&spec, groups);
	struct tm_cli cli;
	char err[320];
	int rc = tm_cli_parse(&cli, &spec, argc, argv, err, sizeof(err));
	if (rc) {
		if (rc > 0)
			tm_cmd_help(&spec, stdout);
		else
			fprintf(stderr, "trainmon analyze: %s (see trainmon help analyze)\n", err);
		tm_cli_release(&cli);
		return rc > 0 ? TM_EXIT_OK : TM_EXIT_USAGE;
	}
	if (cli.nargs == 0) {
		fprintf(stderr, "trainmon analyze: no log files given (see trainmon help analyze)\n");
		tm_cli_release(&cli);
		return TM_EXIT_USAGE;
	}
	struct analyze_opts o = { .line_max = TM_LINE_MAX_DEFAULT, .stall_s = 300 };
	struct tm_job job;
	struct tm_diag d;
	tm_job_init(&job);
	tm_diag_init(&d);
	int status = TM_EXIT_OK;
	tm_anomaly_cfg_init(&o.anomalies);
	void *const dst[3] = { &o, &job, &o.anomalies };
	rc = tm_cli_apply(&cli, dst, NULL, &d, err, sizeof(err));
	if (rc == -EINVAL) {
		fprintf(stderr, "trainmon analyze: %s\n", err);
		tm_diag_release(&d);
		tm_strv_release(&o.rules);
		tm_cli_release(&cli);
		return TM_EXIT_USAGE;
	}
	if (rc)
		status = rc < 0 ? TM_EXIT_SYSTEM : TM_EXIT_INPUT;
	struct tm_ruleset rs;
	tm_ruleset_init(&rs);
	int sys = 0;
	if (status == TM_EXIT_OK)
		sys = tm_ruleset_load_all(&rs, o.rules.v, o.rules.n, o.no_default, &d) < 0;
	if (status == TM_EXIT_OK && (d.errors || sys))
		status = sys ? TM_EXIT_SYSTEM : TM_EXIT_INPUT;
	if (status == TM_EXIT_OK && o.framework && !tm_pack_find(&rs, o.framework)) {
		fprintf(stderr, "trainmon analyze: --framework: no loaded pack is named '%s' (trainmon rules list)\n",
			o.framework);
		status = TM_EXIT_USAGE;
	}
	int chain_param = -1;
	if (status == TM_EXIT_OK)
		status = chain_opts(&o, &chain_param);
	tm_diag_print(&d, stderr);
	if (status != TM_EXIT_OK) {
		tm_diag_release(&d);
		tm_ruleset_release(&rs);
		tm_strv_release(&o.rules);
		tm_cli_release(&cli);
		return status;
	}
	tm_ruleset_finish(&rs, &d);

	struct tm_json js;
	int json = o.format == FORMAT_JSON;
	tm_json_init(&js, stdout, 1);
	if (json) {
		tm_json_obj(&js, NULL);
		tm_json_str(&js, "trainmon_version", TM_VERSION);
		tm_json_arr(&js, "runs");
	}
	/* files on a pool of threads (one file: its halves on two), reported in input order */
	struct analyze_ctx cx = { .rs = &rs, .job = &job, .o = &o, .paths = cli.args, .split = cli.nargs == 1,
				  .js = &js, .csv_header = 1 };
	cx.res = tm_xcalloc(cli.nargs, sizeof(*cx.res));
	cx.segs = tm_xcalloc(cli.nargs, sizeof(*cx.segs));
	cx.chain_param = chain_param;
	cx.npaths = cli.nargs;
	tm_pool_run(cli.nargs, tm_pool_threads(8), 16, work, done, &cx);
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
		putchar('\n');
	} else if (o.format == FORMAT_TEXT && nchains) {
		tm_report_chains_text(stdout, chains, (size_t)nchains, cx.segs);
	} else if (o.format == FORMAT_CSV && o.csv_table == CSV_SEGMENTS) {
		tm_report_chains_csv(stdout, chains, (size_t)nchains, cx.segs);
	}
	tm_chains_free(chains, (size_t)nchains);
	for (size_t i = 0; i < cx.nsegs; i++)
		tm_segment_release(&cx.segs[i]);
	free(cx.segs);
	tm_diag_release(&d);
	tm_ruleset_release(&rs);
	tm_strv_release(&o.rules);
	tm_cli_release(&cli);
	return failed ? TM_EXIT_SYSTEM : nothing ? TM_EXIT_INPUT : TM_EXIT_OK;
}

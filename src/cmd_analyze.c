/* cmd_analyze.c: `trainmon analyze FILE...`: a summary per finished (or growing) log, and
 * `trainmon report FILE... -o report.html`, the same analysis as one HTML page (report_html.h).
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

#include "trainmon/cmd.h"
#include "trainmon/engine.h"
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
	struct tm_strv rules;       /* --rules paths, borrowed from argv */
	int no_default;
	const char *framework;      /* borrowed or NULL */
	const char *config;         /* borrowed or NULL */
	size_t line_max;            /* bytes */
	struct tm_anomaly_cfg anomalies;
	const char *output;         /* --output, borrowed, or NULL: stdout */
	struct tm_html_opts html;
};

static const char *const formats[] = { "text", "json", "csv", "html", NULL };

#define A(field) offsetof(struct analyze_opts, field)
static const struct tm_opt analyze_rows[] = {
	{ .kind = TM_OPT_HEADING, .help = "Output:" },
	{ .kind = TM_OPT_CHOICE, .name = "format", .arg = "F", .off = A(format), .choices = formats, .shortc = 'f',
	  .help = "text (default), json, csv (the per-step series) or html (a page with\n"
		  "charts; trainmon report's default)" },
	{ .kind = TM_OPT_STR, .name = "output", .arg = "FILE", .off = A(output), .shortc = 'o',
	  .help = "write to FILE (replaced whole when done) instead of standard output" },
	{ .kind = TM_OPT_HEADING, .help = "HTML (--format html, trainmon report):" },
	{ .kind = TM_OPT_BOOL, .name = "loss-log", .off = A(html.loss_log), .help = "draw the loss on a logarithmic axis" },
	{ .kind = TM_OPT_NUM, .name = "min-mfu", .arg = "X", .off = A(html.min_mfu), .max = 1,
	  .expect = "a fraction between 0 and 1 (e.g. 0.35)", .help = "draw this MFU (a fraction) as a line on the MFU chart" },
	{ .kind = TM_OPT_SIZE, .name = "max-points", .arg = "N", .off = A(html.max_points), .min = 16, .max = 1e6,
	  .help = "points per curve at most; longer series are downsampled (default 2000)" },
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

static void spec_init(struct tm_cmd_spec *spec, struct tm_opt_group *groups, int report)
{
	groups[0] = (struct tm_opt_group){ analyze_rows, sizeof(analyze_rows) / sizeof(analyze_rows[0]), NULL };
	groups[1] = (struct tm_opt_group){ NULL, 0, "job" };
	groups[1].opts = tm_job_opts(&groups[1].nopts);
	groups[2] = (struct tm_opt_group){ NULL, 0, "anomalies" };
	groups[2].opts = tm_anomaly_opts(&groups[2].nopts);
	*spec = (struct tm_cmd_spec){
		.name = report ? "report" : "analyze",
		.usage = report ? "usage: trainmon report [OPTIONS] FILE... -o report.html\n"
			 "The analysis of `trainmon analyze` as one self-contained HTML page: the summary, charts of\n"
			 "step time, tokens/s, MFU and loss with the events marked (no script, no external file).\n"
			 : "usage: trainmon analyze [OPTIONS] FILE...\n"
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
	const struct tm_ruleset *rs;
	const struct tm_job *job;
	const struct analyze_opts *o;
	char **paths;                /* borrowed from argv */
	struct file_result *res;     /* owned array, one per path */
	int split;                   /* large files in two halves (only when there is one file) */
	struct tm_json *js;          /* the main thread's output */
	FILE *out;                   /* stdout or the --output file */
	const char *cmd;             /* "analyze" or "report", for messages */
	int csv_header, failed, nothing;
};

/* Reads one file to its end; every message goes to err. Returns the feed, or NULL. */
static struct tm_feed *read_file(const struct analyze_ctx *cx, const char *path, FILE *err)
{
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(err, "trainmon %s: %s: %s\n", cx->cmd, path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) < 0)
		memset(&st, 0, sizeof(st));
	if (S_ISDIR(st.st_mode)) {
		fprintf(err, "trainmon %s: %s: is a directory\n", cx->cmd, path);
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
		fprintf(err, "trainmon %s: %s: truncated while it was read (%lld bytes, then %lld): "
			"the numbers would cover part of it\n", cx->cmd, path, (long long)st.st_size, (long long)after.st_size);
		rc = -ESTALE;
	}
	if (fd != 0)
		close(fd);
	if (rc < 0) {
		if (rc != -ESTALE)
			fprintf(err, "trainmon %s: %s: read error: %s\n", cx->cmd, path, strerror(-rc));
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
			fprintf(err, "trainmon %s: %s: %llu lines longer than %zu bytes were cut (--line-max)\n",
				cx->cmd, path, (unsigned long long)f->lines.truncated, f->lines.line_max);
		if (f->m.regex_aborted)
			fprintf(err, "trainmon %s: %s: %llu regex runs hit a PCRE2 limit and count as no match\n",
				cx->cmd, path, (unsigned long long)f->m.regex_aborted);
		if (f->run.nsteps == 0 && f->run.nevents == 0) {
			fprintf(err, "trainmon %s: %s: no step records or events found (%llu lines; framework %s)\n",
				cx->cmd, path, (unsigned long long)f->lines.lines,
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
	fflush(cx->out);
	fwrite(res->msgs, 1, res->msglen, stderr);
	cx->failed |= res->failed;
	cx->nothing |= res->nothing;
	if (cx->o->format == FORMAT_TEXT && i > 0)
		fputc('\n', cx->out);
	if (res->f) {
		const struct tm_summary *s = &res->s;
		const struct tm_run *r = &res->f->run;
		if (cx->o->format == FORMAT_TEXT) {
			tm_report_text(cx->out, s, r);
			tm_report_text_anomalies(cx->out, &res->an);
		} else if (cx->o->format == FORMAT_HTML) {
			tm_report_html_run(cx->out, i, s, r, &res->an, &cx->o->html);
		} else if (cx->o->format == FORMAT_JSON) {
			tm_json_obj(cx->js, NULL);
			tm_report_json_fields(cx->js, s, r);
			tm_report_json_anomalies(cx->js, &res->an, s->basis_level);
			tm_json_end(cx->js, '}');
		} else {
			tm_report_csv(cx->out, s, r, cx->csv_header);
			cx->csv_header = 0;
		}
		tm_feed_release(res->f);
		free(res->f);
	}
	tm_anomalies_release(&res->an);
	free(res->msgs);
	memset(res, 0, sizeof(*res));
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
	struct tm_opt_group groups[3];
	struct tm_cmd_spec spec;
	spec_init(&spec, groups, report);
	struct tm_cli cli;
	char err[320];
	int rc = tm_cli_parse(&cli, &spec, argc, argv, err, sizeof(err));
	if (rc) {
		if (rc > 0)
			tm_cmd_help(&spec, stdout);
		else
			fprintf(stderr, "trainmon %s: %s (see trainmon help %s)\n", cmd, err, cmd);
		tm_cli_release(&cli);
		return rc > 0 ? TM_EXIT_OK : TM_EXIT_USAGE;
	}
	if (cli.nargs == 0) {
		fprintf(stderr, "trainmon %s: no log files given (see trainmon help %s)\n", cmd, cmd);
		tm_cli_release(&cli);
		return TM_EXIT_USAGE;
	}
	struct analyze_opts o = { .line_max = TM_LINE_MAX_DEFAULT, .format = report ? FORMAT_HTML : FORMAT_TEXT };
	struct tm_job job;
	struct tm_diag d;
	tm_job_init(&job);
	tm_diag_init(&d);
	int status = TM_EXIT_OK;
	tm_anomaly_cfg_init(&o.anomalies);
	void *const dst[3] = { &o, &job, &o.anomalies };
	rc = tm_cli_apply(&cli, dst, NULL, &d, err, sizeof(err));
	if (rc == -EINVAL || (rc == 0 && o.format == FORMAT_HTML && !o.output && isatty(1))) {
		if (rc == -EINVAL)
			fprintf(stderr, "trainmon %s: %s\n", cmd, err);
		else
			fprintf(stderr, "trainmon %s: an HTML page is not for a terminal: give -o FILE or redirect "
				"standard output\n", cmd);
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
		fprintf(stderr, "trainmon %s: --framework: no loaded pack is named '%s' (trainmon rules list)\n",
			cmd, o.framework);
		status = TM_EXIT_USAGE;
	}
	tm_diag_print(&d, stderr);
	if (status != TM_EXIT_OK) {
		tm_diag_release(&d);
		tm_ruleset_release(&rs);
		tm_strv_release(&o.rules);
		tm_cli_release(&cli);
		return status;
	}
	tm_ruleset_finish(&rs, &d);
	char tmp[4200];
	FILE *out = o.output ? output_open(cmd, o.output, tmp, sizeof(tmp)) : stdout;
	if (!out) {
		tm_diag_release(&d);
		tm_ruleset_release(&rs);
		tm_strv_release(&o.rules);
		tm_cli_release(&cli);
		return TM_EXIT_SYSTEM;
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
	struct analyze_ctx cx = { .rs = &rs, .job = &job, .o = &o, .paths = cli.args, .split = cli.nargs == 1,
				  .js = &js, .csv_header = 1, .out = out, .cmd = cmd };
	cx.res = tm_xcalloc(cli.nargs, sizeof(*cx.res));
	tm_pool_run(cli.nargs, tm_pool_threads(8), 16, work, done, &cx);
	free(cx.res);
	int failed = cx.failed, nothing = cx.nothing;
	if (json) {
		tm_json_end(&js, ']');
		tm_json_end(&js, '}');
		fputc('\n', out);
	}
	if (o.format == FORMAT_HTML)
		tm_report_html_end(out);
	if (o.output && output_close(cmd, out, tmp, o.output) < 0)
		failed = 1;
	tm_diag_release(&d);
	tm_ruleset_release(&rs);
	tm_strv_release(&o.rules);
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

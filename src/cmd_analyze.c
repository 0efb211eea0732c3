/* cmd_analyze.c: `trainmon analyze FILE...`: a summary per finished (or growing) log.
 *
 * Each file goes through the shared engine (engine.h) to EOF, then summary.h computes its numbers
 * under the job given by flags and --config. Files are independent: one unreadable file is
 * reported and the others still analysed; the exit status reports the worst outcome.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trainmon/cmd.h"
#include "trainmon/engine.h"
#include "trainmon/jobopts.h"
#include "trainmon/report.h"
#include "trainmon/xalloc.h"
#include "banned.h"

const char *cmd_analyze_help(void)
{
	return
	"usage: trainmon analyze [OPTIONS] FILE...\n"
	"Summarise training logs (\"-\" reads standard input): step time, tokens/s, model FLOPs,\n"
	"MFU, tokens done and the time left to a token target, plus the failure events found.\n"
	"\n"
	"Output:\n"
	"  --format F            text (default), json or csv (the per-step series)\n"
	"Rules:\n"
	"  --rules PATH          extra rule pack file or directory (repeatable)\n"
	"  --no-default-rules    do not load the installed packs\n"
	"  --framework NAME      take steps from this pack only (default: detected per file)\n"
	"  --line-max BYTES      longer lines are cut and counted (default 65536)\n"
	"  --config FILE         YAML file whose `job:` mapping sets the job options below\n"
	"\n";
}

enum { O_FORMAT = 1, O_RULES, O_NO_DEFAULT, O_FRAMEWORK, O_LINE_MAX, O_CONFIG, O_HELP };

struct pending { int id; const char *arg; };

struct analyze_opts {
	const char *format;
	const char *rules[32];
	size_t nrules;
	int no_default;
	const char *framework;
	const char *config;
	double line_max;
	struct pending job[64];
	size_t njob;
};

static void print_help(void)
{
	fputs(cmd_analyze_help(), stdout);
	fputs(tm_job_help(), stdout);
	fputs("\nExit status: 0 ok, 1 invalid input (a rule pack, the config, or a log with nothing to\n"
	      "report), 2 usage, 3 a file could not be read.\n", stdout);
}

static int parse(int argc, char **argv, struct analyze_opts *o)
{
	static const struct option own[] = {
		{ "format", required_argument, NULL, O_FORMAT },
		{ "rules", required_argument, NULL, O_RULES },
		{ "no-default-rules", no_argument, NULL, O_NO_DEFAULT },
		{ "framework", required_argument, NULL, O_FRAMEWORK },
		{ "line-max", required_argument, NULL, O_LINE_MAX },
		{ "config", required_argument, NULL, O_CONFIG },
		{ "help", no_argument, NULL, O_HELP },
	};
	size_t nown = sizeof(own) / sizeof(own[0]), njob = tm_job_nlongopts();
	struct option *lo = tm_xcalloc(nown + njob + 1, sizeof(*lo));
	memcpy(lo, own, sizeof(own));
	memcpy(lo + nown, tm_job_longopts(), njob * sizeof(*lo));
	int c, rc = 0;
	optind = 1;
	while (rc == 0 && (c = getopt_long(argc, argv, "f:h", lo, NULL)) != -1) {
		switch (c) {
		case 'f':
		case O_FORMAT:
			o->format = optarg;
			if (strcmp(optarg, "text") && strcmp(optarg, "json") && strcmp(optarg, "csv")) {
				fprintf(stderr, "trainmon analyze: --format: '%s' is not text, json or csv\n", optarg);
				rc = -1;
			}
			break;
		case O_RULES:
			if (o->nrules == 32) {
				fprintf(stderr, "trainmon analyze: too many --rules (at most 32)\n");
				rc = -1;
			} else {
				o->rules[o->nrules++] = optarg;
			}
			break;
		case O_NO_DEFAULT: o->no_default = 1; break;
		case O_FRAMEWORK: o->framework = optarg; break;
		case O_CONFIG: o->config = optarg; break;
		case O_LINE_MAX:
			if (tm_parse_quantity(optarg, &o->line_max) || o->line_max < 256 || o->line_max > 64e6) {
				fprintf(stderr, "trainmon analyze: --line-max: '%s' is not a size from 256 to 64M\n", optarg);
				rc = -1;
			}
			break;
		case 'h':
		case O_HELP:
			print_help();
			rc = 1;
			break;
		case '?':
			rc = -1;
			break;
		default:
			if (c >= TM_OPT_JOB_FIRST && o->njob < 64)
				o->job[o->njob++] = (struct pending){ c, optarg };
			break;
		}
	}
	free(lo);
	return rc;
}

static int analyze_one(const char *path, const struct tm_ruleset *rs, const struct tm_job *job,
		       const struct analyze_opts *o, struct tm_json *js, int *csv_header, int *nothing)
{
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "trainmon analyze: %s: %s\n", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0)
		memset(&st, 0, sizeof(st));
	if (S_ISDIR(st.st_mode)) {
		fprintf(stderr, "trainmon analyze: %s: is a directory\n", path);
		close(fd);
		return -1;
	}
	struct tm_feed *f = tm_xcalloc(1, sizeof(*f));
	tm_feed_init(f, path, rs, (size_t)o->line_max);
	if (o->framework)
		tm_run_force_framework(&f->run, o->framework);
	/* a large regular file is read in two halves on two threads, with the same result */
	int rc = fd != 0 && S_ISREG(st.st_mode) ? tm_feed_file_split(f, fd, path, (uint64_t)st.st_size)
						: tm_feed_fd_to_eof(f, fd);
	if (fd != 0)
		close(fd);
	if (rc < 0) {
		fprintf(stderr, "trainmon analyze: %s: read error: %s\n", path, strerror(-rc));
		tm_feed_release(f);
		free(f);
		return -1;
	}
	tm_run_name_hints(&f->run, path);
	if (getenv("TRAINMON_DEBUG_STATS"))
		fprintf(stderr, "%s: %llu records, %llu holding a rule literal, %llu regex runs\n", path,
			(unsigned long long)f->m.records, (unsigned long long)f->m.literal_records,
			(unsigned long long)f->m.regex_runs);
	struct tm_summary s;
	tm_summarize(&f->run, job, &s);
	if (f->lines.truncated)
		fprintf(stderr, "trainmon analyze: %s: %llu lines longer than %zu bytes were cut (--line-max)\n",
			path, (unsigned long long)f->lines.truncated, f->lines.line_max);
	if (f->m.regex_aborted)
		fprintf(stderr, "trainmon analyze: %s: %llu regex runs hit a PCRE2 limit and count as no match\n",
			path, (unsigned long long)f->m.regex_aborted);
	if (f->run.nsteps == 0 && f->run.nevents == 0) {
		fprintf(stderr, "trainmon analyze: %s: no step records or events found (%llu lines; framework %s)\n",
			path, (unsigned long long)f->lines.lines, s.framework ? s.framework : "not detected");
		*nothing = 1;
	}
	if (!o->format || strcmp(o->format, "text") == 0)
		tm_report_text(stdout, &s, &f->run);
	else if (strcmp(o->format, "json") == 0)
		tm_report_json_run(js, NULL, &s, &f->run);
	else {
		tm_report_csv(stdout, &s, &f->run, *csv_header);
		*csv_header = 0;
	}
	tm_feed_release(f);
	free(f);
	return 0;
}

int cmd_analyze(int argc, char **argv)
{
	struct analyze_opts o = { .line_max = TM_LINE_MAX_DEFAULT };
	int rc = parse(argc, argv, &o);
	if (rc)
		return rc > 0 ? TM_EXIT_OK : TM_EXIT_USAGE;
	if (optind >= argc) {
		fprintf(stderr, "trainmon analyze: no log files given (see trainmon help analyze)\n");
		return TM_EXIT_USAGE;
	}
	struct tm_job job;
	struct tm_diag d;
	tm_job_init(&job);
	tm_diag_init(&d);
	int status = TM_EXIT_OK;
	if (o.config) {
		int crc = tm_job_config_load(&job, o.config, &d);
		if (crc)
			status = crc < 0 ? TM_EXIT_SYSTEM : TM_EXIT_INPUT;
	}
	for (size_t i = 0; i < o.njob && status == TM_EXIT_OK; i++) {
		char err[256];
		if (tm_job_option(&job, o.job[i].id, o.job[i].arg, TM_SRC_FLAG, err, sizeof(err))) {
			fprintf(stderr, "trainmon analyze: %s\n", err);
			tm_diag_release(&d);
			return TM_EXIT_USAGE;
		}
	}
	struct tm_ruleset rs;
	tm_ruleset_init(&rs);
	char buf[4096];
	int sys = 0;
	if (status == TM_EXIT_OK && !o.no_default) {
		int lrc = tm_ruleset_load(&rs, tm_default_patterns_dir(buf, sizeof(buf)), &d);
		sys |= lrc < 0;
	}
	for (size_t i = 0; status == TM_EXIT_OK && i < o.nrules; i++)
		sys |= tm_ruleset_load(&rs, o.rules[i], &d) < 0;
	if (status == TM_EXIT_OK && (d.errors || sys))
		status = sys ? TM_EXIT_SYSTEM : TM_EXIT_INPUT;
	if (status == TM_EXIT_OK && o.framework && !tm_pack_find(&rs, o.framework)) {
		fprintf(stderr, "trainmon analyze: --framework: no loaded pack is named '%s' (trainmon rules list)\n",
			o.framework);
		status = TM_EXIT_USAGE;
	}
	tm_diag_print(&d, stderr);
	if (status != TM_EXIT_OK) {
		tm_diag_release(&d);
		tm_ruleset_release(&rs);
		return status;
	}
	tm_ruleset_finish(&rs, &d);

	struct tm_json js;
	int json = o.format && strcmp(o.format, "json") == 0;
	tm_json_init(&js, stdout, 1);
	if (json) {
		tm_json_obj(&js, NULL);
		tm_json_str(&js, "trainmon_version", TM_VERSION);
		tm_json_arr(&js, "runs");
	}
	int csv_header = 1, failed = 0, nothing = 0;
	for (int i = optind; i < argc; i++) {
		if (!json && (!o.format || strcmp(o.format, "text") == 0) && i > optind)
			putchar('\n');
		if (analyze_one(argv[i], &rs, &job, &o, &js, &csv_header, &nothing))
			failed = 1;
	}
	if (json) {
		tm_json_end(&js, ']');
		tm_json_end(&js, '}');
		putchar('\n');
	}
	tm_diag_release(&d);
	tm_ruleset_release(&rs);
	return failed ? TM_EXIT_SYSTEM : nothing ? TM_EXIT_INPUT : TM_EXIT_OK;
}

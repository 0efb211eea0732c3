/* cmd_compare.c: `trainmon compare A B`: two runs side by side.
 *
 * Both files go through analysis.h, the path analyze takes, under the same job options (flags and
 * --config apply to both sides), on two threads; compare.h turns the two analyses into the
 * differences, compare_report.c renders them as text or JSON, compare_html.c as a page. The exit
 * status is analyze's: 3 when a file cannot be read, 1 when one has nothing to report.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/analysis.h"
#include "trainmon/cmd.h"
#include "trainmon/compare.h"
#include "trainmon/pool.h"
#include "trainmon/report.h"
#include "banned.h"

enum { FORMAT_TEXT, FORMAT_JSON, FORMAT_HTML };

struct compare_opts {
	int format;                  /* FORMAT_* */
	struct tm_boot_cfg boot;
};

static const char *const formats[] = { "text", "json", "html", NULL };

static int set_seed(void *base, const struct tm_opt *o, const char *arg, enum tm_src_kind src, char *err,
		    size_t errlen)
{
	(void)src;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(arg, &end, 0);
	if (errno || end == arg || *end || arg[0] == '-' || v > (1ull << 53)) {
		/* 2^53 at most: JSON numbers (doubles) then carry the seed exactly */
		snprintf(err, errlen, "--%s: '%s' is not an integer from 0 to 2^53", o->name, arg);
		return -1;
	}
	((struct compare_opts *)base)->boot.seed = (uint64_t)v;
	return 0;
}

#define C(field) offsetof(struct compare_opts, field)
static const struct tm_opt compare_rows[] = {
	{ .kind = TM_OPT_HEADING, .help = "Output:" },
	{ .kind = TM_OPT_CHOICE, .name = "format", .arg = "F", .off = C(format), .choices = formats, .shortc = 'f',
	  .help = "text (default), json, or html (one self-contained page: the text\nand A and B overlaid on SVG charts)" },
	{ .kind = TM_OPT_HEADING, .help = "Step-time interval:" },
	{ .kind = TM_OPT_UINT, .name = "resamples", .arg = "N", .off = C(boot.resamples), .min = 100, .max = 1e6,
	  .help = "bootstrap replications (default 10000)" },
	{ .kind = TM_OPT_CUSTOM, .name = "seed", .arg = "N", .set = set_seed,
	  .help = "the bootstrap's random seed, 0 to 2^53 (default 20260101): the same\nseed gives the same interval" },
	{ .kind = TM_OPT_NUM, .name = "confidence", .arg = "LEVEL", .off = C(boot.level), .min = 0.5, .max = 1,
	  .flags = TM_OPTF_BELOW_MAX, .expect = "a level from 0.5 to below 1 (e.g. 0.95)",
	  .help = "two-sided confidence level of the interval (default 0.95)" },
};
#undef C

enum { NGROUPS = TM_ANALYSIS_NGROUPS };

static void spec_init(struct tm_cmd_spec *spec, struct tm_opt_group *groups)
{
	groups[0] = (struct tm_opt_group){ compare_rows, sizeof(compare_rows) / sizeof(compare_rows[0]), NULL };
	tm_analysis_groups(groups);
	*spec = (struct tm_cmd_spec){
		.name = "compare",
		.usage = "usage: trainmon compare [OPTIONS] A B\n"
			 "Compare two training logs: the difference of median step times with a bootstrap\n"
			 "confidence interval, tokens/s, MFU, the loss at equal tokens consumed, the job values\n"
			 "that differ, and the events. The job options apply to both runs.\n",
		.groups = groups,
		.ngroups = NGROUPS,
		.epilog = "Exit status: 0 ok, 1 invalid input (a rule pack, the config, or a log with nothing to\n"
			  "report), 2 usage, 3 a file could not be read.\n",
	};
}

struct compare_ctx {
	struct tm_analysis_cfg cfg;
	char **paths;                /* borrowed from argv: A and B */
	struct tm_analysis res[2];
	char *msgs[2];               /* owned: what each file has to say on stderr */
	size_t msglen[2];
};

static void work(void *ctx, size_t i)
{
	struct compare_ctx *cx = ctx;
	FILE *err = open_memstream(&cx->msgs[i], &cx->msglen[i]);
	if (!err)
		abort();      /* only when malloc fails */
	tm_analysis_file(&cx->res[i], &cx->cfg, cx->paths[i], err);
	fclose(err);
}

static void done(void *ctx, size_t i)
{
	struct compare_ctx *cx = ctx;
	fwrite(cx->msgs[i], 1, cx->msglen[i], stderr);
}

static int compare_files(struct compare_ctx *cx, const struct compare_opts *o)
{
	tm_pool_run(2, tm_pool_threads(2), 2, work, done, cx);
	struct tm_analysis *a = &cx->res[0], *b = &cx->res[1];
	if (a->failed || b->failed)
		return TM_EXIT_SYSTEM;
	if (a->nothing || b->nothing)
		return TM_EXIT_INPUT;
	struct tm_comparison c;
	tm_compare(&c, a, b, &o->boot);
	if (o->format == FORMAT_TEXT) {
		tm_compare_text(stdout, &c);
	} else if (o->format == FORMAT_HTML) {
		tm_compare_html(stdout, &c);
	} else {
		struct tm_json js;
		tm_json_init(&js, stdout, 1);
		tm_json_obj(&js, NULL);
		tm_json_str(&js, "trainmon_version", TM_VERSION);
		tm_compare_json(&js, &c);
		tm_json_obj(&js, "a");
		tm_report_json_fields(&js, &a->s, &a->f->run);
		tm_report_json_anomalies(&js, &a->an, a->s.basis_level);
		tm_json_end(&js, '}');
		tm_json_obj(&js, "b");
		tm_report_json_fields(&js, &b->s, &b->f->run);
		tm_report_json_anomalies(&js, &b->an, b->s.basis_level);
		tm_json_end(&js, '}');
		tm_json_end(&js, '}');
		putchar('\n');
	}
	tm_comparison_release(&c);
	return TM_EXIT_OK;
}

int cmd_compare(int argc, char **argv)
{
	struct tm_opt_group groups[NGROUPS];
	struct tm_cmd_spec spec;
	spec_init(&spec, groups);
	struct tm_cli cli;
	int rc = tm_cmd_parse(&cli, &spec, argc, argv);
	if (rc >= 0) {
		tm_cli_release(&cli);
		return rc;
	}
	if (cli.nargs != 2) {
		fprintf(stderr, "trainmon compare: needs two log files, A and B, not %zu (see trainmon help compare)\n",
			cli.nargs);
		tm_cli_release(&cli);
		return TM_EXIT_USAGE;
	}
	if (strcmp(cli.args[0], "-") == 0 && strcmp(cli.args[1], "-") == 0) {
		fprintf(stderr, "trainmon compare: A and B cannot both be standard input\n");
		tm_cli_release(&cli);
		return TM_EXIT_USAGE;
	}
	struct compare_opts o = { .format = FORMAT_TEXT,
				  .boot = { .resamples = TM_BOOT_RESAMPLES, .seed = TM_BOOT_SEED, .level = 0.95 } };
	struct tm_analysis_env env;
	int status = tm_analysis_env_setup(&env, &cli, &o, "compare", stderr);
	if (status == TM_EXIT_OK) {
		struct compare_ctx cx = {
			.cfg = { .cmd = "compare", .rs = &env.rs, .job = &env.job, .in = &env.in,
				 .anomalies = &env.anomalies },
			.paths = cli.args };
		status = compare_files(&cx, &o);
		for (int i = 0; i < 2; i++) {
			tm_analysis_release(&cx.res[i]);
			free(cx.msgs[i]);
		}
	}
	tm_analysis_env_release(&env);
	tm_cli_release(&cli);
	return status;
}

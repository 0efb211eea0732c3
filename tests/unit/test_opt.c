/* test_opt.c: the option driver (opt.c, opt_config.c, opt_help.c) on a small command of its own:
 * parsing records without applying, precedence (defaults < config < flags, in argv order),
 * aliases as flags and config keys, lists that flags replace, bounds and choices with the
 * messages users see, "did you mean" for flags and config keys, --help, and the job rows. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tm_test.h"
#include "trainmon/job.h"
#include "trainmon/opt.h"

struct demo {
	int verbose;
	const char *name;
	struct tm_strv globs;
	double ratio;
	size_t size;
	unsigned count;
	int mode;
	const char *config;
};

static const char *const modes[] = { "fast", "slow", "exact", NULL };

#define D(f) offsetof(struct demo, f)
static const struct tm_opt demo_rows[] = {
	{ .kind = TM_OPT_HEADING, .help = "Demo:" },
	{ .kind = TM_OPT_BOOL, .name = "verbose", .shortc = 'v', .off = D(verbose), .help = "talk" },
	{ .kind = TM_OPT_STR, .name = "name", .arg = "S", .off = D(name), .help = "a name", .aliases = "run-name" },
	{ .kind = TM_OPT_LIST, .name = "glob", .arg = "P", .off = D(globs), .help = "patterns" },
	{ .kind = TM_OPT_NUM, .name = "ratio", .arg = "X", .off = D(ratio), .max = 1,
	  .flags = TM_OPTF_ABOVE_MIN | TM_OPTF_BELOW_MAX, .expect = "a fraction between 0 and 1", .help = "r" },
	{ .kind = TM_OPT_SIZE, .name = "size", .arg = "B", .off = D(size), .min = 256, .max = 1e6, .help = "s" },
	{ .kind = TM_OPT_UINT, .name = "count", .arg = "N", .off = D(count), .min = 1, .max = HUGE_VAL,
	  .section = "other", .help = "c" },
	{ .kind = TM_OPT_CHOICE, .name = "mode", .arg = "M", .off = D(mode), .choices = modes, .help = "m" },
	{ .kind = TM_OPT_BOOL, .name = "flag-only", .off = D(verbose), .flags = TM_OPTF_NO_CONFIG, .help = "f" },
	{ .kind = TM_OPT_CONFIG, .name = "config", .arg = "FILE", .off = D(config), .help = "config" },
	{ .kind = TM_OPT_HELP, .name = "help", .shortc = 'h', .help = "help" },
};

static struct tm_opt_group groups[2];
static struct tm_cmd_spec spec;

static void spec_setup(void)
{
	groups[0] = (struct tm_opt_group){ demo_rows, sizeof(demo_rows) / sizeof(demo_rows[0]), "demo" };
	groups[1] = (struct tm_opt_group){ NULL, 0, "job" };
	groups[1].opts = tm_job_opts(&groups[1].nopts);
	spec = (struct tm_cmd_spec){ .name = "demo", .usage = "usage: demo\n", .groups = groups, .ngroups = 2,
				     .epilog = "Exit status: 0\n" };
}

/* A modifiable argv made from string literals (getopt wants char **). */
struct args {
	char buf[4096];
	char *v[32];
};

static char **mkargv(struct args *a, const char *const *src)
{
	size_t off = 0, i = 0;
	for (; src[i]; i++) {
		size_t n = strlen(src[i]) + 1;
		memcpy(a->buf + off, src[i], n);
		a->v[i] = a->buf + off;
		off += n;
	}
	a->v[i] = NULL;
	return a->v;
}

/* Parses and applies argv (NULL-terminated, argv[0] = "demo"); returns tm_cli_apply's result or
 * the parse result + 100 when parsing stopped. */
static int run(struct tm_cli *cli, char **argv, struct demo *o, struct tm_job *j, struct tm_diag *d,
	       char *err, size_t n)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	memset(o, 0, sizeof(*o));
	o->ratio = 0.5;
	tm_job_init(j);
	int rc = tm_cli_parse(cli, &spec, argc, argv, err, n);
	if (rc)
		return 100 + rc;
	void *const dst[2] = { o, j };
	return tm_cli_apply(cli, dst, NULL, d, err, n);
}

static char *write_config(const char *text)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/test_opt.%d.yaml", (int)getpid());
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	spec_setup();
	struct tm_cli cli;
	struct demo o;
	struct tm_job j;
	struct tm_diag d;
	char err[320];
	struct args A;
	tm_diag_init(&d);

	/* flags of every kind, operands kept in order around them */
	{
		const char *const argv_[] = { "demo", "a.out", "-v", "--name", "x", "--glob", "*.log", "--glob=*.out", "--ratio", "0.25",
				 "--size", "4k", "--mode", "exact", "b.out", "--gpus", "64", NULL };
		TM_CHECK(&st, run(&cli, mkargv(&A, argv_), &o, &j, &d, err, sizeof(err)) == 0);
		TM_CHECK(&st, o.verbose == 1);
		TM_STREQ(&st, o.name, "x");
		TM_CHECK(&st, o.globs.n == 2);
		TM_STREQ(&st, o.globs.n == 2 ? o.globs.v[1] : "", "*.out");
		TM_NEAR(&st, o.ratio, 0.25, 0);
		TM_CHECK(&st, o.size == 4000);
		TM_CHECK(&st, o.mode == 2);
		TM_NEAR(&st, j.params[TM_P_GPUS], 64, 0);
		TM_CHECK(&st, j.src[TM_P_GPUS] == TM_SRC_FLAG);
		TM_CHECK(&st, cli.nargs == 2);
		TM_STREQ(&st, cli.nargs == 2 ? cli.args[1] : "", "b.out");
		TM_CHECK(&st, tm_cli_given(&cli, "glob") && !tm_cli_given(&cli, "count"));
		tm_strv_release(&o.globs);
		tm_cli_release(&cli);
	}
	/* aliases, the frameworks' spellings included */
	{
		const char *const argv_[] = { "demo", "--run-name", "y", "--global-batch-size", "512", "--seq-length", "4096",
				 "--num-layers", "32", NULL };
		TM_CHECK(&st, run(&cli, mkargv(&A, argv_), &o, &j, &d, err, sizeof(err)) == 0);
		TM_STREQ(&st, o.name, "y");
		TM_NEAR(&st, j.params[TM_P_GLOBAL_BATCH], 512, 0);
		TM_NEAR(&st, j.params[TM_P_SEQ_LEN], 4096, 0);
		TM_NEAR(&st, j.params[TM_P_LAYERS], 32, 0);
		tm_cli_release(&cli);
	}
	/* errors: bounds, choices, unknown flags with and without a hint, a missing value */
	{
		const char *const a1_[] = { "demo", "--ratio", "1", NULL };
		TM_CHECK(&st, run(&cli, mkargv(&A, a1_), &o, &j, &d, err, sizeof(err)) == -EINVAL);
		TM_STREQ(&st, err, "--ratio: '1' is not a fraction between 0 and 1");
		tm_cli_release(&cli);
		const char *const a2_[] = { "demo", "--size", "12", NULL };
		TM_CHECK(&st, run(&cli, mkargv(&A, a2_), &o, &j, &d, err, sizeof(err)) == -EINVAL);
		TM_STREQ(&st, err, "--size: '12' is not a number from 256 to 1e+06");
		tm_cli_release(&cli);
		const char *const a3_[] = { "demo", "--mode", "quick", NULL };
		TM_CHECK(&st, run(&cli, mkargv(&A, a3_), &o, &j, &d, err, sizeof(err)) == -EINVAL);
		TM_STREQ(&st, err, "--mode: 'quick' is not fast, slow or exact");
		tm_cli_release(&cli);
		const char *const a4_[] = { "demo", "--verbsoe", NULL };
		TM_CHECK(&st, run(&cli, mkargv(&A, a4_), &o, &j, &d, err, sizeof(err)) == 99);
		TM_STREQ(&st, err, "unknown option '--verbsoe' (did you mean '--verbose'?)");
		tm_cli_release(&cli);
		const char *const a5_[] = { "demo", "--zzz=3", NULL };
		TM_CHECK(&st, run(&cli, mkargv(&A, a5_), &o, &j, &d, err, sizeof(err)) == 99);
		TM_STREQ(&st, err, "unknown option '--zzz'");
		tm_cli_release(&cli);
		const char *const a6_[] = { "demo", "--name", NULL };
		TM_CHECK(&st, run(&cli, mkargv(&A, a6_), &o, &j, &d, err, sizeof(err)) == 99);
		TM_STREQ(&st, err, "option '--name' needs a value");
		tm_cli_release(&cli);
		const char *const a7_[] = { "demo", "--gpus", "12x", NULL };
		TM_CHECK(&st, run(&cli, mkargv(&A, a7_), &o, &j, &d, err, sizeof(err)) == -EINVAL);
		TM_STREQ(&st, err, "--gpus: '12x' is not a positive number");
		tm_cli_release(&cli);
		const char *const a8_[] = { "demo", "x", "-h", NULL };
		TM_CHECK(&st, run(&cli, mkargv(&A, a8_), &o, &j, &d, err, sizeof(err)) == 101);
		TM_CHECK(&st, cli.help_wanted);
		tm_cli_release(&cli);
	}
	/* config under flags: the flag wins whatever the order; a flag list replaces the config's;
	 * a row's own section; aliases as config keys; config strings outlive the file */
	{
		char *path = write_config("demo:\n  name: from-config\n  glob: ['a', 'b']\n  ratio: 0.75\n"
					  "  run_name: alias-wins-later\n  verbose: true\n"
					  "other:\n  count: 7\njob:\n  global_batch_size: 256\n  gpus: 8\n"
					  "watch:\n  anything: 1\n");
		const char *const argv_[] = { "demo", "--gpus", "16", "--config", path, "--glob", "c", NULL };
		int rc = run(&cli, mkargv(&A, argv_), &o, &j, &d, err, sizeof(err));
		TM_CHECK(&st, rc == 0);
		TM_CHECK(&st, d.errors == 0);
		TM_STREQ(&st, o.name, "alias-wins-later");
		TM_CHECK(&st, o.globs.n == 1);
		TM_STREQ(&st, o.globs.n ? o.globs.v[0] : "", "c");
		TM_NEAR(&st, o.ratio, 0.75, 0);
		TM_CHECK(&st, o.verbose == 1);
		TM_CHECK(&st, o.count == 7);
		TM_NEAR(&st, j.params[TM_P_GPUS], 16, 0);
		TM_CHECK(&st, j.src[TM_P_GPUS] == TM_SRC_FLAG);
		TM_NEAR(&st, j.params[TM_P_GLOBAL_BATCH], 256, 0);
		TM_CHECK(&st, j.src[TM_P_GLOBAL_BATCH] == TM_SRC_CONFIG);
		/* the same cli again into fresh structs (a reload) gives the same result */
		struct demo o2 = { .ratio = 0.5 };
		struct tm_job j2;
		tm_job_init(&j2);
		void *const dst[2] = { &o2, &j2 };
		TM_CHECK(&st, tm_cli_apply(&cli, dst, NULL, &d, err, sizeof(err)) == 0);
		TM_STREQ(&st, o2.name, "alias-wins-later");
		TM_NEAR(&st, j2.params[TM_P_GPUS], 16, 0);
		tm_strv_release(&o.globs);
		tm_strv_release(&o2.globs);
		tm_cli_release(&cli);
		unlink(path);
	}
	/* config errors: each one located, all of them reported, flags not applied */
	{
		char *path = write_config("demo:\n  ratio: 2\n  verbsoe: true\n  flag_only: true\n  name: [1]\n"
					  "  verbose: maybe\nother:\n  count: 0\njbo:\n  gpus: 1\n");
		const char *const argv_[] = { "demo", "--config", path, "--name", "flag", NULL };
		tm_diag_clear(&d);
		TM_CHECK(&st, run(&cli, mkargv(&A, argv_), &o, &j, &d, err, sizeof(err)) == 7);
		TM_CHECK(&st, d.errors == 7);
		const char *want[] = {
			"demo: ratio: '2' is not a fraction between 0 and 1",
			"demo: unknown key 'verbsoe' (did you mean 'verbose'?)",
			"demo: unknown key 'flag_only' (expected verbose, name, glob, ratio, size or mode)",
			"demo: 'name' must be a scalar, not a list",
			"demo: 'verbose' must be true or false",
			"other: count: '0' is not a number >= 1",
			"unknown top-level key 'jbo' (did you mean 'job'?)",
		};
		for (size_t i = 0; i < 7 && i < d.n; i++)
			TM_STREQ(&st, d.v[i].msg, want[i]);
		TM_CHECK(&st, d.n == 7 && d.v[0].line == 2 && d.v[0].col == 10);
		TM_CHECK(&st, o.name == NULL);
		tm_cli_release(&cli);
		unlink(path);
	}
	/* a config that cannot be read: -errno, and the diagnostic names it */
	{
		const char *const argv_[] = { "demo", "--config", "/nonexistent/x.yaml", NULL };
		tm_diag_clear(&d);
		TM_CHECK(&st, run(&cli, mkargv(&A, argv_), &o, &j, &d, err, sizeof(err)) == -ENOENT);
		TM_CHECK(&st, d.n == 1 && strstr(d.v[0].msg, "cannot read config") != NULL);
		tm_cli_release(&cli);
	}
	/* help: headings, every visible row, aliases, the epilog */
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		tm_cmd_help(&spec, f);
		fclose(f);
		TM_CHECK(&st, strstr(buf, "usage: demo\n\nDemo:\n  -v, --verbose         talk\n") != NULL);
		TM_CHECK(&st, strstr(buf, "  --name S              a name\n                        also --run-name\n") != NULL);
		TM_CHECK(&st, strstr(buf, "  --global-batch N      sequences per optimizer step\n") != NULL);
		TM_CHECK(&st, strstr(buf, "\nExit status: 0\n") != NULL);
		free(buf);
	}
	tm_diag_release(&d);
	return tm_test_done(&st, "test_opt");
}

/* cmd_rules.c: `trainmon rules check|list|test`: the rule author's tools.
 *
 * `check` loads packs with the same loader `analyze` and `watch` use and prints every diagnostic
 * in compiler form; `test` shows what each rule of a pack extracts from a log, record by record;
 * `list` shows packs, rules and the event vocabulary.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pcre2.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trainmon/cmd.h"
#include "trainmon/engine.h"
#include "trainmon/opt.h"
#include "trainmon/rules.h"
#include "trainmon/timefmt.h"
#include "trainmon/xalloc.h"
#include "banned.h"

struct rules_opts {
	struct tm_strv pathv;       /* --rules, borrowed from argv */
	const char **paths;         /* = pathv.v */
	size_t npaths;
	int no_default;
};

static const struct tm_opt rules_rows[] = {
	{ .kind = TM_OPT_LIST, .name = "rules", .arg = "PATH", .shortc = 'r', .off = offsetof(struct rules_opts, pathv),
	  .help = "a pack file or a directory of .yaml packs (repeatable)" },
	{ .kind = TM_OPT_BOOL, .name = "no-default-rules", .off = offsetof(struct rules_opts, no_default),
	  .help = "do not load the installed packs" },
	{ .kind = TM_OPT_HELP, .name = "help", .shortc = 'h', .help = "this text" },
};

static const struct tm_opt_group rules_group = { rules_rows, sizeof(rules_rows) / sizeof(rules_rows[0]), NULL };

static const struct tm_cmd_spec rules_spec = {
	.name = "rules",
	.usage = "usage: trainmon rules check [--rules PATH]... [FILE...]\n"
		 "       trainmon rules list [--rules PATH]...\n"
		 "       trainmon rules test PACK.yaml LOG\n"
		 "\n"
		 "  check   load packs (default: the installed patterns directory and every --rules PATH) and\n"
		 "          report every error as FILE:LINE:COL: error: ..., each rule's samples included\n"
		 "  list    packs, their rules (record kind, prefilter literal) and the event kinds\n"
		 "  test    run one pack over a log and print, per matching line, the rule and what it yields\n"
		 "          (and the prefix stripped in front of it: time, rank, level, stream)\n",
	.groups = &rules_group,
	.ngroups = 1,
	.epilog = "Exit status: 0 all packs valid / the test matched something, 1 errors, 2 usage, 3 I/O.\n",
	.getopt_flags = "+",
};

/* Loads the default packs (unless disabled), the --rules paths and extra paths, then builds the
 * prefilter when all loaded cleanly; returns -1 on a system error, else the number of errors. */
static int load_all(struct tm_ruleset *rs, const struct rules_opts *o, char **extra, int nextra,
		    int use_default, struct tm_diag *d)
{
	const char **paths = tm_xcalloc(o->npaths + (size_t)nextra + 1, sizeof(*paths));
	size_t n = 0;
	for (size_t i = 0; i < o->npaths; i++)
		paths[n++] = o->paths[i];
	for (int i = 0; i < nextra; i++)
		paths[n++] = extra[i];
	int rc = tm_ruleset_load_all(rs, paths, n, !use_default || o->no_default, d);
	free(paths);
	if (rc == 0)
		tm_ruleset_finish(rs, d);
	return rc < 0 ? -1 : rc;
}

static int rules_check(int argc, char **argv, const struct rules_opts *o)
{
	struct tm_ruleset rs;
	struct tm_diag d;
	tm_ruleset_init(&rs);
	tm_diag_init(&d);
	int rc = load_all(&rs, o, argv, argc, argc == 0, &d);
	tm_diag_print(&d, stderr);
	size_t nrules = 0;
	for (size_t i = 0; i < rs.nrules; i++)
		nrules += rs.rules[i].rec != TM_REC_DETECT;
	int status;
	if (rc < 0) {
		status = TM_EXIT_SYSTEM;
	} else if (d.errors) {
		fprintf(stderr, "%zu error%s\n", d.errors, d.errors == 1 ? "" : "s");
		status = TM_EXIT_INPUT;
	} else {
		printf("ok: %zu packs, %zu rules, samples checked%s\n", rs.npacks, nrules,
		       rs.jit ? ", JIT on" : ", JIT unavailable (interpreted)");
		status = TM_EXIT_OK;
	}
	tm_diag_release(&d);
	tm_ruleset_release(&rs);
	return status;
}

static const char *rec_name(enum tm_rec r)
{
	return r == TM_REC_STEP ? "step" : r == TM_REC_PARAM ? "param" : r == TM_REC_EVENT ? "event" :
	       r == TM_REC_PHASE ? "phase" : r == TM_REC_RANK ? "rank" : "detect";
}

static int rules_list(const struct rules_opts *o)
{
	struct tm_ruleset rs;
	struct tm_diag d;
	tm_ruleset_init(&rs);
	tm_diag_init(&d);
	int rc = load_all(&rs, o, NULL, 0, 1, &d);
	tm_diag_print(&d, stderr);
	for (size_t p = 0; p < rs.npacks; p++) {
		const struct tm_pack *pk = &rs.packs[p];
		printf("%s%s  (%s)\n", pk->name, pk->generic ? " [generic]" : "", pk->file);
		if (pk->description)
			printf("  %s\n", pk->description);
		for (size_t i = 0; i < rs.nrules; i++) {
			const struct tm_rule *r = &rs.rules[i];
			if (r->pack != p)
				continue;
			printf("  %-28s %-6s", r->name, rec_name(r->rec));
			if (r->rec == TM_REC_EVENT)
				printf(" %s/%s", tm_event_kind_name(r->kind), tm_ev_severity_name(r->severity));
			if (r->rec == TM_REC_PHASE)
				printf(" %s", tm_phase_kind_name(r->phase));
			for (size_t k = 0; k < r->nlits; k++)
				printf("%s'%s'", k ? " | " : "  literal ", r->lits[k]);
			if (!r->nlits)
				printf("  (no literal: runs on every line)");
			putchar('\n');
		}
	}
	printf("event kinds:");
	for (int k = 0; k < TM_EV_N; k++)
		printf(" %s", tm_event_kind_name(k));
	putchar('\n');
	int status = rc < 0 ? TM_EXIT_SYSTEM : d.errors ? TM_EXIT_INPUT : TM_EXIT_OK;
	tm_diag_release(&d);
	tm_ruleset_release(&rs);
	return status;
}

struct test_ctx {
	struct tm_matcher m;
	const struct tm_ruleset *rs;   /* borrowed */
	const struct tm_record *rec;   /* borrowed: the record being matched */
	int shown;                     /* its prefix line is printed */
	uint64_t hits;
};

/* "N: prefix '...' -> 2025-01-02T03:04:05Z, rank 3, level I, stdout": what the line's prefixes
 * said, printed once before a stripped record's first hit. */
static void show_prefix(const struct tm_record *rec)
{
	printf("%llu: prefix '%.*s%.*s' ->", (unsigned long long)rec->line, (int)rec->cpre_len, rec->cpre,
	       (int)rec->pre_len, rec->pre);
	const char *sep = " ";
	if (!isnan(rec->ts)) {
		char iso[40];
		tm_time_iso(iso, sizeof(iso), rec->ts);
		printf(" %s", iso);
		sep = ", ";
	}
	if (rec->rank >= 0)
		printf("%srank %d", sep, rec->rank), sep = ", ";
	if (rec->level)
		printf("%slevel %c", sep, rec->level), sep = ", ";
	if (rec->stream)
		printf("%s%s", sep, rec->stream == 'o' ? "stdout" : "stderr"), sep = ", ";
	if (*sep == ' ')
		printf(" nothing");
	putchar('\n');
}

/* The unit a step field's group name carried, as rules test shows it: "step_time=410 ms". */
static const char *unit_of(const struct tm_capture *c)
{
	if (c->kind != TM_CAP_FIELD)
		return "";
	switch (c->target) {
	case TM_F_STEP_TIME: return c->pow10 == 3 ? " ms" : c->pow10 == 6 ? " us" : " s";
	case TM_F_MFU: return c->pow10 == 2 ? " %" : "";
	case TM_F_BAR_S_PER_IT: return " s/it";
	case TM_F_BAR_IT_PER_S: return " it/s";
	case TM_F_RUN_RUNTIME: return " s (run-level, not a step)";
	case TM_F_RUN_STEPS_PER_S: return " steps/s (run-level, not a step)";
	default: return "";
	}
}

static int test_hit(void *vctx, const struct tm_hit *h)
{
	struct test_ctx *t = vctx;
	const struct tm_rule *r = h->rule;
	t->hits++;
	if (!t->shown && (t->rec->pre_len || t->rec->cpre_len))
		show_prefix(t->rec);
	t->shown = 1;
	printf("%llu: %s (%s)", (unsigned long long)t->rec->line, r->name, rec_name(r->rec));
	if (r->rec == TM_REC_EVENT)
		printf(" %s", tm_event_kind_name(r->kind));
	if (r->rec == TM_REC_PHASE)
		printf(" %s", tm_phase_kind_name(r->phase));
	for (size_t i = 0; i < r->ncaps; i++) {
		const char *p;
		size_t n;
		if (!tm_hit_group(h, r->caps[i].group, &p, &n))
			continue;
		const struct tm_capture *c = &r->caps[i];
		const char *name = c->kind == TM_CAP_FIELD ? tm_field_name(c->target) :
				   c->kind == TM_CAP_PARAM ? tm_param_name(c->target) :
				   c->kind == TM_CAP_MSG ? "msg" : c->kind == TM_CAP_KEY ? "key" :
				   c->kind == TM_CAP_HOST ? "host" : c->kind == TM_CAP_RANK ? "rank" :
				   c->kind == TM_CAP_CODE ? "code" : c->kind == TM_CAP_TS ? "ts" : "value";
		printf(" %s=%.*s%s", name, (int)(n > 80 ? 80 : n), p, unit_of(c));
	}
	for (size_t i = 0; i < r->nfields; i++) {
		const char *p;
		size_t n;
		const struct tm_capture *c = &r->fields[i].cap;
		if (tm_match_sub(&t->m, &r->fields[i], h->subj, h->len, &p, &n))
			printf(" %s=%.*s%s", c->kind == TM_CAP_FIELD ? tm_field_name(c->target) : tm_param_name(c->target),
			       (int)(n > 80 ? 80 : n), p, unit_of(c));
	}
	const struct tm_pack *pk = &t->rs->packs[r->pack];
	struct tm_civil cv;
	const char *p;
	size_t n;
	if (r->rec == TM_REC_STEP && pk->ts && tm_match_sub(&t->m, pk->ts, h->subj, h->len, &p, &n))
		printf(" timestamp=%.*s%s", (int)n, p, tm_time_parse_any(p, n, &cv) && cv.year ? "" : " (not a time with a year: unused)");
	putchar('\n');
	return 0;
}

static int test_record(void *vctx, const struct tm_record *rec)
{
	struct test_ctx *t = vctx;
	t->rec = rec;
	t->shown = 0;
	return tm_match_record(&t->m, rec->p, rec->len, test_hit, t);
}

static int rules_test(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: trainmon rules test PACK.yaml LOG\n");
		return TM_EXIT_USAGE;
	}
	struct tm_ruleset rs;
	struct tm_diag d;
	tm_ruleset_init(&rs);
	tm_diag_init(&d);
	int rc = tm_ruleset_load_all(&rs, (const char *const *)argv, 1, 1, &d);
	if (rc == 0)
		tm_ruleset_finish(&rs, &d);
	tm_diag_print(&d, stderr);
	if (rc != 0) {
		tm_diag_release(&d);
		tm_ruleset_release(&rs);
		return rc < 0 ? TM_EXIT_SYSTEM : TM_EXIT_INPUT;
	}
	int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "trainmon rules test: %s: %s\n", argv[1], strerror(errno));
		tm_diag_release(&d);
		tm_ruleset_release(&rs);
		return TM_EXIT_SYSTEM;
	}
	struct test_ctx t = { .rs = &rs };
	struct tm_lines l;
	tm_matcher_init(&t.m, &rs);
	tm_lines_init(&l, 0);
	int status = TM_EXIT_OK;
	for (;;) {
		ssize_t n = tm_lines_read(&l, fd);
		if (n < 0) {
			fprintf(stderr, "trainmon rules test: %s: %s\n", argv[1], strerror((int)-n));
			status = TM_EXIT_SYSTEM;
			break;
		}
		if (n == 0)
			break;
		tm_lines_drain(&l, test_record, &t);
	}
	tm_lines_finish(&l, test_record, &t);
	close(fd);
	printf("%llu matches in %llu lines\n", (unsigned long long)t.hits, (unsigned long long)l.lines);
	if (status == TM_EXIT_OK && t.hits == 0)
		status = TM_EXIT_INPUT;
	tm_lines_release(&l);
	tm_matcher_release(&t.m);
	tm_diag_release(&d);
	tm_ruleset_release(&rs);
	return status;
}

int cmd_rules(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		tm_cmd_help(&rules_spec, argc < 2 ? stderr : stdout);
		return argc < 2 ? TM_EXIT_USAGE : TM_EXIT_OK;
	}
	const char *sub = argv[1];
	struct rules_opts o = { .no_default = 0 };
	struct tm_cli cli;
	char err[320];
	int rc = tm_cli_parse(&cli, &rules_spec, argc - 1, argv + 1, err, sizeof(err));
	if (rc == 0) {
		void *const dst[1] = { &o };
		rc = tm_cli_apply(&cli, dst, NULL, NULL, err, sizeof(err)) ? -1 : 0;
	}
	if (rc > 0)
		tm_cmd_help(&rules_spec, stdout);
	else if (rc < 0)
		fprintf(stderr, "trainmon rules: %s (see trainmon help rules)\n", err);
	o.paths = o.pathv.v;
	o.npaths = o.pathv.n;
	int status = rc > 0 ? TM_EXIT_OK : TM_EXIT_USAGE;
	if (rc == 0) {
		int rest = (int)cli.nargs;
		char **args = cli.args;
		if (strcmp(sub, "check") == 0)
			status = rules_check(rest, args, &o);
		else if (strcmp(sub, "list") == 0)
			status = rules_list(&o);
		else if (strcmp(sub, "test") == 0)
			status = rules_test(rest, args);
		else
			fprintf(stderr, "trainmon rules: unknown subcommand '%s' (check, list or test)\n", sub);
	}
	tm_strv_release(&o.pathv);
	tm_cli_release(&cli);
	return status;
}

/* test_rules.c: the rule-pack loader: located errors (PCRE2's own message, exact columns), the
 * derived literal prefilter, samples checking, and matching through the prefilter; the key table
 * (unknown and misplaced keys), `regexes:`, structured `keys:`, `detect:` samples; YAML duplicate
 * keys and second documents; directories with FIFOs, /dev/zero and oversized packs. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tm_test.h"
#include "trainmon/match.h"
#include "trainmon/rules.h"

static int load(struct tm_ruleset *rs, struct tm_diag *d, const char *text)
{
	tm_ruleset_init(rs);
	tm_diag_init(d);
	int rc = tm_ruleset_load_buf(rs, "t.yaml", text, strlen(text), d);
	if (rc == 0)
		tm_ruleset_finish(rs, d);
	return rc;
}

static int count_hits(void *ctx, const struct tm_hit *h)
{
	(void)h;
	(*(int *)ctx)++;
	return 0;
}

/* The first hit's slice of the group named by the rule's first capture of kind k. */
struct cap_hit {
	enum tm_cap_kind kind;
	int target;
	char got[64];
	int hits;
};

static int grab_cap(void *ctx, const struct tm_hit *h)
{
	struct cap_hit *c = ctx;
	c->hits++;
	for (size_t i = 0; i < h->rule->ncaps; i++) {
		const char *p;
		size_t n;
		if (h->rule->caps[i].kind == c->kind && h->rule->caps[i].target == c->target &&
		    tm_hit_group(h, h->rule->caps[i].group, &p, &n) && n < sizeof(c->got)) {
			memcpy(c->got, p, n);
			c->got[n] = '\0';
		}
	}
	return 0;
}

/* Runs the ruleset on one line; returns the text captured for (kind, target), or "" */
static const char *run_line(struct tm_ruleset *rs, const char *line, struct cap_hit *c)
{
	struct tm_matcher m;
	tm_matcher_init(&m, rs);
	c->got[0] = '\0';
	c->hits = 0;
	tm_match_record(&m, line, strlen(line), grab_cap, c);
	tm_matcher_release(&m);
	return c->got;
}

/* Writes text to dir/name; returns 0 or -errno. */
static int write_file(const char *dir, const char *name, const char *text, size_t len)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	ssize_t k = write(fd, text, len);
	close(fd);
	return k == (ssize_t)len ? 0 : -EIO;
}

static int has_msg(const struct tm_diag *d, const char *msg)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->v[i].msg, msg) == 0)
			return 1;
	return 0;
}

static void test_key_table(struct tm_test_state *st)
{
	struct tm_ruleset rs;
	struct tm_diag d;
	/* an unknown key with a hint from the table; keys given for the wrong record kind */
	int rc = load(&rs, &d,
		      "framework: x\ngeneric: true\nrules:\n"
		      "  - name: a\n    record: event\n    kind: xid\n    regex: 'Xid (?<msg>.*)'\n"
		      "    severty: critical\n    attach: true\n    keys: {a: layers}\n"
		      "    samples: {match: ['Xid 79']}\n"
		      "  - name: b\n    record: step\n    regex: 'iter (?<step>\\d+)'\n    kind: xid\n"
		      "    severity: fatal\n    samples: {match: ['iter 3']}\n");
	TM_CHECK(st, rc == 5);
	TM_CHECK(st, d.n == 5);
	if (d.n == 5) {
		TM_STREQ(st, d.v[0].msg, "rule 'a': unknown key 'severty' (did you mean 'severity'?)");
		TM_CHECK(st, d.v[0].line == 8 && d.v[0].col == 5);
		TM_STREQ(st, d.v[1].msg, "rule 'a': 'keys' is for param rules");
		TM_STREQ(st, d.v[2].msg, "rule 'a': 'attach' is for step rules");
		TM_CHECK(st, d.v[2].line == 9 && d.v[2].col == 13);
		TM_STREQ(st, d.v[3].msg, "rule 'b': 'kind' is for event rules");
		TM_STREQ(st, d.v[4].msg, "rule 'b': unknown severity 'fatal' (expected info, warning, error or critical)");
	}
	tm_diag_release(&d);
	tm_ruleset_release(&rs);

	/* a required key missing for the record kind */
	rc = load(&rs, &d, "framework: x\ngeneric: true\nrules:\n"
		  "  - name: a\n    record: evnt\n    regex: 'x'\n    samples: {match: ['x']}\n"
		  "  - name: b\n    record: event\n    regex: 'y'\n    samples: {match: ['y']}\n");
	TM_CHECK(st, rc == 2);
	TM_CHECK(st, has_msg(&d, "rule 'a': unknown record 'evnt' (did you mean 'event'?)"));
	TM_CHECK(st, has_msg(&d, "rule 'b': an event rule needs 'kind'"));
	tm_diag_release(&d);
	tm_ruleset_release(&rs);
}

static void test_regexes(struct tm_test_state *st)
{
	struct tm_ruleset rs;
	struct tm_diag d;
	struct cap_hit c = { .kind = TM_CAP_PARAM, .target = TM_P_LAYERS };
	int rc = load(&rs, &d,
		      "framework: x\ngeneric: true\nrules:\n"
		      "  - name: arch\n    record: param\n    regexes:\n"
		      "      - '^num_layers: (?<layers>\\d+)$'\n"
		      "      - '^n_layer = (?<layers>\\d+)'\n"
		      "      - 'hidden_size=(?<hidden>\\d+)'\n"
		      "    samples: {match: ['num_layers: 32', 'n_layer = 12', 'hidden_size=4096'],\n"
		      "              nomatch: ['num_layers: x']}\n");
	TM_CHECK(st, rc == 0 && d.errors == 0);
	TM_CHECK(st, rs.nrules == 1);
	if (rc == 0 && rs.nrules == 1) {
		const struct tm_rule *r = &rs.rules[0];
		/* one literal per regex, any admits the line */
		TM_CHECK(st, r->nlits == 3);
		TM_STREQ(st, r->nlits == 3 ? r->lits[1] : NULL, "n_layer = ");
		TM_STREQ(st, run_line(&rs, "num_layers: 32", &c), "32");
		TM_STREQ(st, run_line(&rs, "n_layer = 12", &c), "12");
		TM_CHECK(st, c.hits == 1);
		c.target = TM_P_HIDDEN;
		TM_STREQ(st, run_line(&rs, "x hidden_size=4096", &c), "4096");
		TM_STREQ(st, run_line(&rs, "hidden_size=x", &c), "");
		TM_CHECK(st, c.hits == 0);
	}
	tm_diag_release(&d);
	tm_ruleset_release(&rs);

	/* an error in the second regex points into it; regex and regexes together are refused */
	rc = load(&rs, &d,
		  "framework: x\ngeneric: true\nrules:\n"
		  "  - name: a\n    record: step\n    regexes:\n      - 'it (?<step>\\d+)'\n"
		  "      - 'step (?<stepp>\\d+'\n    samples: {match: []}\n"
		  "  - name: b\n    record: step\n    regex: 'x'\n    regexes: ['y']\n    samples: {match: []}\n"
		  "  - name: c\n    record: step\n    regexes: ['(a)\\1', '(b)\\1']\n    samples: {match: []}\n");
	TM_CHECK(st, rc == 3);
	TM_CHECK(st, d.n == 3);
	if (d.n == 3) {
		TM_STREQ(st, d.v[0].msg, "rule 'a': regexes: missing closing parenthesis");
		TM_CHECK(st, d.v[0].line == 8 && d.v[0].col == 9 + 1 + 17);
		TM_STREQ(st, d.v[1].msg, "rule 'b': give 'regex' or 'regexes', not both");
		TM_CHECK(st, strstr(d.v[2].msg, "numbered back reference") != NULL);
	}
	tm_diag_release(&d);
	tm_ruleset_release(&rs);

	/* a regex without a literal: the rule has no prefilter at all (else its lines would hide) */
	rc = load(&rs, &d, "framework: x\ngeneric: true\nrules:\n"
		  "  - name: a\n    record: event\n    kind: xid\n    regexes: ['Xid (?<msg>.*)', 'x|y']\n"
		  "    samples: {match: ['Xid 1', 'y']}\n");
	TM_CHECK(st, rc == 0 && rs.nrules == 1 && rs.rules[0].nlits == 0);
	TM_CHECK(st, d.warnings == 1);
	tm_diag_release(&d);
	tm_ruleset_release(&rs);
}

static void test_structured_keys(struct tm_test_state *st)
{
	struct tm_ruleset rs;
	struct tm_diag d;
	int rc = load(&rs, &d,
		      "framework: x\ngeneric: true\nrules:\n"
		      "  - name: args\n    record: param\n    regex: '^  (?<key>\\w+) \\.+ (?<value>.*)$'\n"
		      "    literal: ' ... '\n"
		      "    keys:\n"
		      "      num_layers: layers\n"
		      "      fp16: dtype=fp16\n"
		      "      bf16: {param: dtype, when_true: bf16}\n"
		      "      hidden_size: {param: hidden}\n"
		      "    samples: {match: ['  num_layers ... 32']}\n");
	TM_CHECK(st, rc == 0);
	if (rc == 0 && rs.nrules == 1 && rs.rules[0].nkeys == 4) {
		const struct tm_keymap *k = rs.rules[0].keys;
		TM_STREQ(st, k[1].when_true, "fp16");
		TM_STREQ(st, k[2].key, "bf16");
		TM_CHECK(st, k[2].param == TM_P_DTYPE);
		TM_STREQ(st, k[2].when_true, "bf16");
		TM_CHECK(st, k[3].param == TM_P_HIDDEN && k[3].when_true == NULL);
	} else {
		TM_CHECK(st, !"four keys");
	}
	tm_diag_release(&d);
	tm_ruleset_release(&rs);

	rc = load(&rs, &d,
		  "framework: x\ngeneric: true\nrules:\n"
		  "  - name: args\n    record: param\n    regex: '(?<key>\\w+)=(?<value>.*)'\n"
		  "    keys:\n      a: {parm: layers}\n      b: {param: layres}\n      c: {param: layers, when: x}\n"
		  "    samples: {match: ['a=1']}\n");
	TM_CHECK(st, rc == 4);
	TM_CHECK(st, has_msg(&d, "rule 'args': keys: 'c': unknown key 'when' (expected param or when_true)"));
	TM_CHECK(st, has_msg(&d, "rule 'args': keys: 'a': unknown key 'parm' (did you mean 'param'?)"));
	TM_CHECK(st, has_msg(&d, "rule 'args': keys: 'a': missing 'param'"));
	TM_CHECK(st, has_msg(&d, "rule 'args': unknown parameter 'layres' (did you mean 'layers'?)"));
	tm_diag_release(&d);
	tm_ruleset_release(&rs);
}

static void test_detect_samples(struct tm_test_state *st)
{
	struct tm_ruleset rs;
	struct tm_diag d;
	const char *ok = "framework: x\n"
			 "detect:\n  regex: '^-+ arguments -+$'\n"
			 "  samples: {match: ['------ arguments ------'], nomatch: ['arguments']}\n"
			 "rules: []\n";
	TM_CHECK(st, load(&rs, &d, ok) == 0);
	TM_CHECK(st, rs.nrules == 1 && rs.rules[0].rec == TM_REC_DETECT);
	tm_diag_release(&d);
	tm_ruleset_release(&rs);
	int rc = load(&rs, &d, "framework: x\n"
		      "detect:\n  regex: '^-+ arguments -+$'\n  sample: []\n"
		      "  samples: {match: ['arguments']}\n"
		      "rules: []\n");
	TM_CHECK(st, rc == 2 && rs.npacks == 0);
	if (d.n == 2) {
		TM_STREQ(st, d.v[0].msg, "detect: unknown key 'sample' (did you mean 'samples'?)");
		TM_STREQ(st, d.v[1].msg, "rule 'detect': sample does not match: 'arguments'");
		TM_CHECK(st, d.v[1].line == 5);
	}
	tm_diag_release(&d);
	tm_ruleset_release(&rs);
}

static void test_yaml_strictness(struct tm_test_state *st)
{
	struct tm_ruleset rs;
	struct tm_diag d;
	/* a key given twice, at any depth, is an error at the repeat naming the first line */
	int rc = load(&rs, &d, "framework: x\ngeneric: true\nrules:\n"
		      "  - name: a\n    record: event\n    kind: xid\n    regex: 'Xid'\n"
		      "    kind: ecc_error\n    samples: {match: ['Xid']}\n"
		      "framework: y\n");
	TM_CHECK(st, rc == 2 && rs.npacks == 0);
	if (d.n == 2) {
		TM_STREQ(st, d.v[0].msg, "duplicate key 'kind' (first on line 6)");
		TM_CHECK(st, d.v[0].line == 8 && d.v[0].col == 5);
		TM_STREQ(st, d.v[1].msg, "duplicate key 'framework' (first on line 1)");
		TM_CHECK(st, d.v[1].line == 10 && d.v[1].col == 1);
	}
	tm_diag_release(&d);
	tm_ruleset_release(&rs);

	/* a second document is an error at its start, not silently ignored */
	rc = load(&rs, &d, "framework: x\ngeneric: true\nrules: []\n---\nframework: y\n");
	TM_CHECK(st, rc == 1 && rs.npacks == 0);
	if (d.n == 1) {
		TM_STREQ(st, d.v[0].msg, "YAML: a second document is not supported (one document per file)");
		TM_CHECK(st, d.v[0].line == 4 && d.v[0].col == 1);
	}
	tm_diag_release(&d);
	tm_ruleset_release(&rs);
	/* an explicit start and end of the one document are fine */
	rc = load(&rs, &d, "---\nframework: x\ngeneric: true\nrules: []\n...\n");
	TM_CHECK(st, rc == 0 && rs.npacks == 1);
	tm_diag_release(&d);
	tm_ruleset_release(&rs);
}

/* A FIFO in a rules directory is skipped, never opened (opening would block: this test would
 * hang into its CTest timeout); an oversized pack and /dev/zero fail at the size cap. */
static void test_files(struct tm_test_state *st)
{
	char dir[] = "/tmp/tm_test_rules.XXXXXX";
	if (!mkdtemp(dir)) {
		TM_CHECK(st, !"mkdtemp");
		return;
	}
	char fifo[4096], big[4096];
	snprintf(fifo, sizeof(fifo), "%s/a.yaml", dir);
	snprintf(big, sizeof(big), "%s/big.yaml", dir);
	const char *pack = "framework: x\ngeneric: true\nrules: []\n";
	TM_CHECK(st, mkfifo(fifo, 0600) == 0);
	TM_CHECK(st, write_file(dir, "b.yaml", pack, strlen(pack)) == 0);
	struct tm_ruleset rs;
	struct tm_diag d;
	tm_ruleset_init(&rs);
	tm_diag_init(&d);
	TM_CHECK(st, tm_ruleset_load(&rs, dir, &d) == 0);
	TM_CHECK(st, rs.npacks == 1 && d.errors == 0 && d.warnings == 1);
	TM_STREQ(st, d.n == 1 ? d.v[0].msg : NULL, "not a regular file: skipped");
	TM_STREQ(st, d.n == 1 ? d.v[0].file : NULL, fifo);
	tm_diag_release(&d);
	tm_ruleset_release(&rs);

	/* 7 MB: the message is the cap, not whatever errno was left over */
	size_t n = 7u << 20;
	char *text = malloc(n);
	memset(text, '#', n);
	for (size_t i = 79; i < n; i += 80)
		text[i] = '\n';
	TM_CHECK(st, write_file(dir, "big.yaml", text, n) == 0);
	free(text);
	tm_ruleset_init(&rs);
	tm_diag_init(&d);
	TM_CHECK(st, tm_ruleset_load(&rs, big, &d) == -EFBIG);
	TM_STREQ(st, d.n == 1 ? d.v[0].msg : NULL, "cannot read rule pack: larger than 4 MiB");
	tm_diag_release(&d);
	tm_ruleset_release(&rs);

	/* /dev/zero never ends: the read stops at the cap */
	tm_ruleset_init(&rs);
	tm_diag_init(&d);
	TM_CHECK(st, tm_ruleset_load_all(&rs, (const char *const[]){ "/dev/zero" }, 1, 1, &d) == -EFBIG);
	TM_CHECK(st, d.errors == 1);
	tm_diag_release(&d);
	tm_ruleset_release(&rs);

	unlink(fifo);
	unlink(big);
	char b[4096];
	snprintf(b, sizeof(b), "%s/b.yaml", dir);
	unlink(b);
	rmdir(dir);
}

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	struct tm_ruleset rs;
	struct tm_diag d;

	/* a bad regex: PCRE2's message, column = quote + erroroffset */
	int rc = load(&rs, &d,
		      "framework: x\n"
		      "detect: 'x'\n"
		      "rules:\n"
		      "  - name: it\n"
		      "    record: step\n"
		      "    regex: 'iteration (\\d+'\n"
		      "    samples: {match: [], nomatch: []}\n");
	TM_CHECK(&st, rc == 1);
	TM_CHECK(&st, d.n == 1);
	if (d.n) {
		TM_CHECK(&st, d.v[0].line == 6);
		/* column 12 is the opening quote; PCRE2 reports offset 14, the end of the pattern */
		TM_CHECK(&st, d.v[0].col == 12 + 1 + 14);
		TM_STREQ(&st, d.v[0].msg, "rule 'it': regex: missing closing parenthesis");
	}
	tm_diag_release(&d);
	tm_ruleset_release(&rs);

	/* several errors are all reported: unknown key (with a hint), unknown group, unknown kind */
	rc = load(&rs, &d,
		  "framework: x\n"
		  "generic: true\n"
		  "rules:\n"
		  "  - name: a\n"
		  "    record: step\n"
		  "    regex: 'step (?<stp>\\d+)'\n"
		  "    treshold: 3\n"
		  "    samples: {match: ['step 1']}\n"
		  "  - name: b\n"
		  "    record: event\n"
		  "    kind: nccl_timout\n"
		  "    regex: 'boom'\n"
		  "    samples: {match: ['boom'], nomatch: ['bang']}\n");
	TM_CHECK(&st, rc == 3);
	TM_CHECK(&st, d.n == 3);
	if (d.n == 3) {
		TM_STREQ(&st, d.v[0].msg, "rule 'a': unknown key 'treshold'");
		TM_CHECK(&st, d.v[0].line == 7 && d.v[0].col == 5);
		TM_STREQ(&st, d.v[1].msg, "rule 'a': unknown group name 'stp' (did you mean 'step'?)");
		TM_STREQ(&st, d.v[2].msg, "rule 'b': unknown event kind 'nccl_timout' (did you mean 'nccl_timeout'?)");
	}
	tm_diag_release(&d);
	tm_ruleset_release(&rs);

	/* YAML syntax error: libyaml's message at its mark */
	rc = load(&rs, &d, "framework: x\nrules: [\n  - a\n");
	TM_CHECK(&st, rc >= 1 && d.n >= 1);
	if (d.n)
		TM_CHECK(&st, strncmp(d.v[0].msg, "YAML: ", 6) == 0 && d.v[0].line >= 2);
	tm_diag_release(&d);
	tm_ruleset_release(&rs);

	/* samples: a failing match sample is an error at the sample */
	rc = load(&rs, &d,
		  "framework: x\ngeneric: true\nrules:\n"
		  "  - name: a\n    record: event\n    kind: exception\n    regex: 'Error: (?<msg>.*)'\n"
		  "    samples:\n      match: ['ValueError: x', 'no match here']\n      nomatch: ['Error: y']\n");
	TM_CHECK(&st, rc == 2);
	if (d.n == 2) {
		TM_CHECK(&st, d.v[0].line == 9);
		TM_STREQ(&st, d.v[0].msg, "rule 'a': sample does not match: 'no match here'");
		TM_STREQ(&st, d.v[1].msg, "rule 'a': nomatch sample matches: 'Error: y'");
	}
	tm_diag_release(&d);
	tm_ruleset_release(&rs);

	/* derived literals and matching through the automaton */
	rc = load(&rs, &d,
		  "framework: x\ngeneric: true\nrules:\n"
		  "  - name: a\n    record: event\n    kind: cuda_oom\n    regex: 'CUDA out of memory\\. (?<msg>.*)'\n"
		  "    samples: {match: ['CUDA out of memory. Tried']}\n"
		  "  - name: b\n    record: event\n    kind: nccl_error\n    regex: 'NCCL (?:error|failure)'\n"
		  "    samples: {match: ['NCCL error']}\n"
		  "  - name: c\n    record: event\n    kind: xid\n    regex: 'x?yz+w|q'\n"
		  "    samples: {match: ['yzzw', 'q']}\n");
	TM_CHECK(&st, rc == 0);
	TM_CHECK(&st, rs.nrules == 3);
	if (rs.nrules == 3) {
		TM_STREQ(&st, rs.rules[0].nlits ? rs.rules[0].lits[0] : NULL, "CUDA out of memory. ");
		TM_STREQ(&st, rs.rules[1].nlits ? rs.rules[1].lits[0] : NULL, "NCCL ");
		TM_CHECK(&st, rs.rules[2].nlits == 0);    /* top-level alternation: no prefilter */
		struct tm_matcher m;
		tm_matcher_init(&m, &rs);
		int hits = 0;
		const char *l1 = "x RuntimeError: CUDA out of memory. Tried to allocate";
		tm_match_record(&m, l1, strlen(l1), count_hits, &hits);
		TM_CHECK(&st, hits == 1);
		hits = 0;
		const char *l2 = "NCCL error and q";
		tm_match_record(&m, l2, strlen(l2), count_hits, &hits);
		TM_CHECK(&st, hits == 2);
		hits = 0;
		const char *l3 = "nothing";
		tm_match_record(&m, l3, strlen(l3), count_hits, &hits);
		TM_CHECK(&st, hits == 0);
		/* only rules whose literal occurs run a regex; c has none, so it runs on all three */
		TM_CHECK(&st, m.regex_runs == 2 + 2 + 1);
		tm_matcher_release(&m);
	}
	tm_diag_release(&d);
	tm_ruleset_release(&rs);

	test_key_table(&st);
	test_regexes(&st);
	test_structured_keys(&st);
	test_detect_samples(&st);
	test_yaml_strictness(&st);
	test_files(&st);

	/* the shipped packs load cleanly (run from the build tree: TM_SOURCE_DIR set by CTest) */
	const char *src = getenv("TM_SOURCE_DIR");
	if (src) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/patterns", src);
		tm_ruleset_init(&rs);
		tm_diag_init(&d);
		TM_CHECK(&st, tm_ruleset_load(&rs, path, &d) == 0);
		TM_CHECK(&st, d.errors == 0);
		tm_diag_release(&d);
		tm_ruleset_release(&rs);
	}
	return tm_test_done(&st, "test_rules");
}

/* test_prom.c: the exposition-format parser (src/prom.c): samples with and without labels,
 * escapes, special values, timestamps, comments, CRLF, a body without a final newline, and each
 * kind of malformed line reported with its line number, never a crash. */
#include "tm_test.h"
#include "trainmon/prom.h"

static int parse(struct tm_prom *p, const char *s, char *err, size_t n)
{
	*p = (struct tm_prom){ 0 };
	err[0] = '\0';
	return tm_prom_parse(p, s, strlen(s), err, n);
}

static void check_good(struct tm_test_state *st)
{
	const char *body =
		"# HELP trainmon_run_step Last training step number the framework logged.\n"
		"# TYPE trainmon_run_step gauge\n"
		"trainmon_run_step{run=\"megatron-1\",file=\"/l/a \\\"b\\\"\\\\c\\nd.out\",framework=\"megatron\"} 200\n"
		"\n"
		"# a comment\n"
		"trainmon_run_step_time_seconds{run=\"x\",stat=\"last\",} 1.0475 1700000000123\n"
		"  up 1\r\n"
		"trainmon_build_info { version = \"0.1.0\" } +Inf\n"
		"nan_metric NaN\n"
		"neg -Inf\n"
		"sci 1.5e+03";               /* no final newline */
	struct tm_prom p;
	char err[200];
	TM_CHECK(st, parse(&p, body, err, sizeof(err)) == 0);
	TM_CHECK(st, p.n == 7);
	if (p.n != 7) {
		fprintf(stderr, "  %s\n", err);
		tm_prom_release(&p);
		return;
	}
	TM_STREQ(st, p.v[0].name, "trainmon_run_step");
	TM_CHECK(st, p.v[0].nlabels == 3);
	TM_STREQ(st, tm_prom_label(&p.v[0], "run"), "megatron-1");
	TM_STREQ(st, tm_prom_label(&p.v[0], "file"), "/l/a \"b\"\\c\nd.out");
	TM_CHECK(st, tm_prom_label(&p.v[0], "nope") == NULL);
	TM_NEAR(st, p.v[0].value, 200, 0);
	TM_CHECK(st, !p.v[0].has_ts);
	TM_STREQ(st, tm_prom_label(&p.v[1], "stat"), "last");
	TM_NEAR(st, p.v[1].value, 1.0475, 1e-15);
	TM_CHECK(st, p.v[1].has_ts && p.v[1].ts_ms == 1700000000123LL);
	TM_STREQ(st, p.v[2].name, "up");
	TM_CHECK(st, p.v[2].nlabels == 0);
	TM_STREQ(st, tm_prom_label(&p.v[3], "version"), "0.1.0");
	TM_CHECK(st, isinf(p.v[3].value) && p.v[3].value > 0);
	TM_CHECK(st, isnan(p.v[4].value));
	TM_CHECK(st, isinf(p.v[5].value) && p.v[5].value < 0);
	TM_NEAR(st, p.v[6].value, 1500, 0);
	tm_prom_release(&p);
	TM_CHECK(st, p.n == 0 && p.v == NULL);
}

/* body, the line of its error, and a word the message must contain */
static void check_bad(struct tm_test_state *st, const char *body, int line, const char *word)
{
	struct tm_prom p;
	char err[200];
	int rc = parse(&p, body, err, sizeof(err));
	TM_CHECK(st, rc == line);
	TM_CHECK(st, strstr(err, word) != NULL);
	if (rc != line || !strstr(err, word))
		fprintf(stderr, "  body %s: line %d, message '%s'\n", body, rc, err);
	tm_prom_release(&p);
}

int main(void)
{
	struct tm_test_state st = { 0 };
	check_good(&st);
	check_bad(&st, "ok 1\n{a=\"b\"} 1\n", 2, "metric name");
	check_bad(&st, "m{a=b} 1\n", 1, "double quotes");
	check_bad(&st, "m{a=\"b} 1\n", 1, "not closed");
	check_bad(&st, "m{a=\"\\t\"} 1\n", 1, "escape");
	check_bad(&st, "m{a=\"1\",a=\"2\"} 1\n", 1, "twice");
	check_bad(&st, "m{a=\"1\" b=\"2\"} 1\n", 1, "','");
	check_bad(&st, "m{1a=\"1\"} 1\n", 1, "label name");
	check_bad(&st, "m{a} 1\n", 1, "'='");
	check_bad(&st, "m one\n", 1, "not a number");
	check_bad(&st, "m\n", 1, "not a number");
	check_bad(&st, "m 1 1.5\n", 1, "timestamp");
	check_bad(&st, "m 1 2 3\n", 1, "unexpected");
	check_bad(&st, "m{a=\"x\"}1\n", 1, "blank");
	check_bad(&st, "# TYPE m gauges\n", 1, "TYPE");
	check_bad(&st, "# TYPE m gauge extra\n", 1, "TYPE");
	check_bad(&st, "# HELP\n", 1, "metric name");
	check_bad(&st, "a 1\nb 2\nc\0 3\n", 3, "not a number");
	/* a NUL inside the given length */
	struct tm_prom p = { 0 };
	char err[200];
	TM_CHECK(&st, tm_prom_parse(&p, "a 1\nb\0c 2\n", 10, err, sizeof(err)) == 2);
	TM_CHECK(&st, p.n == 1);
	tm_prom_release(&p);
	/* a huge number token, and a very long label value */
	char big[5000];
	memset(big, '9', sizeof(big) - 1);
	big[0] = 'm', big[1] = ' ', big[sizeof(big) - 1] = '\0';
	check_bad(&st, big, 1, "not a number");
	memset(big, 'v', sizeof(big) - 1);
	memcpy(big, "m{a=\"", 5);
	memcpy(big + sizeof(big) - 6, "\"} 7\n", 5);
	TM_CHECK(&st, parse(&p, big, err, sizeof(err)) == 0 && p.n == 1 && strlen(p.v[0].labels[0].value) == 4989);
	tm_prom_release(&p);
	return tm_test_done(&st, "test_prom");
}

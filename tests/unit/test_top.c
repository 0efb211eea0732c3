/* test_top.c: `trainmon top`'s model and text (src/top_model.c, src/top_text.c) without a
 * terminal: which columns fit a width, cell formats and styles, sparklines (UTF-8 and ASCII,
 * flat, gaps, the newest kept), the sort orders (unknown values last either way), and rows built
 * from scrapes of /metrics, whose sparklines grow by one point per new step. */
#include "tm_test.h"
#include "trainmon/alert.h"
#include "trainmon/top.h"

static int has_col(const struct tm_top_layout *l, enum tm_top_col c)
{
	for (int i = 0; i < l->ncols; i++)
		if (l->c[i].col == c)
			return 1;
	return 0;
}

static void check_layout(struct tm_test_state *st)
{
	struct tm_top_layout l;
	tm_top_layout(&l, 80);
	TM_CHECK(st, l.ncols == TM_TOP_NCOLS);
	TM_CHECK(st, l.c[l.ncols - 1].x + l.c[l.ncols - 1].w <= 80);
	for (int i = 1; i < l.ncols; i++)
		TM_CHECK(st, l.c[i].x == l.c[i - 1].x + l.c[i - 1].w + 1);
	tm_top_layout(&l, 40);
	TM_CHECK(st, l.c[l.ncols - 1].x + l.c[l.ncols - 1].w <= 40);
	TM_CHECK(st, has_col(&l, TM_TOP_RUN) && has_col(&l, TM_TOP_STEP) && has_col(&l, TM_TOP_MFU));
	TM_CHECK(st, !has_col(&l, TM_TOP_FRAMEWORK) && !has_col(&l, TM_TOP_SPARK));
	tm_top_layout(&l, 20);
	TM_CHECK(st, has_col(&l, TM_TOP_RUN) && l.c[l.ncols - 1].x + l.c[l.ncols - 1].w <= 20);
	tm_top_layout(&l, 200);
	TM_CHECK(st, l.ncols == TM_TOP_NCOLS && l.c[0].w > 12);
}

static void check_spark(struct tm_test_state *st)
{
	char b[256];
	const double up[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	tm_top_spark(up, 8, 8, 1, b, sizeof(b));
	TM_STREQ(st, b, "\xe2\x96\x81\xe2\x96\x82\xe2\x96\x83\xe2\x96\x84\xe2\x96\x85\xe2\x96\x86\xe2\x96\x87\xe2\x96\x88");
	tm_top_spark(up, 8, 8, 0, b, sizeof(b));
	TM_STREQ(st, b, "_.-~=+*#");
	tm_top_spark(up, 8, 3, 0, b, sizeof(b));        /* the newest three, scaled among themselves */
	TM_STREQ(st, b, "_~#");
	const double flat[3] = { 2, 2, 2 };
	tm_top_spark(flat, 3, 5, 0, b, sizeof(b));      /* padded to the width */
	TM_STREQ(st, b, "~~~  ");
	const double gap[3] = { 1, NAN, 3 };
	tm_top_spark(gap, 3, 3, 0, b, sizeof(b));
	TM_STREQ(st, b, "_ #");
	tm_top_spark(up, 0, 4, 1, b, sizeof(b));
	TM_STREQ(st, b, "    ");
}

static struct tm_top_run run(const char *name, double step, double st_s, double tps, double mfu, double eta)
{
	struct tm_top_run r;
	memset(&r, 0, sizeof(r));
	snprintf(r.name, sizeof(r.name), "%s", name);
	snprintf(r.file, sizeof(r.file), "/l/%s.out", name);
	snprintf(r.framework, sizeof(r.framework), "megatron");
	r.step = step, r.step_time = st_s, r.tps = tps, r.mfu = mfu, r.eta_s = eta;
	return r;
}

/* run r's cell in column c at width w is want, with style want_st */
static void cell(struct tm_test_state *st, const struct tm_top_run *r, enum tm_top_col c, int w, int utf8,
		 const char *want, enum tm_top_style want_st)
{
	char b[256];
	enum tm_top_style got = tm_top_cell(r, c, w, utf8, b, sizeof(b));
	TM_STREQ(st, b, want);
	TM_CHECK(st, got == want_st);
	if (got != want_st)
		fprintf(stderr, "  style %d, want %d for '%s'\n", got, want_st, want);
}

static void check_cells(struct tm_test_state *st)
{
	struct tm_top_run r = run("a-very-long-run-name", 1200, 0.5, 1.05e6, 0.476, 1950);
	cell(st, &r, TM_TOP_STEP_TIME, 7, 0, "  500ms", TM_TOP_ST_PLAIN);
	r.step_time = 2.5;
	cell(st, &r, TM_TOP_STEP_TIME, 7, 0, " 2.500s", TM_TOP_ST_PLAIN);
	cell(st, &r, TM_TOP_TPS, 7, 0, "  1.05M", TM_TOP_ST_PLAIN);
	cell(st, &r, TM_TOP_MFU, 5, 0, "47.6%", TM_TOP_ST_PLAIN);
	cell(st, &r, TM_TOP_ETA, 6, 0, "32m30s", TM_TOP_ST_PLAIN);
	cell(st, &r, TM_TOP_RUN, 8, 0, "a-very-~", TM_TOP_ST_PLAIN);
	cell(st, &r, TM_TOP_RUN, 8, 1, "a-very-\xe2\x80\xa6", TM_TOP_ST_PLAIN);
	cell(st, &r, TM_TOP_ALERTS, 8, 0, "-       ", TM_TOP_ST_DIM);
	r.alerts = 1u << TM_AL_LOW_MFU;
	cell(st, &r, TM_TOP_MFU, 5, 0, "47.6%", TM_TOP_ST_WARN);
	cell(st, &r, TM_TOP_ALERTS, 8, 0, "low_mfu ", TM_TOP_ST_WARN);
	r.alerts |= 1u << TM_AL_FAILURE;
	cell(st, &r, TM_TOP_ALERTS, 16, 0, "low_mfu,failure ", TM_TOP_ST_BAD);
	r.alerts = 1u << TM_AL_FINISHED;
	cell(st, &r, TM_TOP_ALERTS, 8, 0, "finished", TM_TOP_ST_OK);
	cell(st, &r, TM_TOP_ETA, 6, 0, "  done", TM_TOP_ST_PLAIN);
	r = run("n\x01" "x\xff", NAN, NAN, NAN, NAN, NAN);
	cell(st, &r, TM_TOP_MFU, 5, 0, "    -", TM_TOP_ST_DIM);
	cell(st, &r, TM_TOP_RUN, 5, 1, "n?x? ", TM_TOP_ST_PLAIN);   /* control and non-ASCII bytes as '?' */
}

static void order(const struct tm_top_model *m, char *out, size_t n)
{
	size_t pos = 0;
	out[0] = '\0';
	for (size_t i = 0; i < m->n && pos + 2 < n; i++)
		out[pos++] = m->runs[i].name[0], out[pos] = '\0';
}

static void check_sort(struct tm_test_state *st)
{
	struct tm_top_model m = { 0 };
	m.runs = calloc(4, sizeof(*m.runs));
	m.n = m.cap = 4;
	m.runs[0] = run("a", 100, 1.0, 2e6, 0.40, 100);
	m.runs[1] = run("b", 300, 2.0, 1e6, NAN, NAN);
	m.runs[2] = run("c", 200, 0.5, 3e6, 0.20, 50);
	m.runs[3] = run("d", NAN, NAN, NAN, 0.30, 200);
	char o[8];
	m.sort = TM_TOP_RUN;
	tm_top_sort(&m), order(&m, o, sizeof(o));
	TM_STREQ(st, o, "abcd");
	m.reverse = 1;
	tm_top_sort(&m), order(&m, o, sizeof(o));
	TM_STREQ(st, o, "dcba");
	m.reverse = 0, m.sort = TM_TOP_STEP;      /* largest first, unknown last */
	tm_top_sort(&m), order(&m, o, sizeof(o));
	TM_STREQ(st, o, "bcad");
	m.reverse = 1;                             /* unknown still last */
	tm_top_sort(&m), order(&m, o, sizeof(o));
	TM_STREQ(st, o, "acbd");
	m.reverse = 0, m.sort = TM_TOP_MFU;       /* smallest first */
	tm_top_sort(&m), order(&m, o, sizeof(o));
	TM_STREQ(st, o, "cdab");
	m.sort = TM_TOP_STEP_TIME;                /* slowest first */
	tm_top_sort(&m), order(&m, o, sizeof(o));
	TM_STREQ(st, o, "bacd");
	m.runs[tm_top_find(&m, "/l/c.out")].alerts = 1u << TM_AL_FAILURE;
	m.runs[tm_top_find(&m, "/l/a.out")].alerts = 1u << TM_AL_STALL;
	m.sort = TM_TOP_ALERTS;                   /* the most alarming first */
	tm_top_sort(&m), order(&m, o, sizeof(o));
	TM_STREQ(st, o, "cabd");
	TM_CHECK(st, tm_top_find(&m, "/l/b.out") == 2 && tm_top_find(&m, "/l/x.out") == -1);
	tm_top_model_release(&m);
}

static void scrape(struct tm_top_model *m, const char *text)
{
	struct tm_prom p = { 0 };
	char err[200];
	if (tm_prom_parse(&p, text, strlen(text), err, sizeof(err)))
		fprintf(stderr, "bad test scrape: %s\n", err);
	tm_top_from_prom(m, &p);
	tm_prom_release(&p);
}

#define L(run) "{run=\"" run "\",file=\"/l/" run ".out\",framework=\"megatron\"}"
#define LX(run, x) "{run=\"" run "\",file=\"/l/" run ".out\",framework=\"megatron\"," x "}"

static void check_prom(struct tm_test_state *st)
{
	struct tm_top_model m = { 0 };
	scrape(&m, "# TYPE trainmon_run_step gauge\n"
		   "trainmon_run_step" L("b") " 20\n"
		   "trainmon_run_step" L("a") " 10\n"
		   "trainmon_run_step_time_seconds" LX("a", "stat=\"last\"") " 1.5\n"
		   "trainmon_run_step_time_seconds" LX("a", "stat=\"median\"") " 1.4\n"
		   "trainmon_run_mfu_ratio" L("a") " 0.42\n"
		   "trainmon_run_events_total" LX("a", "kind=\"nccl_timeout\"") " 2\n"
		   "trainmon_run_alert_active" LX("a", "alert=\"failure\"") " 1\n"
		   "trainmon_run_alert_active" LX("a", "alert=\"stall\"") " 0\n"
		   "trainmon_lines_total 99\n");
	TM_CHECK(st, m.n == 2);
	if (m.n != 2)
		return;
	TM_STREQ(st, m.runs[0].name, "a");         /* sorted by run */
	TM_NEAR(st, m.runs[0].step, 10, 0);
	TM_NEAR(st, m.runs[0].step_time, 1.5, 0);
	TM_NEAR(st, m.runs[0].mfu, 0.42, 0);
	TM_CHECK(st, isnan(m.runs[0].tps) && isnan(m.runs[1].step_time));
	TM_CHECK(st, m.runs[0].alerts == 1u << TM_AL_FAILURE);
	TM_CHECK(st, m.runs[0].nev == 1 && m.runs[0].events_total == 2 && strcmp(m.runs[0].ev[0].kind, "nccl_timeout") == 0);
	TM_CHECK(st, m.runs[0].nspark == 1 && m.runs[1].nspark == 0);
	/* the same step again: no new point; a new step: one more */
	scrape(&m, "trainmon_run_step" L("a") " 10\ntrainmon_run_step_time_seconds" LX("a", "stat=\"last\"") " 1.5\n");
	TM_CHECK(st, m.n == 1 && m.runs[0].nspark == 1);
	scrape(&m, "trainmon_run_step" L("a") " 20\ntrainmon_run_step_time_seconds" LX("a", "stat=\"last\"") " 1.7\n");
	TM_CHECK(st, m.n == 1 && m.runs[0].nspark == 2);
	TM_NEAR(st, m.runs[0].spark[1], 1.7, 0);
	for (int i = 0; i < TM_TOP_SPARK_N + 5; i++) {
		char t[300];
		snprintf(t, sizeof(t), "trainmon_run_step" L("a") " %d\ntrainmon_run_step_time_seconds" LX("a", "stat=\"last\"") " %d\n",
			 100 + i, i);
		scrape(&m, t);
	}
	TM_CHECK(st, m.runs[0].nspark == TM_TOP_SPARK_N);
	TM_NEAR(st, m.runs[0].spark[TM_TOP_SPARK_N - 1], TM_TOP_SPARK_N + 4, 0);
	tm_top_model_release(&m);
}

int main(void)
{
	struct tm_test_state st = { 0 };
	check_layout(&st);
	check_spark(&st);
	check_cells(&st);
	check_sort(&st);
	check_prom(&st);
	return tm_test_done(&st, "test_top");
}

/* test_prefix.c: line anatomy (src/lines.c, src/timefmt.c): every collector, launcher and logger
 * prefix is stripped, alone and in combination, its time, level, stream and rank kept; near misses
 * (a line that merely starts with a number or a month) are left alone; CRI partial lines join. */
#include <math.h>
#include <stdint.h>

#include "tm_test.h"
#include "trainmon/lines.h"
#include "trainmon/timefmt.h"

struct rec {
	char text[256], pre[128], cpre[128];
	double ts[16];
	char level[16], stream[16];
	int rank[16];
	uint64_t line[16];
	int n;
};

static int collect(void *ctx, const struct tm_record *r)
{
	struct rec *c = ctx;
	size_t k = strlen(c->text);
	snprintf(c->text + k, sizeof(c->text) - k, "%.*s|", (int)r->len, r->p);
	if (c->n == 0) {
		snprintf(c->pre, sizeof(c->pre), "%.*s", (int)r->pre_len, r->pre);
		snprintf(c->cpre, sizeof(c->cpre), "%.*s", (int)r->cpre_len, r->cpre);
	}
	if (c->n < 16) {
		c->ts[c->n] = r->ts;
		c->level[c->n] = r->level;
		c->stream[c->n] = r->stream;
		c->rank[c->n] = r->rank;
		c->line[c->n] = r->line;
	}
	c->n++;
	return 0;
}

/* Feeds text in chunks of `chunk` bytes with the year pinned: the file changed last in January 2025. */
static void run(const char *in, size_t chunk, struct rec *c)
{
	struct tm_lines l;
	memset(c, 0, sizeof(*c));
	tm_lines_init(&l, 0);
	l.yl.ref_year = 2025;
	l.yl.ref_mon = 1;
	size_t n = strlen(in);
	for (size_t i = 0; i < n; i += chunk)
		tm_lines_feed(&l, in + i, i + chunk < n ? chunk : n - i, collect, c);
	tm_lines_finish(&l, collect, c);
	tm_lines_release(&l);
}

static double epoch(int y, int mo, int d, int h, int mi, double s)
{
	struct tm_civil c = { .year = y, .mon = mo, .day = d, .hour = h, .min = mi, .sec = s };
	return tm_time_epoch(&c);
}

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	static struct rec c;
	const char *body = "iteration 5/ 10 | x";
	char line[512];
	double t0 = epoch(2025, 1, 2, 3, 4, 5);
	TM_CHECK(&st, t0 == 1735787045.0);

	/* each prefix alone: the body comes out, the time is read */
	struct { const char *pre; double ts; char level, stream; } one[] = {
		{ "2025-01-02T03:04:05Z ", t0, 0, 0 },                         /* kubectl --timestamps */
		{ "2025-01-02T03:04:05.123456789Z ", t0 + 0.123456789, 0, 0 }, /* docker logs -t */
		{ "2025-01-02T05:04:05+02:00 ", t0, 0, 0 },                    /* RFC 3339 with a zone */
		{ "2025-01-02T03:04:05.123456789Z stdout F ", t0 + 0.123456789, 0, 'o' }, /* CRI */
		{ "2025-01-02T03:04:05Z stderr F ", t0, 0, 'e' },
		{ "2025-01-02T04:04:05+0100 gpu-node-1 python[4112]: ", t0, 0, 0 },   /* journald short-iso */
		{ "Jan  2 03:04:05 gpu-node-1 python[4112]: ", t0, 0, 0 },              /* syslog */
		{ "Jan 02 03:04:05 ", t0, 0, 0 },                                       /* moreutils ts */
		{ "Jan  2 03:04:05 ", t0, 0, 0 },
		{ "2025-01-02 03:04:05,269 ", t0 + 0.269, 0, 0 },                        /* Python logging */
		{ "2025-01-02 03:04:05,269 INFO ", t0 + 0.269, 'I', 0 },
		{ "2025-01-02 03:04:05,269 - WARNING - ", t0 + 0.269, 'W', 0 },
		{ "[2025-01-02 03:04:05] ", t0, 0, 0 },                                  /* bracketed */
		{ "[2025-01-02 03:04:05,568581][I]", t0 + 0.568581, 'I', 0 },
		{ "[2025-01-02 03:04:05,918] [INFO] ", t0 + 0.918, 'I', 0 },              /* DeepSpeed */
		{ "I0102 03:04:05.866614 140737350317184 programs.py:366] ", t0 + 0.866614, 'I', 0 }, /* glog */
		{ "E0102 03:04:05.004000 1877 torch/distributed/run.py:766] ", t0 + 0.004, 'E', 0 },
	};
	for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
		snprintf(line, sizeof(line), "%s%s\n", one[i].pre, body);
		run(line, 1000, &c);
		char want[300];
		snprintf(want, sizeof(want), "%s|", body);
		TM_STREQ(&st, c.text, want);
		TM_NEAR(&st, c.ts[0], one[i].ts, 1e-12);
		TM_CHECK(&st, c.level[0] == one[i].level);
		TM_CHECK(&st, c.stream[0] == one[i].stream);
		TM_CHECK(&st, strlen(c.pre) + strlen(c.cpre) == strlen(one[i].pre));
	}

	/* combinations: collector, then launcher, then logger; the outermost time wins */
	run("2025-01-02T03:04:05Z 3: [rank3]:[2024-05-06 07:08:09,100] [INFO] iteration 5/ 10 | x\n", 7, &c);
	TM_STREQ(&st, c.text, "iteration 5/ 10 | x|");
	TM_CHECK(&st, c.rank[0] == 3 && c.level[0] == 'I' && c.ts[0] == t0);
	TM_STREQ(&st, c.cpre, "2025-01-02T03:04:05Z ");
	TM_STREQ(&st, c.pre, "3: [rank3]:[2024-05-06 07:08:09,100] [INFO] ");
	run("Jan  2 03:04:05 [default1]:I0102 03:04:06.000000 99 f.py:1] step 1\n", 3, &c);
	TM_STREQ(&st, c.text, "step 1|");
	TM_CHECK(&st, c.rank[0] == 1 && c.level[0] == 'I' && c.ts[0] == t0);
	/* a logger time alone is used; '\r' records after it keep the line's last time */
	run("[rank0]:2025-01-02 03:04:05,500 step 1\rstep 2\r2025-01-02 03:04:07 step 3\n", 5, &c);
	TM_STREQ(&st, c.text, "step 1|step 2|step 3|");
	TM_CHECK(&st, c.ts[0] == t0 + 0.5 && c.ts[1] == t0 + 0.5 && c.ts[2] == t0 + 2);

	/* near misses: left as they are, no time */
	const char *keep[] = {
		"2024 steps done", "2024 | loss 1.5 | lr 3e-4 | 120.5ms | mfu 40.1%", "12 | loss 2",
		"2025-01-02 is the date", "2025-13-02 03:04:05 bad month", "2025-01-02T03:04:05x",
		"Dec 6 was the day", "December 06 02:35:25 x", "Jan 02 03:04 short", "I0411 hello",
		"Epoch 0: 10%", "[2025-01-02 03:04:05 unclosed", "[rank] x", "IO 0102 03:04:05.1 1 f] x",
		"I0102 03:04:05.866614 notathread f.py:1] x", "W1006 03:25:41.706000 3374946 no-bracket x",
	};
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		snprintf(line, sizeof(line), "%s\n", keep[i]);
		run(line, 1000, &c);
		char want[300];
		snprintf(want, sizeof(want), "%s|", keep[i]);
		TM_STREQ(&st, c.text, want);
		TM_CHECK(&st, isnan(c.ts[0]));
	}

	/* CRI partial lines join with the next F line into one record, at the first part's line,
	 * whatever the chunking; a partial at EOF still comes out */
	const char cri[] = "2025-01-02T03:04:05Z stdout P iteration 5/\n"
			   "2025-01-02T03:04:06Z stdout P  10 |\n"
			   "2025-01-02T03:04:07Z stdout F  x\n"
			   "2025-01-02T03:04:08Z stderr F next\n"
			   "2025-01-02T03:04:09Z stdout P tail";
	for (size_t chunk = 1; chunk < 60; chunk += 7) {
		run(cri, chunk, &c);
		TM_STREQ(&st, c.text, "iteration 5/ 10 | x|next|tail|");
		TM_CHECK(&st, c.n == 3 && c.line[0] == 1 && c.line[1] == 4 && c.line[2] == 5);
		TM_CHECK(&st, c.ts[0] == t0 && c.ts[1] == t0 + 3 && c.stream[1] == 'e');
	}

	/* yearless times: a month after the reference's is the year before; a wrap goes forward */
	run("Dec 31 23:59:59 a\nJan  1 00:00:01 b\n", 1000, &c);
	TM_CHECK(&st, c.ts[0] == epoch(2024, 12, 31, 23, 59, 59) && c.ts[1] == epoch(2025, 1, 1, 0, 0, 1));
	run("I1231 23:59:59.000000 1 f.py:1] a\nI0101 00:00:01.000000 1 f.py:1] b\n", 1000, &c);
	TM_CHECK(&st, c.ts[0] == epoch(2024, 12, 31, 23, 59, 59) && c.ts[1] == epoch(2025, 1, 1, 0, 0, 1));
	/* without the wrap rule, a reference in December would put January in the same year */
	struct tm_lines l;
	tm_lines_init(&l, 0);
	l.yl.ref_year = 2024;
	l.yl.ref_mon = 12;
	memset(&c, 0, sizeof(c));
	tm_lines_feed(&l, "Jan  2 03:04:05 a\n", 18, collect, &c);
	tm_lines_release(&l);
	TM_CHECK(&st, c.ts[0] == epoch(2024, 1, 2, 3, 4, 5));

	/* the time formats on their own */
	struct tm_civil cv;
	TM_CHECK(&st, tm_time_parse_any("2023-07-25 21:03:17,269", 23, &cv) && cv.year == 2023 && cv.sec > 17.26);
	TM_CHECK(&st, tm_time_parse_any("2023-07-25T21:03:17-07:30 ", 26, &cv) && cv.zone_s == -27000);
	TM_CHECK(&st, !tm_time_parse_any("2023-07-25T21:03:17 and more", 28, &cv));
	char iso[40];
	tm_time_iso(iso, sizeof(iso), t0 + 0.1234);
	TM_STREQ(&st, iso, "2025-01-02T03:04:05.123Z");
	tm_time_iso(iso, sizeof(iso), epoch(2024, 2, 29, 23, 59, 59.9996));
	TM_STREQ(&st, iso, "2024-03-01T00:00:00Z");
	return tm_test_done(&st, "test_prefix");
}

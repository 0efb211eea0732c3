/* test_lines.c: the line splitter and record normaliser (src/lines.c).
 * Property: any chunking of the input gives the same records as one feed. */
#include <stdint.h>

#include "tm_test.h"
#include "trainmon/lines.h"

struct collect {
	char buf[1 << 16];
	size_t len;
	int n;
	int truncated;
	int ranks[64];
};

static int collect(void *ctx, const struct tm_record *r)
{
	struct collect *c = ctx;
	c->len += (size_t)snprintf(c->buf + c->len, sizeof(c->buf) - c->len, "%llu:%.*s|",
				   (unsigned long long)r->line, (int)r->len, r->p);
	if (c->n < 64)
		c->ranks[c->n] = r->rank;
	c->n++;
	c->truncated += r->truncated;
	return 0;
}

static void feed_chunks(const char *in, size_t n, size_t chunk, struct collect *c, size_t line_max)
{
	struct tm_lines l;
	tm_lines_init(&l, line_max);
	for (size_t i = 0; i < n; i += chunk)
		tm_lines_feed(&l, in + i, i + chunk < n ? chunk : n - i, collect, c);
	tm_lines_finish(&l, collect, c);
	tm_lines_release(&l);
}

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	static struct collect a, b;

	/* CRLF, \r redraws, ANSI colours, launcher prefixes, a last line with no newline */
	const char in[] =
		"plain line\r\n"
		"Epoch 0: 10%|#| 1/10 [loss=1]\rEpoch 0: 20%|##| 2/10 [loss=0.9]\r\n"
		"\x1b[31mstep:  1\x1b[39m  \x1b[32mloss: 2.5\x1b[39m\n"
		"12: [rank3]:iteration 5/ 10 |\n"
		"[default7]:hello\n"
		"(pretraining, pid=4112) ray line\n"
		"\n"
		"bin\x01\xff\xfejunk\n"
		"tail without newline";
	feed_chunks(in, sizeof(in) - 1, sizeof(in), &a, 0);
	TM_STREQ(&st, a.buf,
		 "1:plain line|2:Epoch 0: 10%|#| 1/10 [loss=1]|2:Epoch 0: 20%|##| 2/10 [loss=0.9]|"
		 "3:step:  1  loss: 2.5|4:iteration 5/ 10 ||5:hello|6:ray line|8:bin\x01\xff\xfejunk|"
		 "9:tail without newline|");
	TM_CHECK(&st, a.ranks[4] == 3);   /* srun label 12 then [rank3]: the innermost wins */
	TM_CHECK(&st, a.ranks[5] == 7);
	TM_CHECK(&st, a.ranks[0] == -1);

	/* every chunk size gives the same records */
	for (size_t chunk = 1; chunk < 40; chunk++) {
		memset(&b, 0, sizeof(b));
		feed_chunks(in, sizeof(in) - 1, chunk, &b, 0);
		TM_STREQ(&st, b.buf, a.buf);
	}

	/* over-long lines are cut to line_max, counted, and the next line still arrives */
	char big[3000];
	memset(big, 'x', sizeof(big));
	memcpy(big + 1000, "\nshort\n", 7);
	memcpy(big + 2990, "\nlast\n", 6);
	for (size_t chunk = 1; chunk <= 3000; chunk = chunk * 3 + 1) {
		memset(&b, 0, sizeof(b));
		feed_chunks(big, 2996, chunk, &b, 256);
		TM_CHECK(&st, b.n == 4);
		TM_CHECK(&st, b.truncated == 2);
		TM_CHECK(&st, strstr(b.buf, "2:short|") != NULL);
		TM_CHECK(&st, strstr(b.buf, "4:last|") != NULL);
	}

	/* offsets: tm_lines_offset() is just past the last complete line */
	struct tm_lines l;
	tm_lines_init(&l, 0);
	memset(&b, 0, sizeof(b));
	tm_lines_feed(&l, "abc\nde", 6, collect, &b);
	TM_CHECK(&st, tm_lines_offset(&l) == 4);
	tm_lines_feed(&l, "f\n", 2, collect, &b);
	TM_CHECK(&st, tm_lines_offset(&l) == 8);
	TM_STREQ(&st, b.buf, "1:abc|2:def|");
	tm_lines_release(&l);
	return tm_test_done(&st, "test_lines");
}

/* engine.c: the shared read -> split -> match -> fold pipeline (see engine.h).
 * Constant memory per file: the line buffer, the matcher scratch and the run's steps. */
#include <ctype.h>
#include <string.h>

#include "trainmon/engine.h"
#include "banned.h"

void tm_feed_init(struct tm_feed *f, const char *file, const struct tm_ruleset *rs, size_t line_max)
{
	f->trace = NULL;
	f->trace_ctx = NULL;
	tm_lines_init(&f->lines, line_max);
	tm_matcher_init(&f->m, rs);
	tm_run_init(&f->run, file, rs, &f->m);
}

void tm_feed_release(struct tm_feed *f)
{
	tm_run_release(&f->run);
	tm_matcher_release(&f->m);
	tm_lines_release(&f->lines);
}

int tm_feed_record(void *ctx, const struct tm_record *rec)
{
	struct tm_feed *f = ctx;
	if (f->trace)
		f->trace(f->trace_ctx, rec);
	f->run.line = rec->line;
	f->run.rank = rec->rank;
	return tm_match_record(&f->m, rec->p, rec->len, tm_run_hit, &f->run);
}

int tm_feed_fd_to_eof(struct tm_feed *f, int fd)
{
	for (;;) {
		ssize_t n = tm_lines_read(&f->lines, fd);
		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		tm_lines_drain(&f->lines, tm_feed_record, f);
	}
	tm_lines_finish(&f->lines, tm_feed_record, f);
	return 0;
}

int tm_feed_bytes(struct tm_feed *f, const char *p, size_t n, int final)
{
	tm_lines_feed(&f->lines, p, n, tm_feed_record, f);
	if (final)
		tm_lines_finish(&f->lines, tm_feed_record, f);
	return 0;
}

void tm_run_name_hints(struct tm_run *r, const char *path)
{
	if (r->sparams[TM_P_SLURM_JOB_ID])
		return;
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *dot = strrchr(base, '.');
	const char *end = dot ? dot : base + strlen(base);
	const char *p = end;
	while (p > base && isdigit((unsigned char)p[-1]))
		p--;
	size_t n = (size_t)(end - p);
	if (n < 3 || n > 12 || p == base || (p[-1] != '-' && p[-1] != '_'))
		return;
	char buf[16];
	memcpy(buf, p, n);
	buf[n] = '\0';
	tm_run_set_sparam(r, TM_P_SLURM_JOB_ID, buf, TM_SRC_PARAM_FILENAME);
}

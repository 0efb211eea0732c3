/* engine.c: the shared read -> split -> match -> fold pipeline (see engine.h).
 * Yearless times (syslog, glog) take their year from the file's last change (year_from).
 * Constant memory per file: the line buffer, the matcher scratch and the run's steps. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "trainmon/xalloc.h"

#include "trainmon/engine.h"
#include "banned.h"

void tm_feed_init(struct tm_feed *f, const char *file, const struct tm_ruleset *rs, size_t line_max)
{
	f->trace = NULL;
	f->trace_ctx = NULL;
	f->end = 0;
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
	tm_run_at(&f->run, rec->line, rec->rank, rec->ts);
	tm_run_at_prefix(&f->run, rec->cpre, rec->cpre_len);
	return tm_match_record(&f->m, rec->p, rec->len, tm_run_hit, &f->run);
}

/* The year of fd's yearless times: its last change's (or now); TRAINMON_YEAR=YYYY pins it. */
static void year_from(struct tm_feed *f, int fd)
{
	struct stat st;
	const char *env = getenv("TRAINMON_YEAR");   /* tests pin the year of yearless times */
	time_t t = env ? 0 : fstat(fd, &st) == 0 ? st.st_mtime : time(NULL);
	struct tm tmv;
	gmtime_r(&t, &tmv);
	f->lines.yl.ref_year = env ? (int)strtol(env, NULL, 10) : tmv.tm_year + 1900;
	f->lines.yl.ref_mon = env ? 12 : tmv.tm_mon + 1;
}

int tm_feed_fd_to_eof(struct tm_feed *f, int fd)
{
	if (!f->lines.yl.ref_year)
		year_from(f, fd);
	for (;;) {
		ssize_t n;
		if (f->end) {                  /* a range: read no further than f->end */
			uint64_t at = f->lines.off + f->lines.len;
			if (at >= f->end)
				break;
			n = tm_lines_read_max(&f->lines, fd, f->end - at);
		} else {
			n = tm_lines_read(&f->lines, fd);
		}
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

/* ---- the split read ---- */

#define SPLIT_MIN (64u << 20)   /* below this, one thread reads faster than two start */

struct half {
	struct tm_feed *g;
	const char *path;
	uint64_t from;
	int rc;
};

static void *read_second_half(void *arg)
{
	struct half *h = arg;
	int fd = open(h->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		h->rc = -errno;
		return NULL;
	}
	if (lseek(fd, (off_t)h->from, SEEK_SET) < 0) {
		h->rc = -errno;
	} else {
		tm_lines_reset(&h->g->lines, h->from, 0);
		h->rc = tm_feed_fd_to_eof(h->g, fd);
	}
	close(fd);
	return NULL;
}

int tm_feed_file_split(struct tm_feed *f, int fd, const char *path, uint64_t size)
{
	const char *env = getenv("TRAINMON_SPLIT_MIN");   /* tests force the split on small files */
	uint64_t min = env ? strtoull(env, NULL, 10) : (uint64_t)SPLIT_MIN;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (size < min || size < 2 || cpus < 2 || f->run.framework_forced)
		return tm_feed_fd_to_eof(f, fd);
	/* the first newline at or after the middle: the second half starts on a line */
	char buf[64 * 1024];
	uint64_t mid = size / 2, split = 0;
	ssize_t n = pread(fd, buf, sizeof(buf), (off_t)mid);
	const char *nl = n > 0 ? memchr(buf, '\n', (size_t)n) : NULL;
	if (!nl || mid + (uint64_t)(nl - buf) + 1 >= size)
		return tm_feed_fd_to_eof(f, fd);
	split = mid + (uint64_t)(nl - buf) + 1;

	struct tm_feed *g = tm_xcalloc(1, sizeof(*g));
	tm_feed_init(g, f->run.file, f->run.rs, f->lines.line_max);
	struct half h = { .g = g, .path = path, .from = split };
	pthread_t th;
	int threaded = pthread_create(&th, NULL, read_second_half, &h) == 0;
	f->end = split;
	int rc = tm_feed_fd_to_eof(f, fd);
	f->end = 0;
	if (!threaded)
		read_second_half(&h);
	else
		pthread_join(th, NULL);
	if (rc == 0 && h.rc == 0 && tm_run_append(&f->run, &g->run, f->lines.line) < 0) {
		/* the second half needs the first's state: read it again, on from where f stopped */
		tm_feed_release(g);
		tm_feed_init(g, f->run.file, f->run.rs, f->lines.line_max);
		if (lseek(fd, (off_t)split, SEEK_SET) < 0)
			rc = -errno;
		else
			rc = tm_feed_fd_to_eof(f, fd);
		h.rc = 0;
	}
	if (rc == 0)
		rc = h.rc;
	f->lines.lines += g->lines.lines;
	f->lines.line += g->lines.line;
	f->lines.truncated += g->lines.truncated;
	f->lines.records += g->lines.records;
	f->m.records += g->m.records;
	f->m.literal_records += g->m.literal_records;
	f->m.regex_runs += g->m.regex_runs;
	f->m.regex_aborted += g->m.regex_aborted;
	tm_feed_release(g);
	free(g);
	return rc;
}

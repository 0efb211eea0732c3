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
#include "trainmon/pool.h"
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

/* ---- the split read ----
 * A large file is cut at newlines into chunks. The caller's thread reads from the front into f,
 * chunk after chunk, up to the middle; the first other thread (the lead) reads from the middle
 * on, chunk after chunk, into one feed of its own (g[mid0]), so both halves go straight into
 * stores that grow on huge pages. A thread with nothing left in its own range takes chunks from
 * the top of what is unclaimed (the back half's first, then the front half's), each into a feed
 * of its own: a slower core, a busy neighbour, and the faster threads read more. Feeds are joined
 * to f in file order (tm_run_append) by whichever thread completes the next chunk, under a lock,
 * and freed; the lead's feed once its run has ended. Before, every chunk but the front's had a
 * feed of its own, and each new 4 KiB page of those stores was a fault (on a virtual machine a
 * costly one). A chunk whose records need the state before it is read again into f where the
 * joins stand. The result is what one pass gives. */

#define SPLIT_MIN (64u << 20)   /* below this, one thread reads faster than two start */
#define SPLIT_CHUNKS 8          /* at most this many chunks; each at least SPLIT_MIN / 2 */
#define SPLIT_THREADS 8         /* at most this many threads, the caller's included */

struct chunks {
	const char *path;
	const char *file;           /* borrowed: f's run's file name, ruleset and line limit, for */
	const struct tm_ruleset *rs;   /* the chunks' feeds */
	size_t line_max;
	const uint64_t *at;         /* borrowed: chunk k is bytes [at[k], at[k + 1]), the last to EOF */
	size_t n;
	uint64_t size;
	struct tm_feed **g;         /* borrowed: chunk k's feed (the lead's run: chunk mid0's), made
				       by the thread that reads it, freed once joined */
	int *rc;                    /* borrowed: chunk k's read status */
	size_t mid0;                /* where the lead's run starts */
	pthread_mutex_t mu;         /* guards what follows */
	size_t lo, mid, next, hi;   /* chunks [lo, mid) and [next, hi) are unclaimed: the front takes
				       lo, the lead next, the others hi - 1, else mid - 1 */
	int lead;                   /* a thread leads (reads from mid0 on into g[mid0]) */
	size_t gend;                /* the lead's run is chunks [mid0, gend) (SIZE_MAX: not ended) */
	unsigned char *done;        /* borrowed: chunk k is read (into its feed, or into f) */
	unsigned char *in_f;        /* borrowed: chunk k was read into f by the front: no join */
	size_t joined;              /* chunks [0, joined) are in f */
	struct tm_feed *f;          /* borrowed: the file's feed */
	int fd;                     /* borrowed: f's descriptor, for reading a chunk again */
	uint64_t f_at;              /* where f's lines stand */
	int frc;                    /* f's status: 0 or -errno */
};

/* Whether chunk k was read into the lead's feed after its first (joined with it); with c->mu
 * held, once the lead's run has ended. */
static int in_lead_run(const struct chunks *c, size_t k)
{
	return c->lead && k > c->mid0 && k < c->gend;
}

/* Joins chunk k (k >= 1) to f, with the chunks after it its feed holds (the lead's run); with
 * c->mu held. */
static void join_chunk(struct chunks *c, size_t k)
{
	size_t e = k == c->mid0 && c->lead ? c->gend : k + 1;   /* the feed holds chunks [k, e) */
	struct tm_feed *f = c->f, *g = c->g[k];
	if (c->frc == 0 && c->rc[k] != 0)
		c->frc = c->rc[k];
	if (c->frc == 0 && tm_run_append(&f->run, &g->run, f->lines.line) == 0) {
		f->lines.lines += g->lines.lines;
		f->lines.line += g->lines.line;
		f->lines.truncated += g->lines.truncated;
		f->lines.records += g->lines.records;
		f->m.records += g->m.records;
		f->m.literal_records += g->m.literal_records;
		f->m.regex_runs += g->m.regex_runs;
		f->m.regex_aborted += g->m.regex_aborted;
	} else if (c->frc == 0) {
		/* chunk k needs the state before it: read it again into f, on from the joins */
		if (c->f_at != c->at[k]) {
			struct tm_yearless yl = f->lines.yl;
			tm_lines_reset(&f->lines, c->at[k], f->lines.line);
			f->lines.yl = yl;
		}
		f->end = e < c->n ? c->at[e] : 0;
		c->frc = lseek(c->fd, (off_t)c->at[k], SEEK_SET) < 0 ? -errno : tm_feed_fd_to_eof(f, c->fd);
		f->end = 0;
		c->f_at = e < c->n ? c->at[e] : c->size;
	}
	tm_feed_release(g);
	free(g);
	c->g[k] = NULL;
}

/* Chunk k is read: joins every chunk that now can be, in order. */
static void chunk_done(struct chunks *c, size_t k)
{
	pthread_mutex_lock(&c->mu);
	c->done[k] = 1;
	for (; c->joined < c->n && c->done[c->joined]; c->joined++)
		if (c->in_f[c->joined])
			c->f_at = c->joined + 1 < c->n ? c->at[c->joined + 1] : c->size;
		else if (!in_lead_run(c, c->joined))
			join_chunk(c, c->joined);
	pthread_mutex_unlock(&c->mu);
}

/* A feed for chunks from k on, its store made for a step line every 128 bytes up to `end`: a
 * page is touched only when a row on it is written, so this takes address space, not memory,
 * and spares the columns' growth its copies (each copy's pages are new faults). small: 4 KiB
 * pages (a chunk's short-lived columns: no mostly empty huge page). */
static struct tm_feed *chunk_feed(struct chunks *c, size_t k, uint64_t end, int small)
{
	struct tm_feed *g = c->g[k] = tm_xcalloc(1, sizeof(*g));
	tm_feed_init(g, c->file, c->rs, c->line_max);
	g->run.steps.small_pages = small;
	g->run.steps.expect = (size_t)((end - c->at[k]) / 128);
	return g;
}

/* Reads chunk k's bytes into g from where g's lines stand (first: seeks to it); its status. */
static int read_chunk(struct chunks *c, struct tm_feed *g, int fd, size_t k, int first, char **buf, size_t *cap)
{
	if (first) {
		if (*buf)
			tm_lines_lend(&g->lines, *buf, *cap);
		tm_lines_reset(&g->lines, c->at[k], 0);
		if (lseek(fd, (off_t)c->at[k], SEEK_SET) < 0)
			return -errno;
	}
	g->end = k + 1 < c->n ? c->at[k + 1] : 0;
	int rc = tm_feed_fd_to_eof(g, fd);
	g->end = 0;
	return rc;
}

/* Reads chunks until none is left (opening the file for itself); one read buffer passed from
 * each chunk's feed to the next. may_lead: this thread may be the lead (the front may not). */
static void read_chunks(struct chunks *c, int may_lead)
{
	int fd = open(c->path, O_RDONLY | O_CLOEXEC);
	int open_err = fd < 0 ? errno : 0;      /* errno would not last until a chunk is taken */
	char *buf = NULL;
	size_t cap = 0;
	pthread_mutex_lock(&c->mu);
	int lead = may_lead && !c->lead && c->next < c->hi && fd >= 0;
	if (lead) {
		c->lead = 1;
		c->next++;                     /* mid0: only the lead moves next */
	}
	pthread_mutex_unlock(&c->mu);
	if (lead) {
		/* the lead's run: chunk after chunk from mid0 into g[mid0], while the next is free
		 * (after an error the rest is left to the others) */
		struct tm_feed *g = chunk_feed(c, c->mid0, c->size, 0);
		int rc = 0;
		for (size_t k = c->mid0;;) {
			rc = read_chunk(c, g, fd, k, k == c->mid0, &buf, &cap);
			pthread_mutex_lock(&c->mu);
			k = rc == 0 && c->next < c->hi ? c->next++ : SIZE_MAX;
			if (k == SIZE_MAX)
				c->gend = c->next;
			pthread_mutex_unlock(&c->mu);
			if (k == SIZE_MAX)
				break;
		}
		tm_lines_take_buffer(&g->lines, &buf, &cap);
		pthread_mutex_lock(&c->mu);
		c->rc[c->mid0] = rc;
		for (size_t k = c->mid0 + 1; k < c->gend; k++)
			c->done[k] = 1;
		pthread_mutex_unlock(&c->mu);
		chunk_done(c, c->mid0);
	}
	for (;;) {
		pthread_mutex_lock(&c->mu);
		size_t k = c->next < c->hi ? --c->hi : c->lo < c->mid ? --c->mid : SIZE_MAX;
		pthread_mutex_unlock(&c->mu);
		if (k == SIZE_MAX)
			break;
		uint64_t end = k + 1 < c->n ? c->at[k + 1] : c->size;
		struct tm_feed *g = chunk_feed(c, k, end, 1);
		if (fd < 0) {
			c->rc[k] = -open_err;
		} else {
			c->rc[k] = read_chunk(c, g, fd, k, 1, &buf, &cap);
			tm_lines_take_buffer(&g->lines, &buf, &cap);
		}
		chunk_done(c, k);
	}
	free(buf);
	if (fd >= 0)
		close(fd);
}

static void *chunk_worker(void *arg)
{
	read_chunks(arg, 1);
	return NULL;
}

/* Whether a chunk may begin right after the line p[0, n) (its newline excluded): not after a
 * CRI partial line, whose record goes on in the next line. */
static int clean_end(const char *p, size_t n)
{
	size_t k = n < 64 ? n : 64;     /* "<time> stdout P " opens the line */
	return !memmem(p, k, " stdout P ", 10) && !memmem(p, k, " stderr P ", 10);
}

/* The first clean chunk start after `from` (a newline's next byte, within 64 KiB), or 0. The
 * line `from` falls in is not seen whole, so the newline ending it is passed over. */
static uint64_t chunk_start(int fd, uint64_t from, uint64_t size)
{
	char buf[64 * 1024];
	ssize_t n = pread(fd, buf, sizeof(buf), (off_t)from);
	if (n <= 0)
		return 0;
	const char *p = buf, *end = buf + n, *line = NULL;
	for (const char *nl; p < end && (nl = memchr(p, '\n', (size_t)(end - p))); p = nl + 1) {
		uint64_t at = from + (uint64_t)(nl + 1 - buf);
		if (line && at < size && clean_end(line, (size_t)(nl - line)))
			return at;
		line = nl + 1;          /* lines from here are seen whole */
	}
	return 0;
}

int tm_feed_file_split(struct tm_feed *f, int fd, const char *path, uint64_t size)
{
	const char *env = getenv("TRAINMON_SPLIT_MIN");   /* tests force the split on small files */
	uint64_t min = env ? strtoull(env, NULL, 10) : (uint64_t)SPLIT_MIN;
	unsigned cpus = tm_pool_threads(SPLIT_THREADS);
	if (size < min || size < 2 || cpus < 2 || f->run.framework_forced)
		return tm_feed_fd_to_eof(f, fd);
	uint64_t chunk = size / SPLIT_CHUNKS > min / 2 ? size / SPLIT_CHUNKS : min / 2;
	size_t want = chunk ? (size_t)(size / chunk) : 1;
	if (want > SPLIT_CHUNKS)
		want = SPLIT_CHUNKS;
	uint64_t at[SPLIT_CHUNKS + 1];
	size_t n = 1;
	at[0] = 0;
	for (size_t k = 1; k < want; k++) {
		uint64_t s = chunk_start(fd, size / want * k, size);
		if (s > at[n - 1])
			at[n++] = s;
	}
	if (n < 2)
		return tm_feed_fd_to_eof(f, fd);
	struct tm_feed *g[SPLIT_CHUNKS] = { NULL };
	int rcs[SPLIT_CHUNKS] = { 0 };
	unsigned char done[SPLIT_CHUNKS] = { 0 }, in_f[SPLIT_CHUNKS] = { 0 };
	size_t mid0 = (n + 1) / 2;
	struct chunks c = { .path = path, .file = f->run.file, .rs = f->run.rs, .line_max = f->lines.line_max,
			    .at = at, .n = n, .size = size, .g = g, .rc = rcs, .mid0 = mid0, .lo = 1, .mid = mid0,
			    .next = mid0, .hi = n, .gend = SIZE_MAX, .done = done, .in_f = in_f,
			    .f = f, .fd = fd, .f_at = at[1] };
	pthread_mutex_init(&c.mu, NULL);
	size_t nth = cpus;
	if (nth > n)
		nth = n;
	pthread_t th[SPLIT_THREADS];
	size_t started = 0;
	for (; started + 1 < nth; started++)
		if (pthread_create(&th[started], NULL, chunk_worker, &c) != 0)
			break;
	/* the front: chunk 0, then each next chunk up to mid0 no other thread has taken, on in f
	 * (tests cap how many, so that the other threads' chunks and their joins are sure to be
	 * exercised); then it takes what is left like the others */
	const char *fenv = getenv("TRAINMON_SPLIT_FRONT");
	size_t front = fenv ? (size_t)strtoull(fenv, NULL, 10) : 0, nfront = 0;
	if (front == 0)
		front = n;
	for (size_t k = 0; k != SIZE_MAX;) {
		f->end = k + 1 < n ? at[k + 1] : 0;
		int rc = tm_feed_fd_to_eof(f, fd);
		pthread_mutex_lock(&c.mu);
		if (c.frc == 0)
			c.frc = rc;
		in_f[k] = 1;
		k = rc == 0 && ++nfront < front && c.lo < c.mid ? c.lo++ : SIZE_MAX;
		pthread_mutex_unlock(&c.mu);
	}
	f->end = 0;
	for (size_t k = 0; k < n && in_f[k]; k++)
		chunk_done(&c, k);
	read_chunks(&c, 0);
	for (size_t t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	pthread_mutex_destroy(&c.mu);
	return c.frc;
}

/* analysis.c: one finished log analysed as `analyze` does it (see analysis.h), shared by the
 * commands over finished files so that `compare` reports exactly the numbers `analyze` prints.
 *
 * The file is read through the engine to EOF (a large regular file in chunks on several threads
 * when the caller allows it), summarised, its anomalies found; with more than one step-time
 * regime the summary is made again on the last regime's median. Messages go to the caller's
 * FILE; nothing here exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trainmon/analysis.h"
#include "trainmon/scan_memo.h"
#include "trainmon/cmd.h"
#include "trainmon/xalloc.h"
#include "banned.h"

#define I(field) offsetof(struct tm_analysis_input, field)
static const struct tm_opt input_rows[] = {
	{ .kind = TM_OPT_HEADING, .help = "Rules:" },
	{ .kind = TM_OPT_LIST, .name = "rules", .arg = "PATH", .off = I(rules),
	  .help = "extra rule pack file or directory (repeatable)" },
	{ .kind = TM_OPT_BOOL, .name = "no-default-rules", .off = I(no_default),
	  .help = "do not load the installed packs" },
	{ .kind = TM_OPT_STR, .name = "framework", .arg = "NAME", .off = I(framework),
	  .help = "take steps from this pack only (default: detected per file)" },
	{ .kind = TM_OPT_SIZE, .name = "line-max", .arg = "BYTES", .off = I(line_max), .min = 256, .max = 64e6,
	  .expect = "a size from 256 to 64M", .help = "longer lines are cut and counted (default 65536)" },
	{ .kind = TM_OPT_CONFIG, .name = "config", .arg = "FILE", .off = I(config),
	  .help = "YAML file whose `job:` mapping sets the job options below" },
	{ .kind = TM_OPT_HELP, .name = "help", .shortc = 'h', .help = "this text" },
};
#undef I

void tm_analysis_groups(struct tm_opt_group *g)
{
	g[1] = (struct tm_opt_group){ input_rows, sizeof(input_rows) / sizeof(input_rows[0]), NULL };
	g[2] = (struct tm_opt_group){ NULL, 0, "job" };
	g[2].opts = tm_job_opts(&g[2].nopts);
	g[3] = (struct tm_opt_group){ NULL, 0, "anomalies" };
	g[3].opts = tm_anomaly_opts(&g[3].nopts);
}

static int load_rules(struct tm_analysis_env *e, int status, const char *cmd, FILE *err)
{
	int sys = 0;
	if (status == TM_EXIT_OK)
		sys = tm_ruleset_load_all(&e->rs, e->in.rules.v, e->in.rules.n, e->in.no_default, &e->d) < 0;
	if (status == TM_EXIT_OK && (e->d.errors || sys))
		status = sys ? TM_EXIT_SYSTEM : TM_EXIT_INPUT;
	if (status == TM_EXIT_OK && e->in.framework && !tm_pack_find(&e->rs, e->in.framework)) {
		fprintf(err, "trainmon %s: --framework: no loaded pack is named '%s' (trainmon rules list)\n",
			cmd, e->in.framework);
		status = TM_EXIT_USAGE;
	}
	tm_diag_print(&e->d, err);
	if (status == TM_EXIT_OK)
		tm_ruleset_finish(&e->rs, &e->d);
	return status;
}

int tm_analysis_env_setup(struct tm_analysis_env *e, struct tm_cli *cli, void *own, const char *cmd, FILE *err)
{
	memset(e, 0, sizeof(*e));
	e->in.line_max = TM_LINE_MAX_DEFAULT;
	tm_job_init(&e->job);
	tm_anomaly_cfg_init(&e->anomalies);
	tm_diag_init(&e->d);
	tm_ruleset_init(&e->rs);
	char msg[320];
	void *const dst[TM_ANALYSIS_NGROUPS] = { own, &e->in, &e->job, &e->anomalies };
	int rc = tm_cli_apply(cli, dst, NULL, &e->d, msg, sizeof(msg));
	if (rc == -EINVAL) {
		fprintf(err, "trainmon %s: %s\n", cmd, msg);
		return TM_EXIT_USAGE;
	}
	return load_rules(e, rc == 0 ? TM_EXIT_OK : rc < 0 ? TM_EXIT_SYSTEM : TM_EXIT_INPUT, cmd, err);
}

void tm_analysis_env_release(struct tm_analysis_env *e)
{
	tm_diag_release(&e->d);
	tm_ruleset_release(&e->rs);
	tm_strv_release(&e->in.rules);
}

/* Reads one file to its end; every message goes to err. Returns the feed, or NULL. */
void tm_read_bufs_init(struct tm_read_bufs *b)
{
	memset(b, 0, sizeof(*b));
	pthread_mutex_init(&b->mu, NULL);
}

void tm_read_bufs_release(struct tm_read_bufs *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->buf[i]);
	for (size_t i = 0; i < b->nmemo; i++)
		tm_scan_memo_free(b->memo[i]);
	pthread_mutex_destroy(&b->mu);
	memset(b, 0, sizeof(*b));
}

/* A kept buffer for f's reads and a kept scan memo, if there are. */
static void borrow_buf(struct tm_read_bufs *b, struct tm_feed *f)
{
	char *buf = NULL;
	size_t cap = 0;
	struct tm_scan_memo *memo = NULL;
	pthread_mutex_lock(&b->mu);
	if (b->n) {
		b->n--;
		buf = b->buf[b->n];
		cap = b->cap[b->n];
	}
	if (b->nmemo)
		memo = b->memo[--b->nmemo];
	pthread_mutex_unlock(&b->mu);
	if (buf)
		tm_lines_lend(&f->lines, buf, cap);
	if (memo)
		tm_matcher_adopt_memo(&f->m, memo);
}

/* f's read buffer and scan memo back for the next file (freed when the store is full). */
static void return_buf(struct tm_read_bufs *b, struct tm_feed *f)
{
	char *buf;
	size_t cap;
	tm_lines_take_buffer(&f->lines, &buf, &cap);
	struct tm_scan_memo *memo = tm_matcher_take_memo(&f->m);
	pthread_mutex_lock(&b->mu);
	if (buf && b->n < TM_READ_BUFS) {
		b->buf[b->n] = buf;
		b->cap[b->n++] = cap;
		buf = NULL;
	}
	if (memo && b->nmemo < TM_READ_BUFS) {
		b->memo[b->nmemo++] = memo;
		memo = NULL;
	}
	pthread_mutex_unlock(&b->mu);
	free(buf);
	tm_scan_memo_free(memo);
}

static struct tm_feed *read_file(const struct tm_analysis_cfg *c, const char *path, FILE *err)
{
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(err, "trainmon %s: %s: %s\n", c->cmd, path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) < 0)
		memset(&st, 0, sizeof(st));
	if (S_ISDIR(st.st_mode)) {
		fprintf(err, "trainmon %s: %s: is a directory\n", c->cmd, path);
		close(fd);
		return NULL;
	}
	struct tm_feed *f = tm_xcalloc(1, sizeof(*f));
	tm_feed_init(f, path, c->rs, c->in->line_max);
	if (c->bufs)
		borrow_buf(c->bufs, f);
	if (c->in->framework)
		tm_run_force_framework(&f->run, c->in->framework);
	/* a large regular file is read in chunks on several threads, with the same result */
	int rc = c->split && fd != 0 && S_ISREG(st.st_mode) ? tm_feed_file_split(f, fd, path, (uint64_t)st.st_size)
							  : tm_feed_fd_to_eof(f, fd);
	/* a file that shrank while we read it (copytruncate, a rewrite) gave us part of one version
	 * and maybe part of another: say so rather than print numbers that look whole */
	struct stat after;
	if (rc == 0 && S_ISREG(st.st_mode) && fstat(fd, &after) == 0 && after.st_size < st.st_size) {
		fprintf(err, "trainmon %s: %s: truncated while it was read (%lld bytes, then %lld): "
			"the numbers would cover part of it\n", c->cmd, path, (long long)st.st_size,
			(long long)after.st_size);
		rc = -ESTALE;
	}
	if (fd != 0)
		close(fd);
	if (c->bufs)
		return_buf(c->bufs, f);         /* read to the end: the next file's */
	tm_run_settle(&f->run);             /* the framework, from the whole file */
	if (rc < 0) {
		if (rc != -ESTALE)
			fprintf(err, "trainmon %s: %s: read error: %s\n", c->cmd, path, strerror(-rc));
		tm_feed_release(f);
		free(f);
		return NULL;
	}
	return f;
}

void tm_analysis_file(struct tm_analysis *a, const struct tm_analysis_cfg *c, const char *path, FILE *err)
{
	memset(a, 0, sizeof(*a));
	tm_anomalies_init(&a->an);
	a->f = read_file(c, path, err);
	a->failed = a->f == NULL;
	if (!a->f)
		return;
	struct tm_feed *f = a->f;
	tm_run_name_hints(&f->run, path);
	if (getenv("TRAINMON_DEBUG_STATS"))
		fprintf(err, "%s: %llu records, %llu holding a rule literal, %llu regex runs, %zu step records "
			"in %zu bytes of columns\n", path, (unsigned long long)f->m.records,
			(unsigned long long)f->m.literal_records, (unsigned long long)f->m.regex_runs,
			f->run.nsteps, tm_steps_bytes(&f->run.steps));
	struct tm_summary stats;                /* level-free half: derived again below if need be */
	tm_summary_stats(&f->run, c->job, &stats);
	a->s = stats;
	tm_summary_derive(&f->run, c->job, NAN, &a->s);
	if (f->lines.truncated)
		fprintf(err, "trainmon %s: %s: %llu lines longer than %zu bytes were cut (--line-max)\n",
			c->cmd, path, (unsigned long long)f->lines.truncated, f->lines.line_max);
	if (f->m.regex_aborted)
		fprintf(err, "trainmon %s: %s: %llu regex runs hit a PCRE2 limit and count as no match\n",
			c->cmd, path, (unsigned long long)f->m.regex_aborted);
	if (f->run.nsteps == 0 && f->run.nevents == 0) {
		fprintf(err, "trainmon %s: %s: no step records or events found (%llu lines; framework %s)\n",
			c->cmd, path, (unsigned long long)f->lines.lines,
			a->s.framework ? a->s.framework : "not detected");
		a->nothing = 1;
	}
	tm_anomalies_find(&a->an, &f->run, a->s.warmup_records, c->anomalies);
	if (a->an.nregimes > 1) {               /* the basis: the last regime's level */
		a->s = stats;
		tm_summary_derive(&f->run, c->job, a->an.regimes[a->an.nregimes - 1].median, &a->s);
	}
}

void tm_analysis_release(struct tm_analysis *a)
{
	if (a->f) {
		tm_feed_release(a->f);
		free(a->f);
	}
	tm_anomalies_release(&a->an);
	memset(a, 0, sizeof(*a));
}

/* state.c: saving and loading the watch state (see state.h).
 *
 * Format, one record per line, all strings hex-encoded so paths and messages need no quoting:
 *   trainmon-state 4
 *   tail PATHHEX / pos DEV INO OFF LINE MARKERHEX HEADLEN HEADHASH WINLEN WINHASH BTIME
 *   run FWHEX STEPBASE DUPS CTOKENS SELFRANK DROPPED [FIRST_TS LAST_TS]
 *   param I V / sparam I HEX / step 11 numbers [TS] / evcount K N
 *   event LINE LAST COUNT KIND SEV MSGHEX TS LAST_TS CODE RANK NRANKS BEYOND NHOSTS HOSTHEX RANKSHEX
 *   evinc K N / skip TOTAL SINCE STEPS STEPLINE           (version 3)
 *   phase KIND STEP START_TS END_TS DURATION LINE NSTEPS_AT CLOSED   (version 4)
 *   alerts ... / anreg ... / anspike ... / anstrag ...  (version 4: state_anomaly.c) / end
 *   note SINKHEX AM IDHEX RUNHEX ALERTHEX BODYHEX STARTS ENDS HOLD ATTEMPTS   (version 3)
 *   chain NAMEHEX SECONDS*9 TOKENS INTERRUPTIONS*8        (version 4: bucket and category order
 *                                                           of chain.h and interrupt.h)
 *   checksum FNV1A64-of-everything-above
 * Doubles are printed with %.17g so they read back bit for bit. BTIME is SEC.NSEC or '-'. A
 * version 1 file (pos without the identity fields) still loads, and a version 2 file (no note
 * records: nothing was pending) as well: its positions are checked by
 * inode and marker only, as version 1 did, until the next save writes the identity. The wall-clock
 * times in brackets are read when present (files written before they were saved lack them).
 * Version 3 made events incidents: an event line carries its time, code, ranks (the bitmap's
 * bytes, trailing zero bytes cut) and host; a version 1 or 2 event loads with those unknown and
 * one incident per entry. Version 4 added the runs' phase records (checkpoint saves and loads,
 * evaluations: the chains' ledger needs them), the anomaly detectors' records and the chains'
 * counters; a version 3 file loads
 * with no phase records (the ledger then counts saves and loads as other until the log prints
 * new ones), no counters (they start from the ledger of the runs restored), and no anomaly
 * detectors' records (they start afresh at the saved step cursor).
 * Saves stream through a checksumming stdio cookie straight to the temp file (no in-memory copy),
 * and the daemon runs them in a forked child (copy-on-write snapshot, as redis BGSAVE does):
 * copying the runs for a thread would cost as much as the save. Must not print or exit (the
 * child's _exit is its only way out).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trainmon/fnv.h"
#include "trainmon/io.h"
#include "trainmon/state.h"
#include "trainmon/xalloc.h"
#include "state_int.h"
#include "banned.h"

#define STATE_MAX (1u << 30)

static void put_hex(FILE *f, const void *p, size_t n)
{
	const unsigned char *u = p;
	if (n == 0)
		fputc('-', f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", u[i]);
}

static void put_level(FILE *f, const struct tm_level *l)
{
	fprintf(f, " %d %" PRIu32 " %.17g %.17g", l->firing, l->streak, l->since_step_s, l->value);
}

static void write_entry(FILE *f, const struct tm_state_entry *e)
{
	const struct tm_tail *t = e->tail;
	const struct tm_run *r = &t->feed.run;
	fputs("tail ", f);
	put_hex(f, t->path, strlen(t->path));
	fputc('\n', f);
	struct tm_state_pos cur = { 0 };
	const struct tm_state_pos *ps = e->pos;
	if (!ps) {
		tm_state_pos_capture(t, &cur);
		ps = &cur;
	}
	if (ps->valid) {
		const struct tm_tail_ident *id = &ps->ident;
		fprintf(f, "pos %ju %ju %" PRIu64 " %" PRIu64 " ", (uintmax_t)ps->dev, (uintmax_t)ps->ino, ps->off, ps->line);
		put_hex(f, ps->marker, ps->marker_len);
		fprintf(f, " %" PRIu32 " %016" PRIx64 " %" PRIu32 " %016" PRIx64, id->head_len, id->head_hash,
			id->win_len, id->win_hash);
		if (id->has_btime)
			fprintf(f, " %" PRId64 ".%09" PRIu32 "\n", id->btime_s, id->btime_ns);
		else
			fputs(" -\n", f);
	}
	fputs("run ", f);
	const char *fw = r->framework >= 0 ? r->rs->packs[r->framework].name : "";
	put_hex(f, fw, strlen(fw));
	fprintf(f, " %d %" PRIu64 " %.17g %d %" PRIu64 " %.17g %.17g\n", r->step_base, r->dup_steps,
		r->consumed_tokens, r->self_rank, r->steps_dropped, r->first_ts, r->last_ts);
	for (int p = 0; p < TM_P_N; p++) {
		if (p < TM_P_NUM_STRINGS_FROM_HERE && !isnan(r->params[p]))
			fprintf(f, "param %d %.17g %" PRIu64 "\n", p, r->params[p], r->param_line[p]);
		if (p >= TM_P_NUM_STRINGS_FROM_HERE && r->sparams[p]) {
			fprintf(f, "sparam %d ", p);
			put_hex(f, r->sparams[p], strlen(r->sparams[p]));
			fputc('\n', f);
		}
	}
	for (size_t i = 0; i < r->nsteps; i++) {
		const struct tm_step s_v = tm_run_step(r, i), *s = &s_v;
		fprintf(f, "step %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g %.17g %" PRIu32 " %.17g %u\n",
			s->step, s->time_s, s->consumed, s->loss, s->global_batch, s->tflops, s->mfu,
			s->tokens_per_s_per_gpu, s->tokens_per_s, s->samples_per_s, s->line, s->ts,
			(unsigned)s->time_src);
	}
	for (size_t i = 0; i < r->nevents; i++) {
		const struct tm_event *ev = &r->events[i];
		fprintf(f, "event %" PRIu64 " %" PRIu64 " %" PRIu64 " %d %d ", ev->line, ev->last_line, ev->count,
			(int)ev->kind, (int)ev->severity);
		put_hex(f, ev->message, strlen(ev->message));
		fprintf(f, " %.17g %.17g %d %d %" PRIu32 " %" PRIu32 " %" PRIu32 " ", ev->ts, ev->last_ts, ev->code,
			ev->rank, ev->nranks, ev->ranks_beyond, ev->nhosts);
		put_hex(f, ev->host, strlen(ev->host));
		fputc(' ', f);
		size_t nb = sizeof(ev->ranks);
		const unsigned char *rb = (const unsigned char *)ev->ranks;
		while (nb && !rb[nb - 1])
			nb--;
		put_hex(f, rb, nb);
		fputc('\n', f);
	}
	for (int k = 0; k < TM_EV_N; k++)
		if (r->incident_counts[k])
			fprintf(f, "evinc %d %" PRIu64 "\n", k, r->incident_counts[k]);
	fprintf(f, "skip %.17g %.17g %.17g %" PRIu64 "\n", r->skipped_total, r->skip_since, r->skipped_steps,
		r->step_line);
	fprintf(f, "evdropped %" PRIu64 "\n", r->events_dropped);
	for (size_t i = 0; i < r->nphases; i++) {
		const struct tm_phase *p = &r->phases[i];
		fprintf(f, "phase %d %.17g %.17g %.17g %.17g %" PRIu64 " %zu %d\n", (int)p->kind, p->step, p->start_ts,
			p->end_ts, p->duration_s, p->line, p->nsteps_at, p->closed);
	}
	for (int k = 0; k < TM_EV_N; k++)
		if (r->event_counts[k])
			fprintf(f, "evcount %d %" PRIu64 "\n", k, r->event_counts[k]);
	const struct tm_alerts *a = e->alerts;
	fputs("alerts", f);
	put_level(f, &a->low_mfu);
	put_level(f, &a->drop);
	put_level(f, &a->stall);
	fprintf(f, " %d %d %zu ", a->finished, a->ended, a->step_cursor);
	put_hex(f, a->failure_fired, sizeof(a->failure_fired));
	fputc('\n', f);
	for (int k = 0; k < TM_EV_N; k++)
		if (a->events_seen[k])
			fprintf(f, "evseen %d %" PRIu64 "\n", k, a->events_seen[k]);
	tm__state_put_anomalies(f, &a->an);
	fputs("end\n", f);
}

/* The temp file's stream: every byte written passes through the checksum on its way to the fd,
 * so a save needs no copy of the whole state in memory (a 10 x 200 000-step state is ~150 MB). */
struct sink {
	int fd;
	int err;                    /* first write error, -errno */
	uint64_t h;                 /* FNV-1a 64 of every byte written so far */
};

static ssize_t sink_write(void *cookie, const char *p, size_t n)
{
	struct sink *s = cookie;
	s->h = tm_fnv1a(s->h, p, n);
	for (size_t done = 0; done < n && !s->err;) {
		ssize_t k = write(s->fd, p + done, n - done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			s->err = -errno;
		else
			done += (size_t)k;
	}
	return s->err ? -1 : (ssize_t)n;
}

static void temp_name(char *out, size_t n, const char *path, long pid)
{
	snprintf(out, n, "%s.tmp.%ld", path, pid);
}

void tm_state_pos_capture(const struct tm_tail *t, struct tm_state_pos *last)
{
	struct tm_state_pos p = { .valid = 1 };
	if (tm_tail_position(t, &p.dev, &p.ino, &p.off, &p.line, p.marker, &p.marker_len, &p.ident) == 0)
		*last = p;
}

static void write_note(FILE *f, const struct tm_state_note *x)
{
	fputs("note ", f);
	put_hex(f, x->sink, strlen(x->sink));
	fprintf(f, " %d ", x->am);
	put_hex(f, x->id, strlen(x->id));
	fputc(' ', f);
	put_hex(f, x->run, strlen(x->run));
	fputc(' ', f);
	put_hex(f, x->alert ? x->alert : "", x->alert ? strlen(x->alert) : 0);
	fputc(' ', f);
	put_hex(f, x->body, strlen(x->body));
	fprintf(f, " %" PRId64 " %" PRId64 " %" PRId64 " %" PRIu32 "\n", x->starts_ms, x->ends_ms, x->hold_ms,
		x->attempts);
}

static void write_chain(FILE *f, const struct tm_chain_counters *c)
{
	fputs("chain ", f);
	put_hex(f, c->name, strlen(c->name));
	for (int b = 0; b < TM_B_N; b++)
		fprintf(f, " %.17g", c->bucket[b]);
	fprintf(f, " %.17g", c->tokens);
	for (int k = 0; k < TM_IC_N; k++)
		fprintf(f, " %" PRIu64, c->interruptions[k]);
	fputc('\n', f);
}

int tm_state_save(const char *path, const struct tm_state_entry *v, size_t n)
{
	return tm_state_save_with(path, v, n, NULL);
}

int tm_state_save_with(const char *path, const struct tm_state_entry *v, size_t n, const struct tm_state_extra *x)
{
	char tmp[4096];
	temp_name(tmp, sizeof(tmp), path, (long)getpid());
	struct sink sk = { .fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), .h = TM_FNV_BASIS };
	if (sk.fd < 0)
		return -errno;
	FILE *f = fopencookie(&sk, "w", (cookie_io_functions_t){ .write = sink_write });
	int rc = 0;
	if (!f) {
		rc = -ENOMEM;
	} else {
		setvbuf(f, NULL, _IOFBF, 1u << 16);
		fputs("trainmon-state 4\n", f);
		for (size_t i = 0; i < n; i++)
			write_entry(f, &v[i]);
		for (size_t i = 0; x && i < x->nnotes; i++)
			write_note(f, &x->notes[i]);
		for (size_t i = 0; x && i < x->nchains; i++)
			write_chain(f, &x->chains[i]);
		fflush(f);
		fprintf(f, "checksum %016" PRIx64 "\n", sk.h);  /* sk.h covers everything above */
		if (fclose(f) != 0 && !sk.err)
			sk.err = -EIO;
		rc = sk.err;
	}
	if (rc == 0 && fsync(sk.fd) < 0)
		rc = -errno;
	if (close(sk.fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc == 0) {          /* make the rename itself durable */
		char dirbuf[4096];
		snprintf(dirbuf, sizeof(dirbuf), "%s", path);
		int dfd = open(dirname(dirbuf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	if (rc)
		unlink(tmp);
	return rc;
}

/* The child writes a copy-on-write image of the parent's memory (redis BGSAVE): the loop goes on
 * changing the runs while the child serializes them as they were at fork(). The child ends with
 * _exit: no atexit handlers, no flush of stdio buffers it inherited (the parent's JSON lines). */
int tm_state_save_async(const char *path, const struct tm_state_entry *v, size_t n, pid_t *child)
{
	return tm_state_save_async_with(path, v, n, NULL, child);
}

int tm_state_save_async_with(const char *path, const struct tm_state_entry *v, size_t n,
			     const struct tm_state_extra *x, pid_t *child)
{
	*child = -1;
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* background work: on a small machine the child would otherwise take the core the
		 * daemon's loop (and its scrapes) need; the lowest priority costs the save only time */
		if (setpriority(PRIO_PROCESS, 0, 19) != 0) { /* best effort: nothing to do on failure */ }
		int rc = tm_state_save_with(path, v, n, x);
		_exit(rc < 0 ? (-rc > 0 && -rc < 255 ? -rc : 254) : 0);
	}
	*child = pid;
	return 0;
}

int tm_state_save_wait(pid_t child, int block)
{
	int status;
	pid_t k;
	do
		k = waitpid(child, &status, block ? 0 : WNOHANG);
	while (k < 0 && errno == EINTR);
	if (k == 0)
		return 1;
	if (k < 0)
		return errno == ECHILD ? 0 : -errno;   /* reaped by the --exec reaper: status unknown */
	if (WIFEXITED(status))
		return WEXITSTATUS(status) ? -WEXITSTATUS(status) : 0;
	return -EINTR;                             /* killed by a signal */
}

int tm_state_clean_temps(const char *path)
{
	char dirbuf[4096], basebuf[4096];
	snprintf(dirbuf, sizeof(dirbuf), "%s", path);
	snprintf(basebuf, sizeof(basebuf), "%s", path);
	const char *dir = dirname(dirbuf), *base = basename(basebuf);
	size_t blen = strlen(base);
	DIR *dp = opendir(dir);
	if (!dp)
		return -errno;
	int removed = 0;
	struct dirent *de;
	while ((de = readdir(dp))) {
		const char *nm = de->d_name;
		if (strncmp(nm, base, blen) != 0 || strncmp(nm + blen, ".tmp.", 5) != 0)
			continue;
		char *end;
		errno = 0;
		long pid = strtol(nm + blen + 5, &end, 10);
		if (*end || errno || pid <= 0 || end == nm + blen + 5)
			continue;
		/* another live process (a previous run's save child finishing its snapshot): its own */
		if (pid != (long)getpid() && (kill((pid_t)pid, 0) == 0 || errno == EPERM))
			continue;
		if (unlinkat(dirfd(dp), nm, 0) == 0)
			removed++;
	}
	closedir(dp);
	return removed;
}

static int unhex(const char *s, unsigned char *out, size_t cap, size_t *n)
{
	*n = 0;
	if (strcmp(s, "-") == 0)
		return 0;
	size_t l = strlen(s);
	if (l % 2 || l / 2 > cap)
		return -1;
	for (size_t i = 0; i < l; i += 2) {
		unsigned v;
		if (sscanf(s + i, "%2x", &v) != 1)
			return -1;
		out[(*n)++] = (unsigned char)v;
	}
	return 0;
}

static char *unhex_str(const char *s)
{
	size_t cap = strlen(s) / 2 + 1, n;
	char *out = tm_xmalloc(cap);
	if (unhex(s, (unsigned char *)out, cap, &n) < 0 || memchr(out, 0, n)) {
		free(out);
		return NULL;
	}
	out[n] = '\0';
	return out;
}

void tm_state_free(struct tm_saved *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].path);
		free(v[i].framework);
		tm_run_release(&v[i].run);
		tm_alerts_release(&v[i].alerts);
	}
	free(v);
}

/* The identity fields of a version 2 pos record (after the marker). */
static int parse_ident(const char *p, struct tm_tail_ident *id)
{
	char bt[64];
	if (sscanf(p, "%" SCNu32 " %" SCNx64 " %" SCNu32 " %" SCNx64 " %63s", &id->head_len, &id->head_hash,
		   &id->win_len, &id->win_hash, bt) != 5 || id->head_len > TM_IDENT_HEAD || id->win_len > TM_IDENT_WIN)
		return -1;
	if (strcmp(bt, "-") == 0)
		return 0;
	id->has_btime = 1;
	return sscanf(bt, "%" SCNd64 ".%" SCNu32, &id->btime_s, &id->btime_ns) == 2 ? 0 : -1;
}

static int parse_line(struct tm_saved *cur, char *line, int version)
{
	char a[8192];
	struct tm_run *r = &cur->run;
	if (strncmp(line, "pos ", 4) == 0) {
		uintmax_t dev, ino;
		int end = 0;
		if (sscanf(line, "pos %ju %ju %" SCNu64 " %" SCNu64 " %8191s%n", &dev, &ino, &cur->off, &cur->line, a,
			   &end) != 5 || unhex(a, cur->marker, sizeof(cur->marker), &cur->marker_len) < 0 ||
		    (version >= 2 && parse_ident(line + end, &cur->ident) < 0))
			return -1;
		cur->dev = (dev_t)dev;
		cur->ino = (ino_t)ino;
		cur->has_pos = 1;
	} else if (strncmp(line, "run ", 4) == 0) {
		/* the times at the end are newer than version 2's first files: optional */
		int k = sscanf(line, "run %8191s %d %" SCNu64 " %lg %d %" SCNu64 " %lg %lg", a, &r->step_base,
			       &r->dup_steps, &r->consumed_tokens, &r->self_rank, &r->steps_dropped, &r->first_ts,
			       &r->last_ts);
		if (k != 6 && k != 8)
			return -1;
		free(cur->framework);
		cur->framework = unhex_str(a);
		if (!cur->framework)
			return -1;
	} else if (strncmp(line, "param ", 6) == 0) {
		int p;
		double v;
		uint64_t l;
		if (sscanf(line, "param %d %lg %" SCNu64, &p, &v, &l) != 3 || p < 0 || p >= TM_P_NUM_STRINGS_FROM_HERE)
			return -1;
		r->params[p] = v;
		r->param_line[p] = l;
	} else if (strncmp(line, "sparam ", 7) == 0) {
		int p;
		if (sscanf(line, "sparam %d %8191s", &p, a) != 2 || p < TM_P_NUM_STRINGS_FROM_HERE || p >= TM_P_N)
			return -1;
		free(r->sparams[p]);
		r->sparams[p] = unhex_str(a);
		if (!r->sparams[p])
			return -1;
	} else if (strncmp(line, "step ", 5) == 0) {
		struct tm_step s;
		unsigned src = TM_TSRC_N;
		s.ts = s.grad_norm = NAN;        /* the grad norm is not saved (nor needed: the
						    detectors' state is); the wall-clock time and the time's source at the end
						    are optional (older state files) */
		int k = sscanf(line, "step %lg %lg %lg %lg %lg %lg %lg %lg %lg %lg %" SCNu32 " %lg %u", &s.step, &s.time_s,
			       &s.consumed, &s.loss, &s.global_batch, &s.tflops, &s.mfu, &s.tokens_per_s_per_gpu,
			       &s.tokens_per_s, &s.samples_per_s, &s.line, &s.ts, &src);
		if (k < 11 || k > 13)
			return -1;
		if (src >= TM_TSRC_N)
			src = isnan(s.time_s) ? TM_TSRC_NONE : TM_TSRC_LOGGED;
		s.time_src = (uint8_t)src;
		tm_run_push_step(r, &s);
		r->step_line = s.line;           /* version 3's skip record says it again */
	} else if (strncmp(line, "event ", 6) == 0) {
		if (r->nevents == TM_RUN_EVENTS_MAX)
			return -1;
		tm_xgrow((void **)&r->events, &r->capevents, r->nevents + 1, sizeof(*r->events));
		struct tm_event *e = &r->events[r->nevents];
		memset(e, 0, sizeof(*e));
		e->ts = e->last_ts = NAN;
		e->code = e->rank = -1;
		int kind, sev, end = 0;
		size_t n;
		if (sscanf(line, "event %" SCNu64 " %" SCNu64 " %" SCNu64 " %d %d %8191s%n", &e->line, &e->last_line,
			   &e->count, &kind, &sev, a, &end) != 6 || kind < 0 || kind >= TM_EV_N || sev < 0 ||
		    sev > TM_EVS_CRITICAL || unhex(a, (unsigned char *)e->message, sizeof(e->message) - 1, &n) < 0)
			return -1;
		e->message[n] = '\0';
		if (version >= 3) {
			char host[160], ranks[300];
			if (sscanf(line + end, " %lg %lg %d %d %" SCNu32 " %" SCNu32 " %" SCNu32 " %159s %299s", &e->ts,
				   &e->last_ts, &e->code, &e->rank, &e->nranks, &e->ranks_beyond, &e->nhosts, host,
				   ranks) != 9 ||
			    unhex(host, (unsigned char *)e->host, sizeof(e->host) - 1, &n) < 0)
				return -1;
			e->host[n] = '\0';
			if (unhex(ranks, (unsigned char *)e->ranks, sizeof(e->ranks), &n) < 0)
				return -1;
			e->nranks = 0;              /* the set says how many */
			for (size_t w = 0; w < TM_EVENT_RANKS / 64; w++)
				e->nranks += (uint32_t)__builtin_popcountll(e->ranks[w]);
		} else {
			r->incident_counts[kind]++;     /* before version 3 an entry was an incident */
		}
		e->kind = (enum tm_event_kind)kind;
		e->severity = (enum tm_ev_severity)sev;
		r->nevents++;
	} else if (version >= 3 && strncmp(line, "evinc ", 6) == 0) {
		int k;
		uint64_t n;
		if (sscanf(line, "evinc %d %" SCNu64, &k, &n) != 2 || k < 0 || k >= TM_EV_N)
			return -1;
		r->incident_counts[k] = n;
	} else if (version >= 3 && strncmp(line, "skip ", 5) == 0) {
		if (sscanf(line, "skip %lg %lg %lg %" SCNu64, &r->skipped_total, &r->skip_since, &r->skipped_steps,
			   &r->step_line) != 4)
			return -1;
	} else if (version >= 4 && strncmp(line, "phase ", 6) == 0) {
		struct tm_phase p;
		int kind, closed;
		if (sscanf(line, "phase %d %lg %lg %lg %lg %" SCNu64 " %zu %d", &kind, &p.step, &p.start_ts, &p.end_ts,
			   &p.duration_s, &p.line, &p.nsteps_at, &closed) != 8 || kind < 0 || kind >= TM_PH_N ||
		    r->nphases == TM_RUN_PHASES_MAX)
			return -1;
		p.kind = (enum tm_phase_kind)kind;
		p.closed = closed != 0;
		tm_xgrow((void **)&r->phases, &r->capphases, r->nphases + 1, sizeof(*r->phases));
		r->phases[r->nphases++] = p;
	} else if (strncmp(line, "evdropped ", 10) == 0) {
		if (sscanf(line, "evdropped %" SCNu64, &r->events_dropped) != 1)
			return -1;
	} else if (strncmp(line, "evcount ", 8) == 0) {
		int k;
		uint64_t n;
		if (sscanf(line, "evcount %d %" SCNu64, &k, &n) != 2 || k < 0 || k >= TM_EV_N)
			return -1;
		r->event_counts[k] = n;
	} else if (strncmp(line, "evseen ", 7) == 0) {
		int k;
		uint64_t n;
		if (sscanf(line, "evseen %d %" SCNu64, &k, &n) != 2 || k < 0 || k >= TM_EV_N)
			return -1;
		cur->alerts.events_seen[k] = n;
	} else if (strncmp(line, "alerts ", 7) == 0) {
		struct tm_alerts *al = &cur->alerts;
		struct tm_level *lv[3] = { &al->low_mfu, &al->drop, &al->stall };
		int fin, end, used = 0, off = 7;
		for (int i = 0; i < 3; i++) {
			if (sscanf(line + off, "%d %" SCNu32 " %lg %lg%n", &lv[i]->firing, &lv[i]->streak,
				   &lv[i]->since_step_s, &lv[i]->value, &used) != 4)
				return -1;
			off += used;
		}
		size_t n;
		if (sscanf(line + off, "%d %d %zu %8191s", &fin, &end, &al->step_cursor, a) != 4 ||
		    unhex(a, al->failure_fired, sizeof(al->failure_fired), &n) < 0)
			return -1;
		al->finished = (uint8_t)fin;
		al->ended = (uint8_t)end;
	} else {
		return -1;
	}
	return 0;
}

static void note_free(struct tm_state_note *t)
{
	free(t->sink);
	free(t->id);
	free(t->run);
	free(t->alert);
	free(t->body);
}

void tm_state_extra_release(struct tm_state_extra *x)
{
	for (size_t i = 0; x && i < x->nnotes; i++)
		note_free(&x->notes[i]);
	for (size_t i = 0; x && i < x->nchains; i++)
		free(x->chains[i].name);
	if (x) {
		free(x->notes);
		free(x->chains);
		*x = (struct tm_state_extra){ 0 };
	}
}

/* A chain record (version 4). */
static int parse_chain(char *line, struct tm_state_extra *x)
{
	char *save = NULL, *tok = strtok_r(line, " ", &save);        /* "chain" */
	struct tm_chain_counters c = { 0 };
	tok = strtok_r(NULL, " ", &save);
	c.name = tok ? unhex_str(tok) : NULL;
	int bad = !c.name || !*c.name;
	for (int b = 0; b <= TM_B_N && !bad; b++) {
		char *end;
		tok = strtok_r(NULL, " ", &save);
		double v = tok ? strtod(tok, &end) : 0;
		bad = !tok || *end;
		*(b < TM_B_N ? &c.bucket[b] : &c.tokens) = v;
	}
	for (int k = 0; k < TM_IC_N && !bad; k++) {
		char *end;
		tok = strtok_r(NULL, " ", &save);
		c.interruptions[k] = tok ? strtoull(tok, &end, 10) : 0;
		bad = !tok || *end;
	}
	if (bad || strtok_r(NULL, " ", &save) || !x) {
		free(c.name);
		return bad ? -1 : 0;
	}
	size_t cap = x->nchains;
	tm_xgrow((void **)&x->chains, &cap, x->nchains + 1, sizeof(*x->chains));
	x->chains[x->nchains++] = c;
	return 0;
}

/* A note record (version 3). */
static int parse_note(char *line, struct tm_state_extra *x)
{
	char *f[12], *save = NULL;
	int k = 0;
	for (char *t = strtok_r(line, " ", &save); t && k < 12; t = strtok_r(NULL, " ", &save))
		f[k++] = t;
	struct tm_state_note nt = { 0 };
	char *end;
	if (k != 11 || (strcmp(f[2], "0") && strcmp(f[2], "1")))
		return -1;
	nt.am = f[2][0] == '1';
	nt.sink = unhex_str(f[1]);
	nt.id = unhex_str(f[3]);
	nt.run = unhex_str(f[4]);
	nt.alert = unhex_str(f[5]);
	nt.body = unhex_str(f[6]);
	errno = 0;
	nt.starts_ms = strtoll(f[7], &end, 10);
	int bad = *end != '\0';
	nt.ends_ms = strtoll(f[8], &end, 10);
	bad |= *end != '\0';
	nt.hold_ms = strtoll(f[9], &end, 10);
	bad |= *end != '\0';
	unsigned long a = strtoul(f[10], &end, 10);
	bad |= *end != '\0' || errno || a > UINT32_MAX;
	nt.attempts = (uint32_t)a;
	if (bad || !nt.sink || !nt.id || !nt.run || !nt.alert || !nt.body || !x) {
		note_free(&nt);
		return bad || !nt.sink || !nt.id || !nt.run || !nt.alert || !nt.body ? -1 : 0;
	}
	size_t cap = x->nnotes;
	tm_xgrow((void **)&x->notes, &cap, x->nnotes + 1, sizeof(*x->notes));
	x->notes[x->nnotes++] = nt;
	return 0;
}

int tm_state_load(const char *path, struct tm_saved **out, size_t *n, char *err, size_t errlen)
{
	return tm_state_load_with(path, out, n, NULL, err, errlen);
}

int tm_state_load_with(const char *path, struct tm_saved **out, size_t *n, struct tm_state_extra *x, char *err,
		       size_t errlen)
{
	char *buf;
	if (x)
		*x = (struct tm_state_extra){ 0 };
	size_t len;
	*out = NULL;
	*n = 0;
	int rc = tm_read_small_file(path, STATE_MAX, &buf, &len);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	/* checksum: the last line covers everything before it */
	char *last = len >= 2 ? memrchr(buf, '\n', len - 1) : NULL;
	uint64_t want;
	int version = len < 17 || strncmp(buf, "trainmon-state ", 15) || buf[16] != '\n' ? 0 : buf[15] - '0';
	if (version < 1 || version > 4)
		version = 0;
	if (!version || !last ||
	    sscanf(last + 1, "checksum %" SCNx64, &want) != 1 || tm_fnv1a(TM_FNV_BASIS, buf, (size_t)(last + 1 - buf)) != want) {
		snprintf(err, errlen, "%s: not a trainmon state file, or cut short (checksum mismatch)", path);
		free(buf);
		return -1;
	}
	last[1] = '\0';
	struct tm_saved *v = NULL, *cur = NULL;
	size_t cap = 0, count = 0, lineno = 1;
	int bad = 0;
	char *save = NULL;
	for (char *line = strtok_r(buf + 17, "\n", &save); line && !bad; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (strncmp(line, "tail ", 5) == 0) {
			tm_xgrow((void **)&v, &cap, count + 1, sizeof(*v));
			cur = &v[count++];
			memset(cur, 0, sizeof(*cur));
			tm_run_init(&cur->run, "", NULL, NULL);
			tm_alerts_init(&cur->alerts);
			cur->path = unhex_str(line + 5);
			bad = !cur->path;
			if (!bad) {
				free(cur->run.file);
				cur->run.file = tm_xstrdup(cur->path);
			}
		} else if (strcmp(line, "end") == 0) {
			bad = !cur;
			cur = NULL;
		} else if (version >= 3 && !cur && strncmp(line, "note ", 5) == 0) {
			bad = parse_note(line, x) < 0;
		} else if (version >= 4 && !cur && strncmp(line, "chain ", 6) == 0) {
			bad = parse_chain(line, x) < 0;
		} else if (version >= 4 && cur && strncmp(line, "an", 2) == 0) {
			bad = tm__state_parse_anomaly(&cur->alerts.an, line) != 1;
		} else {
			bad = !cur || parse_line(cur, line, version) < 0;
		}
	}
	free(buf);
	if (bad || cur) {
		snprintf(err, errlen, "%s:%zu: corrupt state record", path, lineno);
		tm_state_free(v, count);
		tm_state_extra_release(x);
		return -1;
	}
	*out = v;
	*n = count;
	return 0;
}

void tm_state_apply_run(struct tm_saved *s, struct tm_run *run)
{
	const struct tm_ruleset *rs = run->rs;
	struct tm_matcher *m = run->m;
	char *file = run->file;
	run->file = NULL;
	tm_run_release(run);
	*run = s->run;                       /* moves steps and strings */
	memset(&s->run, 0, sizeof(s->run));
	free(run->file);
	run->file = file;
	run->rs = rs;
	run->m = m;
	run->framework = -1;
	if (s->framework && *s->framework)
		for (size_t i = 0; rs && i < rs->npacks; i++)
			if (strcmp(rs->packs[i].name, s->framework) == 0)
				run->framework = (int)i;
	/* the saved framework stays decided (rival packs' records are not saved) */
	run->detected = run->framework;
	if (run->framework >= 0 && m)
		m->skip_detect = 1;
}

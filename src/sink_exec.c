/* sink_exec.c: --exec hooks: posix_spawn of `/bin/sh -c CMD` with a clean signal state, at most
 * max at once, a bounded queue for the rest, timeouts that kill the hook's process group, and
 * failures (non-zero exit, signal, timeout, spawn error) counted.
 *
 * Key decision: the alert's fields travel in the environment only (log text is never put into
 * the command string), and posix_spawnattr resets the mask and dispositions the daemon set up for
 * its signalfd. Must not: wait for a child inline in the loop (only tm_sink_exec_shutdown at exit
 * does, bounded), or print.
 */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sink_exec.h"
#include "trainmon/loop.h"
#include "trainmon/xalloc.h"
#include "banned.h"

extern char **environ;

static void job_free(struct tm_sink_exec_job *j)
{
	for (size_t i = 0; j->env && j->env[i]; i++)
		free(j->env[i]);
	free(j->env);
	free(j->what);
	memset(j, 0, sizeof(*j));
}

void tm_sink_exec_init(struct tm_sink_exec *x, const char *cmd, size_t max, double timeout_s)
{
	memset(x, 0, sizeof(*x));
	x->cmd = cmd;
	x->max = max ? max : 1;
	x->timeout_ms = (uint64_t)(timeout_s * 1000);
	x->run = tm_xcalloc(x->max, sizeof(*x->run));
	x->pend = tm_xcalloc(TM_EXEC_PENDING_MAX, sizeof(*x->pend));
}

static void drop_oldest(struct tm_sink_exec *x)
{
	job_free(&x->pend[x->phead]);
	x->phead = (x->phead + 1) % TM_EXEC_PENDING_MAX;
	x->npend--;
}

static void note_fail(struct tm_sink_exec *x, uint64_t *counter, const char *what, const char *why)
{
	(*counter)++;
	snprintf(x->last_fail, sizeof(x->last_fail), "%s: %s", what, why);
}

/* The daemon's environment without TRAINMON_* variables, then the job's. */
static char **merged_env(char **own)
{
	size_t n = 0, k = 0;
	for (char **e = environ; e && *e; e++)
		n++;
	for (char **e = own; *e; e++)
		n++;
	char **v = tm_xcalloc(n + 1, sizeof(*v));
	for (char **e = environ; e && *e; e++)
		if (strncmp(*e, "TRAINMON_", 9) != 0)
			v[k++] = *e;
	for (char **e = own; *e; e++)
		v[k++] = *e;
	return v;
}

static void start(struct tm_sink_exec *x, struct tm_sink_exec_job *j, uint64_t now)
{
	posix_spawnattr_t attr;
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setpgroup(&attr, 0);
	char sh[] = "sh", c[] = "-c";
	char *argv[] = { sh, c, (char *)(uintptr_t)x->cmd, NULL };
	char **env = merged_env(j->env);
	pid_t pid;
	int rc = posix_spawn(&pid, "/bin/sh", NULL, &attr, argv, env);
	free(env);
	posix_spawnattr_destroy(&attr);
	if (rc != 0) {
		note_fail(x, &x->fail_spawn, j->what, strerror(rc));
		job_free(j);
		return;
	}
	x->started++;
	j->pid = pid;
	j->start_ms = now;
	j->term_ms = 0;
	x->run[x->nrun++] = *j;
	memset(j, 0, sizeof(*j));
}

static void start_waiting(struct tm_sink_exec *x, uint64_t now)
{
	while (x->npend && x->nrun < x->max) {
		struct tm_sink_exec_job *j = &x->pend[x->phead];
		x->phead = (x->phead + 1) % TM_EXEC_PENDING_MAX;
		x->npend--;
		start(x, j, now);
	}
}

void tm_sink_exec_submit(struct tm_sink_exec *x, char **env, const char *what, uint64_t now_ms)
{
	if (x->npend == TM_EXEC_PENDING_MAX) {   /* full: the oldest waiting alert goes */
		drop_oldest(x);
		x->dropped++;
	}
	struct tm_sink_exec_job *j = &x->pend[(x->phead + x->npend) % TM_EXEC_PENDING_MAX];
	*j = (struct tm_sink_exec_job){ .env = env, .what = tm_xstrdup(what) };
	x->npend++;
	start_waiting(x, now_ms);
}

/* A reaped hook: count its failure, if any, and free its slot. */
static void finished(struct tm_sink_exec *x, size_t i, int status)
{
	struct tm_sink_exec_job *j = &x->run[i];
	char why[96];
	if (j->term_ms) {
		snprintf(why, sizeof(why), "killed after the %.1f s timeout", (double)x->timeout_ms / 1000);
		note_fail(x, &x->fail_timeout, j->what, why);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		snprintf(why, sizeof(why), "exit status %d", WEXITSTATUS(status));
		note_fail(x, &x->fail_exit, j->what, why);
	} else if (WIFSIGNALED(status)) {
		snprintf(why, sizeof(why), "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
		note_fail(x, &x->fail_signal, j->what, why);
	}
	job_free(j);
	x->run[i] = x->run[--x->nrun];
	memset(&x->run[x->nrun], 0, sizeof(x->run[0]));
}

void tm_sink_exec_reap(struct tm_sink_exec *x, uint64_t now_ms)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (size_t i = 0; i < x->nrun; i++)
			if (x->run[i].pid == pid) {
				finished(x, i, status);
				break;
			}
	start_waiting(x, now_ms);
}

void tm_sink_exec_tick(struct tm_sink_exec *x, uint64_t now_ms)
{
	for (size_t i = 0; i < x->nrun; i++) {
		struct tm_sink_exec_job *j = &x->run[i];
		/* now_ms is when the loop pass began: a hook started later in the pass is younger */
		if (!j->term_ms && x->timeout_ms && now_ms >= j->start_ms + x->timeout_ms) {
			j->term_ms = now_ms;
			kill(-j->pid, SIGTERM);
		} else if (j->term_ms && now_ms >= j->term_ms + TM_EXEC_GRACE_MS) {
			kill(-j->pid, SIGKILL);
		}
	}
}

/* Reaps until no hook runs or deadline (ms, CLOCK_MONOTONIC) passes, polling every 20 ms. */
static void reap_until(struct tm_sink_exec *x, uint64_t deadline)
{
	const struct tm_clock *c = tm_clock_monotonic();
	for (;;) {
		tm_sink_exec_reap(x, tm_clock_now(c));
		if (!x->nrun || tm_clock_now(c) >= deadline)
			return;
		struct timespec ts = { 0, 20 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

size_t tm_sink_exec_shutdown(struct tm_sink_exec *x, uint64_t wait_ms)
{
	size_t dropped = x->npend;
	while (x->npend)
		drop_oldest(x);
	x->dropped += dropped;
	const struct tm_clock *c = tm_clock_monotonic();
	reap_until(x, tm_clock_now(c) + wait_ms);
	for (int sig = 0; sig < 2 && x->nrun; sig++) {
		for (size_t i = 0; i < x->nrun; i++) {
			if (!x->run[i].term_ms)
				x->run[i].term_ms = tm_clock_now(c);   /* counted as a timeout */
			kill(-x->run[i].pid, sig ? SIGKILL : SIGTERM);
		}
		reap_until(x, tm_clock_now(c) + (sig ? 1000 : TM_EXEC_GRACE_MS / 2));
	}
	return dropped;
}

uint64_t tm_sink_exec_failures(const struct tm_sink_exec *x)
{
	return x->fail_exit + x->fail_signal + x->fail_timeout + x->fail_spawn;
}

void tm_sink_exec_release(struct tm_sink_exec *x)
{
	for (size_t i = 0; x->run && i < x->nrun; i++)
		job_free(&x->run[i]);
	while (x->pend && x->npend)
		drop_oldest(x);
	free(x->run);
	free(x->pend);
	memset(x, 0, sizeof(*x));
}

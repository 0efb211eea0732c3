/* sink_exec.h: --exec: one `/bin/sh -c CMD` per alert, with a bound on hooks running at once, a
 * bounded queue for the rest, a timeout, and failures counted.
 *
 * A hook starts with an empty signal mask, every signal at its default disposition (the daemon
 * blocks TERM/INT/HUP/USR1/CHLD for its signalfd and ignores PIPE) and in a process group of its
 * own, so a timeout kills the whole group: SIGTERM at the timeout, SIGKILL after a grace.
 * Children are reaped from the loop's SIGCHLD, never waited for inline. When max hooks run, an
 * alert waits in a queue of TM_EXEC_PENDING_MAX; beyond it the OLDEST waiting alert is dropped
 * (its state is superseded by the newer ones). Nothing here prints: sinks.c reports the counters.
 */
#ifndef TRAINMON_SINK_EXEC_H
#define TRAINMON_SINK_EXEC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TM_EXEC_PENDING_MAX 256     /* alerts waiting for a free hook slot */
#define TM_EXEC_GRACE_MS 2000       /* ms from SIGTERM to SIGKILL */

struct tm_sink_exec_job {           /* one alert's hook, waiting or running */
	char **env;                 /* owned: NULL-terminated "TRAINMON_X=v" strings (owned) */
	char *what;                 /* owned: "stall firing", for reports */
	pid_t pid;                  /* running: the hook (and its process group); 0 waiting */
	uint64_t start_ms, term_ms; /* ms, loop clock: started; SIGTERM sent (0 not yet) */
};

struct tm_sink_exec {
	const char *cmd;            /* borrowed from the config */
	size_t max;                 /* hooks running at once */
	uint64_t timeout_ms;        /* ms; 0 none */
	struct tm_sink_exec_job *run; /* owned array of max */
	size_t nrun;
	struct tm_sink_exec_job *pend; /* owned ring of TM_EXEC_PENDING_MAX */
	size_t phead, npend;
	uint64_t started, dropped;
	uint64_t fail_exit, fail_signal, fail_timeout, fail_spawn;
	char last_fail[256];        /* the newest failure, for the report */
};

void tm_sink_exec_init(struct tm_sink_exec *x, const char *cmd, size_t max, double timeout_s);
/* Runs or queues a hook; env (NULL-terminated, owned strings) and what move to x. */
void tm_sink_exec_submit(struct tm_sink_exec *x, char **env, const char *what, uint64_t now_ms);
/* SIGCHLD: reaps every exited child, counts failures, starts waiting hooks. */
void tm_sink_exec_reap(struct tm_sink_exec *x, uint64_t now_ms);
/* The tick: SIGTERM to hooks past the timeout, SIGKILL after the grace. */
void tm_sink_exec_tick(struct tm_sink_exec *x, uint64_t now_ms);
/* At exit: waiting hooks are dropped (returned), running ones get wait_ms (ms) to finish, then
 * their groups SIGTERM and, after a short grace, SIGKILL; all are reaped. May block that long. */
size_t tm_sink_exec_shutdown(struct tm_sink_exec *x, uint64_t wait_ms);
uint64_t tm_sink_exec_failures(const struct tm_sink_exec *x);
/* Frees the queue and the jobs; a zeroed struct is a no-op. */
void tm_sink_exec_release(struct tm_sink_exec *x);

#endif

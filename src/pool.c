/* pool.c: a bounded, ordered work pool on pthreads (see pool.h).
 *
 * One mutex and two condition variables: workers take the next index when it is within `window`
 * of the next item to finish, and signal when they finish one; the calling thread waits for the
 * item whose turn it is. No queue is allocated: an item is its index. Nothing here knows what the
 * items are.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>                       /* sched_getaffinity (_GNU_SOURCE: CMakeLists.txt) */
#include <stdlib.h>
#include <unistd.h>

#include "trainmon/pool.h"
#include "trainmon/xalloc.h"
#include "banned.h"

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t can_take;     /* a worker may take the next index (window moved) */
	pthread_cond_t finished;     /* an item was worked */
	size_t n, window;
	size_t next_take;            /* next index to hand to a worker */
	size_t next_done;            /* next index done() is called for */
	unsigned char *worked;       /* owned, n flags */
	tm_pool_fn work;
	void *ctx;                   /* borrowed */
};

static void *worker(void *arg)
{
	struct pool *p = arg;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->next_take < p->n && p->next_take >= p->next_done + p->window)
			pthread_cond_wait(&p->can_take, &p->mu);
		if (p->next_take >= p->n)
			break;
		size_t i = p->next_take++;
		pthread_mutex_unlock(&p->mu);
		p->work(p->ctx, i);
		pthread_mutex_lock(&p->mu);
		p->worked[i] = 1;
		pthread_cond_broadcast(&p->finished);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

unsigned tm_pool_threads(unsigned max)
{
	/* the CPUs this process may run on (taskset, a Slurm job's cpuset), not the machine's: more
	 * threads than those only take turns */
	cpu_set_t set;
	long c = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : sysconf(_SC_NPROCESSORS_ONLN);
	unsigned n = c > 0 ? (unsigned)c : 1;
	return n < max ? n : max;
}

int tm_pool_run(size_t n, unsigned threads, size_t window, tm_pool_fn work, tm_pool_fn done, void *ctx)
{
	if (threads > n)
		threads = (unsigned)n;
	if (threads <= 1) {
		for (size_t i = 0; i < n; i++) {
			work(ctx, i);
			done(ctx, i);
		}
		return 0;
	}
	struct pool p = { .n = n, .window = window < threads ? threads : window, .work = work, .ctx = ctx };
	p.worked = tm_xcalloc(n, 1);
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.can_take, NULL);
	pthread_cond_init(&p.finished, NULL);
	pthread_t *tids = tm_xcalloc(threads, sizeof(*tids));
	unsigned started = 0;
	int rc = 0;
	for (; started < threads; started++) {
		int e = pthread_create(&tids[started], NULL, worker, &p);
		if (e) {
			rc = -e;
			break;
		}
	}
	if (started == 0) {                  /* no thread at all: the calling thread does the work */
		pthread_mutex_lock(&p.mu);
		p.window = n;
		pthread_mutex_unlock(&p.mu);
		worker(&p);
	}
	for (size_t i = 0; i < n; i++) {
		pthread_mutex_lock(&p.mu);
		while (!p.worked[i])
			pthread_cond_wait(&p.finished, &p.mu);
		pthread_mutex_unlock(&p.mu);
		done(ctx, i);
		pthread_mutex_lock(&p.mu);
		p.next_done = i + 1;
		pthread_cond_broadcast(&p.can_take);
		pthread_mutex_unlock(&p.mu);
	}
	for (unsigned t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
	free(tids);
	pthread_cond_destroy(&p.finished);
	pthread_cond_destroy(&p.can_take);
	pthread_mutex_destroy(&p.mu);
	free(p.worked);
	return rc;
}

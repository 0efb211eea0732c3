/* test_pool.c: the ordered work pool (src/pool.c): every item worked once, done() in input order
 * whatever order the workers finish in, and as many threads as the CPUs the process may run on. */
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "tm_test.h"
#include "trainmon/pool.h"

#define N 2000

struct ctx {
	atomic_int worked[N];
	size_t next_done;                /* the index done() expects */
	int out_of_order, unworked;
};

static void work(void *p, size_t i)
{
	struct ctx *c = p;
	/* uneven work, so that workers finish out of order */
	struct timespec ts = { 0, (long)((i * 7919) % 13) * 20000 };
	nanosleep(&ts, NULL);
	atomic_fetch_add(&c->worked[i], 1);
}

static void done(void *p, size_t i)
{
	struct ctx *c = p;
	if (i != c->next_done)
		c->out_of_order++;
	if (atomic_load(&c->worked[i]) != 1)
		c->unworked++;
	c->next_done = i + 1;
}

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	static struct ctx c;
	for (unsigned threads = 1; threads <= 4; threads += 3) {
		memset(&c, 0, sizeof(c));
		TM_CHECK(&st, tm_pool_run(N, threads, 16, work, done, &c) == 0);
		TM_CHECK(&st, c.next_done == N);
		TM_CHECK(&st, c.out_of_order == 0);
		TM_CHECK(&st, c.unworked == 0);
		int twice = 0;
		for (size_t i = 0; i < N; i++)
			twice += atomic_load(&c.worked[i]) != 1;
		TM_CHECK(&st, twice == 0);
	}

	/* threads: the affinity mask's CPUs (taskset, a cgroup cpuset), not the machine's */
	cpu_set_t all, one;
	if (sched_getaffinity(0, sizeof(all), &all) == 0) {
		unsigned n = (unsigned)CPU_COUNT(&all);
		TM_CHECK(&st, tm_pool_threads(64) == (n < 64 ? n : 64));
		TM_CHECK(&st, tm_pool_threads(1) == 1);
		int first = -1;
		for (int k = 0; k < CPU_SETSIZE && first < 0; k++)
			if (CPU_ISSET(k, &all))
				first = k;
		CPU_ZERO(&one);
		CPU_SET(first, &one);
		if (sched_setaffinity(0, sizeof(one), &one) == 0) {
			TM_CHECK(&st, tm_pool_threads(8) == 1);
			TM_CHECK(&st, sched_setaffinity(0, sizeof(all), &all) == 0);
		}
		TM_CHECK(&st, tm_pool_threads(64) == (n < 64 ? n : 64));
	}
	return tm_test_done(&st, "test_pool");
}

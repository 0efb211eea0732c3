/* pool.h: n independent items worked on by a few threads, finished in order.
 *
 * Workers call work(ctx, i) for i = 0..n-1 in any order; the calling thread calls done(ctx, i) in
 * order 0, 1, 2... as soon as item i and every item before it are worked, so output keeps the
 * input's order. At most `window` items are worked ahead of the next done(), which bounds the
 * memory of items waiting for their turn. With one thread (or one item) everything runs on the
 * calling thread, in order, and no thread is started.
 */
#ifndef TRAINMON_POOL_H
#define TRAINMON_POOL_H

#include <stddef.h>

typedef void (*tm_pool_fn)(void *ctx, size_t i);

/* Returns 0, or -errno when no thread could be started (then it ran everything on the calling
 * thread: the result is the same). */
int tm_pool_run(size_t n, unsigned threads, size_t window, tm_pool_fn work, tm_pool_fn done, void *ctx);

/* Threads worth starting: the CPUs this process may run on (its affinity: taskset, a cgroup
 * cpuset), at most max. */
unsigned tm_pool_threads(unsigned max);

#endif

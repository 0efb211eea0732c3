/* daemon_chain.c: the daemon's live chains (livechain.h): which files' runs feed them, when
 * they are computed, and what the other parts of the daemon read from them (a run's chain for
 * its metrics and notifications, the counters for /metrics and the state file).
 *
 * A file's segment is made again only when lines came since the last time (its record count
 * moved), and the chains are computed only when a segment changed: on the tick, and on demand
 * before /metrics renders, before a notification names a run's chain and before every state
 * save; so a burst of lines costs one computation, never one per line. Must not: print (notes go
 * through the sinks).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "banned.h"

void tm__daemon_chains_start(struct tm_daemon *d)
{
	struct tm_chain_opts o = d->cfg->chains;
	if (o.by_param < TM_P_NUM_STRINGS_FROM_HERE)
		o.by_param = -1;                /* a zeroed config: no --chain-param */
	o.stall_s = d->cfg->alerts.stall_s > 0 ? d->cfg->alerts.stall_s : 300;   /* analyze's --stall */
	d->chains = tm_livechain_new(&o);
	/* counters of the daemon before: a chain computed with the same name goes on from them */
	tm_livechain_restore(d->chains, d->saved_extra.chains, d->saved_extra.nchains);
}

static void on_note(void *ctx, const char *msg)
{
	tm__sink_note(ctx, "%s", msg);
}

/* A file's segment is made again when lines came since the last time. */
static void update(struct tm_daemon *d, struct tm_watched *w)
{
	uint64_t records = w->tail.feed.m.records;
	if (w->chain_fresh && w->chain_records == records)
		return;
	if (w->sum_records != records)
		tm__daemon_summarize(w);
	tm_livechain_update(d->chains, w, &w->tail.feed.run, &w->sum);
	w->chain_records = records;
	w->chain_fresh = 1;
}

static void set_chain(void *ctx, const void *key, const char *name)
{
	(void)ctx;
	struct tm_watched *w = (struct tm_watched *)(uintptr_t)key;   /* our own key: a followed file */
	w->chain = name;
}

void tm__daemon_chains_refresh(struct tm_daemon *d)
{
	if (!d->chains)
		return;                            /* not started */
	for (size_t i = 0; i < d->nfiles; i++)
		update(d, d->files[i]);
	if (!tm_livechain_compute(d->chains, on_note, d))
		return;
	for (size_t i = 0; i < d->nfiles; i++)
		d->files[i]->chain = NULL;
	tm_livechain_each(d->chains, set_chain, NULL);
}

void tm__daemon_chains_gone(struct tm_daemon *d, struct tm_watched *w)
{
	if (!d->chains)
		return;
	update(d, w);                      /* its last lines count in its chain */
	tm_livechain_gone(d->chains, w);
	w->chain = NULL;
}

const struct tm_chain_counters *tm__daemon_chain_counters(const struct tm_daemon *d, size_t *n)
{
	if (!d->chains) {
		*n = 0;
		return NULL;
	}
	return tm_livechain_counters(d->chains, n);
}

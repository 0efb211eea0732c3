/* watch_cmd.h: `trainmon watch`'s command line (option rows, config sections, SIGHUP reload) and
 * daemon, driven by another front end: `trainmon top` takes the same options and runs the same
 * daemon in-process, with its own rows added and its own code in place of tm_daemon_run().
 *
 * Implemented in cmd_watch.c, which owns the rows; a front end adds flags only (no config
 * section). The function returns an exit status (TM_EXIT_*, cmd.h) and never exits.
 */
#ifndef TRAINMON_WATCH_CMD_H
#define TRAINMON_WATCH_CMD_H

#include <stddef.h>
#include <stdint.h>

#include "trainmon/daemon.h"
#include "trainmon/opt.h"

struct tm_watch_front {
	const char *name;               /* the command: "top" (messages, help) */
	const char *usage;              /* help's first lines */
	const char *epilog;             /* help's last lines */
	const struct tm_opt *opts;      /* borrowed, static: extra rows, flags only */
	size_t nopts;
	void *opts_dst;                 /* borrowed: the struct the extra rows' offsets point into */
	/* After the options are applied (cfg holds them; dirs may be empty): adjust cfg, or end the
	 * command without a daemon. Returns -1 to go on, or an exit status (TM_EXIT_*). */
	int (*prepare)(void *ctx, struct tm_watch_cfg *cfg, size_t nargs);
	/* Runs the started daemon in place of tm_daemon_run(); returns 0 or -errno as it does. */
	int (*run)(void *ctx, struct tm_daemon *d);
	/* NULL, or the daemon's on_change (daemon.h): new steps or events were read */
	void (*on_change)(void *ctx, uint64_t now_ms);
	void *ctx;                      /* borrowed */
};

/* `trainmon watch` with fe NULL; otherwise the front end's command. */
int tm_watch_command(int argc, char **argv, const struct tm_watch_front *fe);

#endif

/* labels.h: static labels (`--label cluster=a`, config `labels:`): their names checked as
 * Prometheus spells them, read from a config mapping, and put on every series of an exposition
 * text, so N daemons of a fleet can be told apart and aggregated by cluster, team or site.
 *
 * Names trainmon's own series use (run, file, shard, ...) are refused for /metrics: the same name
 * twice in one series fails the whole scrape. Never prints: errors go to the caller's diag or
 * buffer.
 */
#ifndef TRAINMON_LABELS_H
#define TRAINMON_LABELS_H

#include <stddef.h>
#include <stdio.h>

#include "trainmon/diag.h"
#include "trainmon/yaml.h"

/* [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" (reserved by Prometheus). */
int tm_label_name_ok(const char *k, size_t n);
/* 1 when a series of trainmon's /metrics may carry a label named k (n bytes) of its own. */
int tm_label_reserved(const char *k, size_t n);
/* "KEY=VALUE" checked for /metrics: a label name that is not reserved. Returns 0, or -1 with the
 * reason in err (what: "--label" or "labels"). */
int tm_label_check(const char *kv, const char *what, char *err, size_t n);

/* A config mapping {KEY: VALUE, ...} appended to *kv (owned array of owned "KEY=VALUE", *nkv
 * entries). reserved: also refuse tm_label_reserved names. section names the mapping in messages.
 * Returns the number of errors added to d. */
int tm_labels_read_map(const struct tm_ynode *m, const char *section, int reserved, char ***kv, size_t *nkv,
		       const struct tm_src *src, struct tm_diag *d);

/* Copies the exposition text (len bytes) to out with lab (rendered label pairs, `k="v",k2="v2"`,
 * already escaped) first in every sample's label set; comments and blank lines pass unchanged. */
void tm_prom_add_labels(const char *text, size_t len, const char *lab, FILE *out);

#endif

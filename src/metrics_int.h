/* metrics_int.h (src/): what metrics.c shares with the files that render parts of /metrics for
 * it (metrics_chain.c). Private to the module "metrics". */
#ifndef TRAINMON_SRC_METRICS_INT_H
#define TRAINMON_SRC_METRICS_INT_H

#include <stddef.h>
#include <stdio.h>

#include "trainmon/chain.h"

/* s as a label value: escaped, invalid UTF-8 replaced by U+FFFD (metrics.c). */
void tm__metrics_label_value(FILE *f, const char *s);
/* The trainmon_chain_* families of the chains' counters (metrics_chain.c). */
void tm__metrics_chains(FILE *f, const struct tm_chain_counters *c, size_t n);

#endif

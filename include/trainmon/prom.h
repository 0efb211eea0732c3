/* prom.h: a parser of the Prometheus text exposition format (version 0.0.4), for `trainmon top
 * --from URL`, which reads a running daemon's /metrics.
 *
 * The whole body is parsed into owned samples (name, unescaped labels, value, optional
 * timestamp); `# HELP` and `# TYPE` lines are checked for shape and otherwise skipped, as are
 * other comments and blank lines. Bad input is an error with its 1-based line and what is wrong,
 * never a crash; nothing here prints.
 */
#ifndef TRAINMON_PROM_H
#define TRAINMON_PROM_H

#include <stddef.h>
#include <stdint.h>

struct tm_prom_label {
	char *name;                  /* owned */
	char *value;                 /* owned, unescaped (\\, \", \n) */
};

struct tm_prom_sample {
	char *name;                  /* owned: the metric name */
	struct tm_prom_label *labels; /* owned array, in the order written */
	size_t nlabels;
	double value;                /* NaN, +Inf and -Inf as written */
	int64_t ts_ms;               /* the optional timestamp, ms since the epoch */
	int has_ts;
};

struct tm_prom {
	struct tm_prom_sample *v;    /* owned array */
	size_t n, cap;
};

/* Parses body (len bytes, need not be NUL-terminated) into p, which starts zeroed or released.
 * Returns 0, or the 1-based line number of the first malformed line with the reason in err
 * (the samples before it are kept). Release p either way. */
int tm_prom_parse(struct tm_prom *p, const char *body, size_t len, char *err, size_t errlen);
void tm_prom_release(struct tm_prom *p);

/* The value of label name of s, or NULL. */
const char *tm_prom_label(const struct tm_prom_sample *s, const char *name);

#endif

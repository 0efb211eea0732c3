/* diag.h: located diagnostics for rule packs, config files and flags, collected, never printed here.
 *
 * Loaders append to a caller-owned struct tm_diag and go on (up to a cap), so one run shows every
 * error. Only cmd_*.c renders them, in compiler form:
 *   patterns/x.yaml:14:27: error: rule 'iteration': regex: missing closing parenthesis
 *      14 |     regex: 'iteration (\d+'
 *         |                           ^
 * tm_diag_error() returns -1 so callers can `return tm_diag_error(...)`.
 */
#ifndef TRAINMON_DIAG_H
#define TRAINMON_DIAG_H

#include <stdio.h>
#include <stddef.h>

enum tm_severity { TM_SEV_ERROR = 0, TM_SEV_WARNING, TM_SEV_NOTE };

/* A source text a diagnostic points into; borrowed, must outlive the calls that take it. */
struct tm_src {
	const char *name;   /* file name as the user gave it */
	const char *buf;    /* whole text, or NULL (then no source line is shown) */
	size_t      len;
};

struct tm_diag_entry {
	enum tm_severity sev;
	char    *file;      /* owned; NULL for diagnostics about no file (flags) */
	unsigned line, col; /* 1-based; 0 = unknown */
	char    *msg;       /* owned */
	char    *text;      /* owned copy of the source line, or NULL */
};

struct tm_diag {
	struct tm_diag_entry *v;  /* owned array */
	size_t n, cap;
	size_t errors, warnings;  /* counted even past the cap */
	size_t max;               /* entries kept; default 50 */
};

void tm_diag_init(struct tm_diag *d);
void tm_diag_release(struct tm_diag *d);
/* Removes every entry (keeps the allocation). */
void tm_diag_clear(struct tm_diag *d);

int tm_diag_error(struct tm_diag *d, const struct tm_src *src, unsigned line, unsigned col,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void tm_diag_warn(struct tm_diag *d, const struct tm_src *src, unsigned line, unsigned col,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

void tm_diag_note(struct tm_diag *d, const struct tm_src *src, unsigned line, unsigned col,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Renders every entry, then "N errors in FILE" style totals when any. */
void tm_diag_print(const struct tm_diag *d, FILE *out);

#endif

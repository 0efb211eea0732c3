/* tm_test_pack.h: loads a rule pack given as text into a finished ruleset (the unit tests that
 * match records). Returns the number of errors; release rs and d afterwards. */
#ifndef TM_TEST_PACK_H
#define TM_TEST_PACK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/rules.h"

static inline size_t tm_test_pack(struct tm_ruleset *rs, struct tm_diag *d, const char *text)
{
	tm_ruleset_init(rs);
	tm_diag_init(d);
	if (tm_ruleset_load_buf(rs, "t.yaml", text, strlen(text), d) == 0)
		tm_ruleset_finish(rs, d);
	return d->errors;
}

/* Loads the source tree's TM_SOURCE_DIR/rel (a pack file or a directory) into a finished
 * ruleset: its errors, or -1 when TM_SOURCE_DIR is not set (the test skips). */
static inline int tm_test_source_pack(struct tm_ruleset *rs, struct tm_diag *d, const char *rel)
{
	const char *src = getenv("TM_SOURCE_DIR");
	char path[4096];
	tm_ruleset_init(rs);
	tm_diag_init(d);
	if (!src)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", src, rel);
	int rc = tm_ruleset_load(rs, path, d);
	return rc ? rc : tm_ruleset_finish(rs, d);
}

#endif

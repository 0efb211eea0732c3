/* tm_test_pack.h: loads a rule pack given as text into a finished ruleset (the unit tests that
 * match records). Returns the number of errors; release rs and d afterwards. */
#ifndef TM_TEST_PACK_H
#define TM_TEST_PACK_H

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

#endif

/* fuzz_rules.c: property: the rule-pack loader never crashes, and every error it reports points
 * inside the input (a line that exists, a column no further than that line's end + 1). */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "trainmon/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tm_ruleset rs;
	struct tm_diag d;
	tm_ruleset_init(&rs);
	tm_diag_init(&d);
	if (tm_ruleset_load_buf(&rs, "fuzz.yaml", (const char *)data, size, &d) == 0)
		tm_ruleset_finish(&rs, &d);
	size_t lines = 1;               /* line breaks as YAML counts them: \n, \r, \r\n */
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n' || (data[i] == '\r' && (i + 1 == size || data[i + 1] != '\n'));
	for (size_t i = 0; i < d.n; i++)
		if (d.v[i].line > lines + 1)
			abort();
	tm_diag_release(&d);
	tm_ruleset_release(&rs);
	return 0;
}

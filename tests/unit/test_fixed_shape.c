/* test_fixed_shape.c: timestamp regexes read as byte sets (src/fixed_shape.c) give what PCRE2
 * gives. Every shipped pack's `timestamp:` the recogniser takes, and more of its syntax (classes,
 * ranges, escapes, {n}, C+ before a disjoint set, a group at either end), is run on 20 000 subjects
 * each: one of its sample matches, then bytes changed, dropped, doubled or put in from digits,
 * separators, letters and spaces, and matched at every offset, by PCRE2 anchored there and by
 * tm__fixed_match (8 cells a load where it can, a cell at a time else); whether it matches and
 * the group's slice must agree. Then the refusals: every
 * construct the recogniser leaves to PCRE2. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdint.h>

#include "tm_test.h"
#include "fixed_shape.h"

static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

struct accepted {
	const char *re;
	const char *sample;                      /* a subject it matches */
};

static const struct accepted accepted[] = {
	/* the shipped packs' five (torchtitan's at its prefix) */
	{ "^(?<ts>\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d) \\| \\w+ \\| ", "2024-05-01 12:00:00 | INFO | x" },
	{ "^(?<ts>\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d) - \\d+ - ", "2024-05-01T12:00:00 - 0 - levanter" },
	{ "^ \\[(?<ts>\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d)\\] iteration", " [2025-06-01 10:00:04] iteration  1/ 10 |" },
	{ "\\[titan\\] (?<ts>\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d,\\d{3}) - ", "[rank0]:[titan] 2025-12-12 10:08:56,026 - root" },
	{ "^(?<ts>\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3})\\t", "2024-01-02 03:04:05.678\tINFO" },
	/* more of the syntax */
	{ "^(\\d+):\\d\\d", "12:34" },
	{ "^([0-9]{2})[-/.][0-9a-f]+ x", "07/3fa x" },
	{ "^\\s+(\\w+)\\s", "  step_12 " },
	{ "^I(\\d{4}) \\d\\d:\\d\\d", "I0125 10:11 rest" },
	{ "^a+(b+)", "aaabbbc" },
	{ "^[A-Z][a-z]{2} (\\d\\d)", "Jan 05 x" },
	{ "^\\[(\\d+)\\]\\+ \\(", "[42]+ (" },
	{ "^x(y)", "xy" },
	{ "^\\w{3}-(\\d{4})", "a_Z-2024" },                            /* no +, a set not a range */
	{ "^(\\d{2}:\\d{2}) [A-F]{2}[.]\\d", "10:11 AB.5" },           /* 8 at a time */
};

static const char *refused[] = {
	"^(a|b)", "^a*(b)", "^a?(b)", "^(\\d+)\\d", "^(a)$", "^(a).", "^(?:a)(b)", "^(?i)(a)", "^(a)(b)",
	"^(a(b))", "^a{2,3}(b)", "^a{0}(b)", "^a++(b)", "^a+?(b)", "^[^a](b)", "^[[:digit:]](b)",
	"^\\b(a)", "^\\D(a)", "^\\x41(a)", "(?=a)(a)", "(?<=a)(b)", "^()", "^a", "", "^(a)b^", "^(\\d)\\d+\\d",
	"^(a){2}", "^(a)+", "^[\\d-z](a)", "^[]a](b)", "^a{65}(b)", "^(?P<ts>a)",
};

static int by_pcre(pcre2_code *re, pcre2_match_data *md, const char *s, size_t n, size_t at, size_t *vo,
		   size_t *vn)
{
	int rc = pcre2_match(re, (PCRE2_SPTR)s, n, at, PCRE2_ANCHORED, md, NULL);
	if (rc < 0)
		return 0;
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	if (rc < 2 || ov[2] == PCRE2_UNSET)
		return -1;                       /* matched without the group: not ours to give */
	*vo = ov[2];
	*vn = ov[3] - ov[2];
	return 1;
}

static void one(struct tm_test_state *t, const struct accepted *a, uint64_t seed)
{
	int ec;
	PCRE2_SIZE eo;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)a->re, PCRE2_ZERO_TERMINATED, 0, &ec, &eo, NULL);
	struct tm_fixed_shape *x = tm__fixed_shape(a->re, strlen(a->re));
	TM_CHECK(t, re != NULL && x != NULL);
	if (!re || !x) {
		fprintf(stderr, "not taken: %s\n", a->re);
		pcre2_code_free(re);
		free(x);
		return;
	}
	pcre2_match_data *md = pcre2_match_data_create(4, NULL);
	static const char alphabet[] = "0123456789-:. ,\t[]|/abxyAZ_+(\xb0\xb9";   /* and bytes that
									     are '0' and '9' plus 0x80 */
	char s[256];
	size_t matched = 0, bad = 0;
	for (int iter = 0; iter < 20000 && bad < 3; iter++) {
		size_t n = strlen(a->sample);
		memcpy(s, a->sample, n);
		for (uint64_t k = next(&seed) % 4; k > 0; k--) {
			size_t at = n ? (size_t)(next(&seed) % n) : 0;
			char c = alphabet[next(&seed) % (sizeof(alphabet) - 1)];
			switch (next(&seed) % 4) {
			case 0: if (n) s[at] = c; break;                                     /* changed */
			case 1: if (n) { memmove(s + at, s + at + 1, n - at - 1); n--; } break;  /* dropped */
			case 2: if (n + 1 < sizeof(s)) { memmove(s + at + 1, s + at, n - at); n++; } break;
			default: if (n + 1 < sizeof(s)) { memmove(s + at + 1, s + at, n - at); s[at] = c; n++; }
			}
		}
		if (next(&seed) % 8 == 0)
			n = (size_t)(next(&seed) % (n + 1));                           /* cut short */
		for (size_t at = 0; at <= n; at++) {
			size_t po = 0, pn = 0, fo = 0, fn = 0;
			int p = by_pcre(re, md, s, n, at, &po, &pn);
			int f = tm__fixed_match(x, s, n, at, &fo, &fn);
			matched += p > 0;
			if (p != f || (p == 1 && (po != fo || pn != fn))) {
				if (bad++ < 3)
					fprintf(stderr, "%s on \"%.*s\" at %zu: PCRE2 %d [%zu,+%zu], fixed %d [%zu,+%zu]\n",
						a->re, (int)n, s, at, p, po, pn, f, fo, fn);
			}
		}
	}
	TM_CHECK(t, bad == 0);
	TM_CHECK(t, matched > 100);              /* the subjects did reach the matches */
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	free(x);
}

int main(void)
{
	struct tm_test_state t = { 0 };
	uint64_t seed = 0x3c6ef372fe94f82bu;
	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++)
		one(&t, &accepted[i], next(&seed) | 1);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct tm_fixed_shape *x = tm__fixed_shape(refused[i], strlen(refused[i]));
		TM_CHECK(&t, x == NULL);
		if (x)
			fprintf(stderr, "taken, but PCRE2's: %s\n", refused[i]);
		free(x);
	}
	return tm_test_done(&t, "test_fixed_shape");
}

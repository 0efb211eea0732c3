/* test_field_shape.c: fields read without PCRE2 (src/field_shape.c: a prefix and a shape, or
 * P(?:A|B..)L and a shape), and looked for at their
 * prefix literal or their alternatives' literals (src/literal.c), give the slice their regex gives
 * at the leftmost position where it matches. Every `fields:` entry of the shipped packs with a
 * prefix or alternative literals is run on 20 000 random subjects (junk, the literal, often
 * twice or overlapping, then spaces, digits, signs, dots, exponents, words, separators) through
 * tm_match_sub twice: after the prefilter's scan of the subject (the literal's first offset
 * noted by the scan, src/prefilter.c) and by searching, and through its PCRE2 regex tried at every
 * position; the slices must be equal, and a numeric value read in passing (tm_match_sub_num)
 * must be the one tm_parse_num_in gives for PCRE2's slice. Then the recogniser's refusals. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdint.h>

#include "tm_test.h"
#include "tm_test_pack.h"
#include "field_shape.h"
#include "literal.h"
#include "trainmon/diag.h"
#include "trainmon/match.h"
#include "trainmon/num.h"
#include "trainmon/prefilter.h"
#include "trainmon/rules.h"

static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* what the regex gives: the leftmost position where the (anchored) regex matches, every
 * position tried, so a wrong prefix would show too */
static int by_pcre(const struct tm_subfield *f, const char *s, size_t n, size_t *vo, size_t *vn)
{
	pcre2_match_data *md = pcre2_match_data_create(4, NULL);
	int found = 0;
	for (size_t at = 0; at <= n && !found; at++) {
		if (pcre2_match(f->re, (PCRE2_SPTR)s, n, at, 0, md, NULL) > 1) {
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
			*vo = ov[2];
			*vn = ov[3] - ov[2];
			found = 1;
		}
	}
	pcre2_match_data_free(md);
	return found;
}

static struct tm_alt_lit *alt_lits(const char *re, size_t *na, int *starts)
{
	return tm__alt_literals(re, strlen(re), na, starts);
}

static int no_hit(void *ctx, const struct tm_hit *h)
{
	(void)ctx;
	(void)h;
	return 0;
}

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	struct tm_ruleset rs;
	struct tm_diag d;
	int rc = tm_test_source_pack(&rs, &d, "patterns");
	if (rc < 0)
		return 77;
	TM_CHECK(&st, rc == 0);
	struct tm_matcher m;
	tm_matcher_init(&m, &rs);
	static const char *const bits[] = { " ", "  ", "\t", "1", "42", "0.5", ".", "e", "E", "+", "-", "e-05",
					    "nan", "inf", "NaN", "x", "|", ",", ":", "\r", "ms" };
	uint64_t seed = 88172645463325252ull;
	size_t shaped = 0, alted = 0, needled = 0, xshaped = 0, mismatches = 0, read_num = 0;
	for (size_t i = 0; i < rs.nrules; i++)
		for (size_t k = 0; k < rs.rules[i].nfields; k++) {
			const struct tm_subfield *f = &rs.rules[i].fields[k];
			if (!f->prefix && !f->nalts)
				continue;
			shaped += f->shape != NULL;
			xshaped += f->xshape != NULL;
			alted += f->nalts != 0;
			needled += f->prefix ? f->needle != TM_NO_NEEDLE : f->alts[0].needle != TM_NO_NEEDLE;
			for (int t = 0; t < 20000; t++) {
				char s[512];
				size_t n = 0;
				int parts = (int)(next(&seed) % 12);
				for (int q = 0; q < parts; q++) {
					const char *b = f->nxalts && next(&seed) % 2 ? f->xalts[next(&seed) % f->nxalts].p
						      : f->prefix ? f->prefix : f->alts[next(&seed) % f->nalts].p;
					size_t cut = next(&seed) % 8;           /* "prefixprefix" and "pprefix" */
					if (next(&seed) % 6 != 0)
						b = bits[next(&seed) % (sizeof(bits) / sizeof(bits[0]))];
					else if (cut == 0 && n + 1 < sizeof(s))
						s[n++] = b[0];
					size_t bl = strlen(b);
					if (n + bl < sizeof(s)) {
						memcpy(s + n, b, bl);
						n += bl;
					}
				}
				size_t wo = 0, wn = 0;
				int want = by_pcre(f, s, n, &wo, &wn);
				for (int how = 0; how < 2; how++) {
					/* how 0: read where the record's scan saw the literal; 1: searched */
					if (how == 0)
						tm_match_record(&m, s, n, no_hit, NULL);
					else
						m.scan_subj = NULL;
					size_t vo = 0, vn = 0;
					const char *p;
					size_t pn;
					int got = tm_match_sub(&m, f, s, n, &p, &pn);
					if (got)
						vo = (size_t)(p - s), vn = pn;
					if (got != want || vo != wo || vn != wn) {
						if (mismatches++ < 5)
							fprintf(stderr, "rule %s field %zu (%s) on '%.*s': got %d (%zu,%zu), pcre %d (%zu,%zu)\n",
								rs.rules[i].name, k, how ? "searched" : "scanned", (int)n, s, got,
								vo, vn, want, wo, wn);
					}
					/* the value read in passing: no match where PCRE2 has none, else the
					 * bits tm_parse_num_in gives for PCRE2's slice */
					int pow10 = (int)(next(&seed) % 4);
					double v = -1, ref = want ? tm_parse_num_in(s + wo, wn, pow10, s + n) : 0;
					int x = tm_match_sub_num(&m, f, s, n, pow10, &v);
					read_num += x == 1;
					if ((x == 0 && want) || (x == 1 && (!want || memcmp(&v, &ref, sizeof(v)) != 0))) {
						if (mismatches++ < 5)
							fprintf(stderr, "rule %s field %zu (%s) on '%.*s': read %d %.17g, pcre %d then %.17g\n",
								rs.rules[i].name, k, how ? "searched" : "scanned", (int)n, s, x, v,
								want, ref);
					}
				}
			}
		}
	printf("%zu fields with a shape, %zu with alternative literals, %zu with alternatives and a shape, %zu read "
	       "where the scan saw them; %zu values read in passing\n", shaped, alted, xshaped, needled, read_num);
	TM_CHECK(&st, xshaped >= 2);
	TM_CHECK(&st, shaped >= 10);
	TM_CHECK(&st, alted >= 2);
	TM_CHECK(&st, needled >= 20);
	TM_CHECK(&st, read_num >= 30000);  /* a floor (74 796 when written): the path is taken, often */
	TM_CHECK(&st, mismatches == 0);
	/* alternatives' literals: one per alternative, the starts when every one has a prefix */
	size_t na = 0;
	int starts = -1;
	struct tm_alt_lit *al = alt_lits("(?:ab c|\\| de):\\s*(\\d+)", &na, &starts);
	TM_CHECK(&st, al && na == 2 && starts == 1 && strcmp(al[0].p, "ab c") == 0 && strcmp(al[1].p, "| de") == 0);
	tm__alt_literals_free(al, na);
	al = alt_lits("(?:ab|cd)(?:x|y)(\\d)", &na, &starts);   /* a later group's '|' is its own */
	TM_CHECK(&st, al && na == 2 && starts == 1 && strcmp(al[1].p, "cd") == 0);
	tm__alt_literals_free(al, na);
	al = alt_lits("(?:^ ?samples/sec|\\| x y): (\\d)", &na, &starts);
	TM_CHECK(&st, al && na == 2 && starts == 0 && strcmp(al[0].p, "samples/sec") == 0);
	tm__alt_literals_free(al, na);
	/* optional group, an alternative without a literal, no leading group, one alternative, and a
	 * regex that is itself an alternation past the group (a match of "ef=1" holds neither) */
	static const char *const noalt[] = { "(?:ab|cd)?x(\\d)", "(?:a|bc)(\\d)", "ab(?:cd|ef)(\\d)", "(?:ab)(\\d)",
					     "(?:ab|cd):(\\d)|ef=(\\d)", "(?:ab|cd)(x|y)|(?:ef)=(\\d)" };
	for (size_t i = 0; i < sizeof(noalt) / sizeof(noalt[0]); i++) {
		al = alt_lits(noalt[i], &na, &starts);
		TM_CHECK(&st, al == NULL);
		tm__alt_literals_free(al, 0);
	}
	/* refusals: text after the group, lazy or other quantifiers, negation, named groups */
	static const char *const no[] = { "a:\\s*(\\d+) \\|", "a:\\s*(\\d*)", "a:\\s*([^ ]+)", "a:\\s*(?<v>\\d+)",
					  "a:\\s*(\\d+)?", "a:\\s*([\\s\\d]+)", "a:\\s*(\\d+|-?inf)" };
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		struct tm_field_shape *sh = tm__field_shape(no[i], strlen(no[i]), 2);
		TM_CHECK(&st, sh == NULL);
		free(sh);
	}
	/* prefixes: a group of plain alternatives adds what they all start with */
	static const char *const re[] = { "\\| (?:lm loss|lm-loss|lm_loss):\\s*(\\d+)", "x: (?:ab|ac)?(\\d)",
					  "ab(?:c|d(e))", "ab(?:cd|ce)", "a+b" };
	static const char *const want[] = { "| lm", "x: ", "ab", "abc", NULL };
	for (size_t i = 0; i < sizeof(re) / sizeof(re[0]); i++) {
		size_t pl = 0;
		char *pre = tm__prefix_literal(re[i], strlen(re[i]), &pl);
		TM_CHECK(&st, want[i] ? pre && strcmp(pre, want[i]) == 0 : pre == NULL);
		free(pre);
	}
	struct tm_field_shape *sh = tm__field_shape("a:\\s*([-+0-9.eE]+|nan|inf)", 26, 2);
	TM_CHECK(&st, sh && sh->ws && sh->nwords == 2 && sh->cls['e'] && sh->cls['-'] && !sh->cls['n']);
	free(sh);
	tm_matcher_release(&m);
	tm_ruleset_release(&rs);
	tm_diag_release(&d);
	/* alternatives and a shape: the literals, in order, and the refusals */
	{
		size_t nx = 0;
		struct tm_field_shape *xs = NULL;
		static const char lossre[] = "\\| (?:lm loss|lm-loss):\\s*([-+0-9.eE]+|nan)";
		struct tm_alt_lit *x = tm__alt_shape(lossre, strlen(lossre), &nx, &xs);
		TM_CHECK(&st, x && nx == 2 && xs && strcmp(x[0].p, "| lm loss:") == 0 && strcmp(x[1].p, "| lm-loss:") == 0);
		tm__alt_literals_free(x, nx);
		free(xs);
		static const char *const refused[] = {
			"(?:a|b)?:\\s*(\\d+)",        /* optional group */
			"(?:ab?|c):\\s*(\\d+)",       /* a quantifier in an alternative */
			"(?:a|b):\\s*(\\d+) x",       /* text after the value */
			"(?:a|(b)):\\s*(\\d+)",       /* a group in an alternative */
			"(?:a||b):\\s*(\\d+)",        /* an empty alternative */
			"(?i:a|b):\\s*(\\d+)",        /* options */
			"x:?(?:a|b)\\s*(\\d+)",       /* an optional literal before */
		};
		for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
			x = tm__alt_shape(refused[i], strlen(refused[i]), &nx, &xs);
			TM_CHECK(&st, x == NULL && xs == NULL);
			tm__alt_literals_free(x, nx);
			free(xs);
		}
	}
	return tm_test_done(&st, "test_field_shape");
}

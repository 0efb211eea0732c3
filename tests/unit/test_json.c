/* test_json.c: the JSON writer (src/json.c): escaping, invalid UTF-8, shortest round-trip numbers,
 * NAN as null, nesting and commas. Every ill-formed UTF-8 subpart becomes one U+FFFD (Unicode's
 * "maximal subpart" practice), so the output is always valid UTF-8, and is counted. */
#include "tm_test.h"
#include "trainmon/json.h"

#define FFFD "\xef\xbf\xbd"

/* A compact writer into a memory buffer (*buf, valid after fclose). */
static FILE *open_writer(struct tm_json *j, char **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	FILE *f = open_memstream(buf, len);
	tm_json_init(j, f, 0);
	return f;
}

/* Writes s (n bytes) as one JSON string; checks the output and the number of replacements. */
static void check_str(struct tm_test_state *st, const char *s, size_t n, const char *want, size_t want_replaced)
{
	char *buf;
	size_t len;
	struct tm_json j;
	FILE *f = open_writer(&j, &buf, &len);
	tm_json_strn(&j, NULL, s, n);
	fclose(f);
	TM_STREQ(st, buf, want);
	TM_CHECK(st, j.replaced == want_replaced);
	if (j.replaced != want_replaced)
		fprintf(stderr, "  replaced %zu, want %zu for %s\n", j.replaced, want_replaced, want);
	free(buf);
}

#define CHECK_STR(st, lit, want, nrep) check_str(st, lit, sizeof(lit) - 1, want, nrep)

static void check_utf8(struct tm_test_state *st)
{
	/* valid 2, 3 and 4-byte sequences, and the extremes of each range, pass unchanged */
	CHECK_STR(st, "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"", 0);
	CHECK_STR(st, "\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf",
		  "\"\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"", 0);
	/* 5-byte form (F8 is never a lead byte): every byte is its own subpart */
	CHECK_STR(st, "a\xf8\x88\x80\x80\x80z", "\"a" FFFD FFFD FFFD FFFD FFFD "z\"", 5);
	/* above U+10FFFF */
	CHECK_STR(st, "\xf4\x90\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"", 4);
	/* overlong '/' */
	CHECK_STR(st, "\xe0\x80\xaf", "\"" FFFD FFFD FFFD "\"", 3);
	CHECK_STR(st, "\xc0\xaf", "\"" FFFD FFFD "\"", 2);
	CHECK_STR(st, "\xf0\x80\x80\xaf", "\"" FFFD FFFD FFFD FFFD "\"", 4);
	/* UTF-16 surrogate */
	CHECK_STR(st, "\xed\xa0\x80", "\"" FFFD FFFD FFFD "\"", 3);
	/* truncated sequences at the end of the string: one replacement each */
	CHECK_STR(st, "x\xe2\x82", "\"x" FFFD "\"", 1);
	CHECK_STR(st, "x\xf0\x9f\x98", "\"x" FFFD "\"", 1);
	CHECK_STR(st, "x\xc3", "\"x" FFFD "\"", 1);
	/* truncated in the middle, then a valid character and ASCII */
	CHECK_STR(st, "\xe2\x82\xc3\xa9!", "\"" FFFD "\xc3\xa9!\"", 1);
	/* stray continuation bytes and 0xff */
	CHECK_STR(st, "\x80\xbf\xfe\xff", "\"" FFFD FFFD FFFD FFFD "\"", 4);
	/* only part of the buffer is written: a sequence cut by n is truncated */
	check_str(st, "\xc3\xa9", 1, "\"" FFFD "\"", 1);
}

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	char *buf;
	size_t len;
	struct tm_json j;
	FILE *f = open_writer(&j, &buf, &len);
	tm_json_obj(&j, NULL);
	tm_json_str(&j, "s", "a\"b\\c\n\x01 é \xff");
	tm_json_str(&j, "k\xff", "\xed\xa0\x80");   /* keys are escaped too */
	tm_json_num(&j, "int", 2204555173429248.0);
	tm_json_num(&j, "frac", 1.0416);
	tm_json_num(&j, "third", 1.0 / 3.0);
	tm_json_num(&j, "unknown", NAN);
	tm_json_arr(&j, "a");
	tm_json_bool(&j, NULL, 1);
	tm_json_null(&j, NULL);
	tm_json_end(&j, ']');
	tm_json_obj(&j, "empty");
	tm_json_end(&j, '}');
	tm_json_end(&j, '}');
	fclose(f);
	TM_STREQ(&st, buf, "{\"s\":\"a\\\"b\\\\c\\n\\u0001 \xc3\xa9 " FFFD "\",\"k" FFFD "\":\"" FFFD FFFD FFFD "\",\"int\":2204555173429248,\"frac\":1.0416,"
			  "\"third\":0.3333333333333333,\"unknown\":null,\"a\":[true,null],\"empty\":{}}");
	free(buf);

	TM_CHECK(&st, j.replaced == 5);   /* the count is per writer */
	check_utf8(&st);

	char num[40];
	tm_fmt_num(num, sizeof(num), 0.1);
	TM_STREQ(&st, num, "0.1");
	tm_fmt_num(num, sizeof(num), 1e300);
	TM_STREQ(&st, num, "1e+300");
	tm_fmt_num(num, sizeof(num), INFINITY);
	TM_STREQ(&st, num, "null");
	return tm_test_done(&st, "test_json");
}

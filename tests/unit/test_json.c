/* test_json.c: the JSON writer (src/json.c): escaping, invalid UTF-8, shortest round-trip numbers,
 * NAN as null, nesting and commas. */
#include "tm_test.h"
#include "trainmon/json.h"

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct tm_json j;
	tm_json_init(&j, f, 0);
	tm_json_obj(&j, NULL);
	tm_json_str(&j, "s", "a\"b\\c\n\x01 é \xff");
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
	TM_STREQ(&st, buf, "{\"s\":\"a\\\"b\\\\c\\n\\u0001 \xc3\xa9 ?\",\"int\":2204555173429248,\"frac\":1.0416,"
			  "\"third\":0.3333333333333333,\"unknown\":null,\"a\":[true,null],\"empty\":{}}");
	free(buf);

	char num[40];
	tm_fmt_num(num, sizeof(num), 0.1);
	TM_STREQ(&st, num, "0.1");
	tm_fmt_num(num, sizeof(num), 1e300);
	TM_STREQ(&st, num, "1e+300");
	tm_fmt_num(num, sizeof(num), INFINITY);
	TM_STREQ(&st, num, "null");
	return tm_test_done(&st, "test_json");
}

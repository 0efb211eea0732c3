/* fuzz_prom.c: property: whatever bytes a followed file's path holds (they become the run and
 * file labels), /metrics stays valid exposition text: every sample line is
 * name{label="value",...} number, label values escape only \\ \" \n, and the output is UTF-8. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "trainmon/metrics.h"

static int utf8_ok(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		size_t k = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 && c >= 0xc2 ? 2 : (c & 0xf0) == 0xe0 ? 3 :
			   (c & 0xf8) == 0xf0 && c <= 0xf4 ? 4 : 0;
		if (!k || i + k > n)
			return 0;
		for (size_t j = 1; j < k; j++)
			if ((p[i + j] & 0xc0) != 0x80)
				return 0;
		i += k;
	}
	return 1;
}

static int name_char(char c, int first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (!first && c >= '0' && c <= '9');
}

/* One sample line; 1 if valid. */
static int sample_ok(const char *l, size_t n)
{
	size_t i = 0;
	if (!n || !name_char(l[0], 1))
		return 0;
	while (i < n && name_char(l[i], i == 0))
		i++;
	if (i < n && l[i] == '{') {
		i++;
		for (;;) {
			size_t s = i;
			while (i < n && name_char(l[i], i == s))
				i++;
			if (i == s || i + 1 >= n || l[i] != '=' || l[i + 1] != '"')
				return 0;
			i += 2;
			while (i < n && l[i] != '"') {
				if (l[i] == '\\') {
					if (i + 1 >= n || !strchr("\\\"n", l[i + 1]))
						return 0;
					i++;
				}
				i++;
			}
			if (i >= n)
				return 0;
			i++;                   /* closing quote */
			if (i < n && l[i] == ',') {
				i++;
				continue;
			}
			if (i < n && l[i] == '}') {
				i++;
				break;
			}
			return 0;
		}
	}
	if (i >= n || l[i] != ' ')
		return 0;
	char num[64];
	size_t k = n - i - 1;
	if (k == 0 || k >= sizeof(num))
		return 0;
	memcpy(num, l + i + 1, k);
	num[k] = '\0';
	if (strcmp(num, "+Inf") == 0 || strcmp(num, "-Inf") == 0 || strcmp(num, "NaN") == 0)
		return 1;
	char *end;
	strtod(num, &end);
	return *end == '\0';
}

/* The view metrics renders from: one file, with its summary and alerts. */
struct one_file {
	struct tm_tail tail;
	struct tm_summary sum;
	struct tm_alerts alerts;
	const struct tm_ruleset *rs;
};

static size_t view_nfiles(void *ctx)
{
	(void)ctx;
	return 1;
}

static void view_file(void *ctx, size_t i, struct tm_metrics_file *out)
{
	const struct one_file *w = ctx;
	(void)i;
	*out = (struct tm_metrics_file){ .tail = &w->tail, .sum = &w->sum, .alerts = &w->alerts };
}

static void view_totals(void *ctx, struct tm_metrics_totals *out)
{
	const struct one_file *w = ctx;
	*out = (struct tm_metrics_totals){ .rules = w->rs };
}

static void view_note(void *ctx, const char *msg)
{
	(void)ctx;
	(void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *path = malloc(size + 1);
	if (!path)
		return 0;
	memcpy(path, data, size);
	path[size] = '\0';
	for (size_t i = 0; i < size; i++)
		if (!path[i])
			path[i] = '_';             /* a path has no NUL */
	struct tm_ruleset rs;
	tm_ruleset_init(&rs);
	struct tm_diag d;
	tm_diag_init(&d);
	tm_ruleset_finish(&rs, &d);
	struct one_file w;
	memset(&w, 0, sizeof(w));
	w.rs = &rs;
	tm_tail_init(&w.tail, path, &rs, 0, 1000);
	tm_run_set_sparam(&w.tail.feed.run, TM_P_SLURM_JOB_ID, path, 0);
	struct tm_job job;
	tm_job_init(&job);
	tm_summarize(&w.tail.feed.run, &job, &w.sum);
	w.sum.framework = path;              /* hostile bytes in every label */
	struct tm_metrics_cfg cfg = { .expire_s = 3600 };
	struct tm_metrics_view view = { view_nfiles, view_file, view_totals, view_note, &w };
	struct tm_metrics *m = NULL;
	char err[256];
	if (tm_metrics_new(&m, &cfg, &view, NULL, err, sizeof(err)) != 0)
		abort();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	tm_metrics_render(m, f);
	fclose(f);
	if (!utf8_ok((const unsigned char *)buf, len))
		abort();
	for (char *l = buf; l < buf + len;) {
		char *nl = memchr(l, '\n', (size_t)(buf + len - l));
		if (!nl)
			abort();                 /* every line ends in '\n' */
		if (*l != '#' && !sample_ok(l, (size_t)(nl - l))) {
			fprintf(stderr, "bad line: %.*s\n", (int)(nl - l), l);
			abort();
		}
		l = nl + 1;
	}
	free(buf);
	tm_metrics_free(m);
	tm_tail_release(&w.tail);
	tm_diag_release(&d);
	tm_ruleset_release(&rs);
	free(path);
	return 0;
}

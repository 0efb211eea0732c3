/* labels.c: static labels, checked, read and applied (labels.h).
 *
 * They are put on the text after rendering rather than by each series' writer, so every series
 * gets them, those added later included, and no writer can forget them. The cost is one copy of
 * the exposition per scrape (linear, well under the rendering's own cost).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/labels.h"
#include "trainmon/xalloc.h"
#include "banned.h"

int tm_label_name_ok(const char *k, size_t n)
{
	if (!n || (k[0] >= '0' && k[0] <= '9') || (n >= 2 && k[0] == '_' && k[1] == '_'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' && k[i] <= 'Z') || (k[i] >= '0' && k[i] <= '9') ||
		      k[i] == '_'))
			return 0;
	return 1;
}

/* Every label a series of src/metrics.c carries, and those of the exposition format itself. */
static const char *const reserved[] = { "run", "file", "framework", "slurm_job_id", "namespace", "pod",
					"container", "chain", "stat", "kind", "alert", "sink", "result", "pack",
					"rule", "version", "reason", "shard", "shards", "le", "quantile" };

int tm_label_reserved(const char *k, size_t n)
{
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strlen(reserved[i]) == n && memcmp(reserved[i], k, n) == 0)
			return 1;
	return 0;
}

int tm_label_check(const char *kv, const char *what, char *err, size_t n)
{
	const char *eq = strchr(kv, '=');
	if (!eq || !tm_label_name_ok(kv, (size_t)(eq - kv))) {
		snprintf(err, n, "%s: '%s' is not KEY=VALUE with a label name KEY ([a-zA-Z_][a-zA-Z0-9_]*)", what, kv);
		return -1;
	}
	if (tm_label_reserved(kv, (size_t)(eq - kv))) {
		snprintf(err, n, "%s: '%.*s' is a label trainmon's own series carry; pick another name", what,
			 (int)(eq - kv), kv);
		return -1;
	}
	return 0;
}

int tm_labels_read_map(const struct tm_ynode *m, const char *section, int reserve, char ***kv, size_t *nkv,
		       const struct tm_src *src, struct tm_diag *d)
{
	if (m->type != TM_Y_MAP)
		return tm_diag_error(d, src, m->line, m->col, "%s: must be a mapping of label names to values", section), 1;
	int errors = 0;
	for (size_t q = 0; q + 1 < m->n; q += 2) {
		const struct tm_ynode *lk = m->kids[q], *lv = m->kids[q + 1];
		if (lk->type != TM_Y_SCALAR || lv->type != TM_Y_SCALAR || !tm_label_name_ok(lk->str, strlen(lk->str))) {
			tm_diag_error(d, src, lk->line, lk->col, "%s: '%s' is not a label name ([a-zA-Z_][a-zA-Z0-9_]*) "
				      "with a scalar value", section, lk->type == TM_Y_SCALAR ? lk->str : "?");
			errors++;
			continue;
		}
		if (reserve && tm_label_reserved(lk->str, strlen(lk->str))) {
			tm_diag_error(d, src, lk->line, lk->col, "%s: '%s' is a label trainmon's own series carry; "
				      "pick another name", section, lk->str);
			errors++;
			continue;
		}
		size_t len = strlen(lk->str) + strlen(lv->str) + 2;
		char *s = tm_xmalloc(len);
		snprintf(s, len, "%s=%s", lk->str, lv->str);
		*kv = tm_xrealloc(*kv, (*nkv + 1) * sizeof(**kv));
		(*kv)[(*nkv)++] = s;
	}
	return errors;
}

void tm_prom_add_labels(const char *text, size_t len, const char *lab, FILE *out)
{
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl + 1 : end;
		if (*p == '#' || *p == '\n') {
			fwrite(p, 1, (size_t)(le - p), out);
			p = le;
			continue;
		}
		const char *q = p;           /* the metric name ends at '{' or ' ' */
		while (q < le && *q != '{' && *q != ' ' && *q != '\n')
			q++;
		fwrite(p, 1, (size_t)(q - p), out);
		if (q < le && *q == '{') {
			fprintf(out, "{%s%s", lab, q + 1 < le && q[1] == '}' ? "" : ",");
			q++;
		} else {
			fprintf(out, "{%s}", lab);
		}
		fwrite(q, 1, (size_t)(le - q), out);
		p = le;
	}
}

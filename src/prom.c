/* prom.c: the Prometheus text exposition format (0.0.4) parsed into owned samples (prom.h).
 *
 * One line at a time: `# HELP NAME TEXT` and `# TYPE NAME TYPE` are checked and skipped, other
 * `#` lines and blank lines are comments, and a sample is NAME[{LABEL="VALUE",...}] VALUE [TS].
 * Label values are unescaped (\\, \", \n); numbers are read with strtod, which ignores the locale's
 * decimal point only under LC_NUMERIC "C" (the program never sets LC_NUMERIC). Must not: print,
 * or read past len (the body need not end with a NUL, nor with a newline).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/prom.h"
#include "trainmon/appendf.h"
#include "trainmon/xalloc.h"
#include "banned.h"

struct cur {                         /* one line being read */
	const char *p, *end;         /* borrowed from the body */
};

static int is_name_start(char c, int colon)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
}

static int is_name_char(char c, int colon)
{
	return is_name_start(c, colon) || (c >= '0' && c <= '9');
}

static void skip_blanks(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

/* A metric name (colon 1) or a label name (colon 0); returns its length, 0 if none. */
static size_t name(struct cur *c, int colon)
{
	const char *s = c->p;
	if (c->p >= c->end || !is_name_start(*c->p, colon))
		return 0;
	while (c->p < c->end && is_name_char(*c->p, colon))
		c->p++;
	return (size_t)(c->p - s);
}

/* A number token (up to a blank or the end) as strtod reads it; 0 or -1. */
static int number(struct cur *c, double *out)
{
	const char *s = c->p;
	while (c->p < c->end && *c->p != ' ' && *c->p != '\t')
		c->p++;
	size_t n = (size_t)(c->p - s);
	char buf[64];
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	char *e;
	errno = 0;
	double v = strtod(buf, &e);
	if (e != buf + n)
		return -1;
	*out = v;
	return 0;
}

/* "VALUE" after the '=': unescaped into an owned string. */
static int label_value(struct cur *c, char **out, char *err, size_t errlen)
{
	if (c->p >= c->end || *c->p != '"')
		return tm_errf(err, errlen, "a label value must be in double quotes");
	c->p++;
	char *v = tm_xmalloc((size_t)(c->end - c->p) + 1);
	size_t n = 0;
	while (c->p < c->end && *c->p != '"') {
		char ch = *c->p++;
		if (ch == '\\') {
			if (c->p >= c->end)
				break;
			ch = *c->p++;
			if (ch == 'n')
				ch = '\n';
			else if (ch != '\\' && ch != '"') {
				free(v);
				return tm_errf(err, errlen, "unknown escape '\\%c' in a label value", ch);
			}
		}
		v[n++] = ch;
	}
	if (c->p >= c->end) {
		free(v);
		return tm_errf(err, errlen, "a label value is not closed");
	}
	c->p++;
	v[n] = '\0';
	*out = v;
	return 0;
}

static void sample_release(struct tm_prom_sample *s)
{
	for (size_t i = 0; i < s->nlabels; i++) {
		free(s->labels[i].name);
		free(s->labels[i].value);
	}
	free(s->labels);
	free(s->name);
}

/* {name="value",...} with an optional trailing comma. */
static int labels(struct cur *c, struct tm_prom_sample *s, char *err, size_t errlen)
{
	size_t cap = 0;
	c->p++;                               /* '{' */
	for (;;) {
		skip_blanks(c);
		if (c->p < c->end && *c->p == '}') {
			c->p++;
			return 0;
		}
		const char *ln = c->p;
		size_t lnlen = name(c, 0);
		if (!lnlen)
			return tm_errf(err, errlen, "a label name is expected");
		skip_blanks(c);
		if (c->p >= c->end || *c->p != '=')
			return tm_errf(err, errlen, "'=' is expected after the label name '%.*s'", (int)lnlen, ln);
		c->p++;
		skip_blanks(c);
		char *v = NULL;
		if (label_value(c, &v, err, errlen))
			return -1;
		for (size_t i = 0; i < s->nlabels; i++)
			if (strlen(s->labels[i].name) == lnlen && memcmp(s->labels[i].name, ln, lnlen) == 0) {
				free(v);
				return tm_errf(err, errlen, "the label '%.*s' is given twice", (int)lnlen, ln);
			}
		tm_xgrow((void **)&s->labels, &cap, s->nlabels + 1, sizeof(*s->labels));
		s->labels[s->nlabels++] = (struct tm_prom_label){ tm_xstrndup(ln, lnlen), v };
		skip_blanks(c);
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		if (c->p < c->end && *c->p == '}') {
			c->p++;
			return 0;
		}
		return tm_errf(err, errlen, "',' or '}' is expected after a label");
	}
}

/* `# HELP NAME ...` and `# TYPE NAME TYPE`: checked; other comments: anything. */
static int comment(struct cur *c, char *err, size_t errlen)
{
	c->p++;
	skip_blanks(c);
	const char *kw = c->p;
	while (c->p < c->end && *c->p != ' ' && *c->p != '\t')
		c->p++;
	size_t kwlen = (size_t)(c->p - kw);
	int help = kwlen == 4 && memcmp(kw, "HELP", 4) == 0, type = kwlen == 4 && memcmp(kw, "TYPE", 4) == 0;
	if (!help && !type)
		return 0;
	skip_blanks(c);
	if (!name(c, 1))
		return tm_errf(err, errlen, "# %.4s: a metric name is expected", kw);
	if (help)
		return 0;
	skip_blanks(c);
	static const char *const types[] = { "counter", "gauge", "histogram", "summary", "untyped" };
	const char *t = c->p;
	while (c->p < c->end && *c->p != ' ' && *c->p != '\t')
		c->p++;
	size_t tlen = (size_t)(c->p - t);
	skip_blanks(c);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strlen(types[i]) == tlen && memcmp(types[i], t, tlen) == 0 && c->p == c->end)
			return 0;
	return tm_errf(err, errlen, "# TYPE: '%.*s' is not counter, gauge, histogram, summary or untyped", (int)tlen, t);
}

static int sample(struct cur *c, struct tm_prom *p, char *err, size_t errlen)
{
	struct tm_prom_sample s = { 0 };
	const char *n = c->p;
	size_t nlen = name(c, 1);
	if (!nlen)
		return tm_errf(err, errlen, "a metric name is expected");
	s.name = tm_xstrndup(n, nlen);
	const char *before = c->p;
	skip_blanks(c);
	if (c->p < c->end && *c->p == '{') {
		if (labels(c, &s, err, errlen))
			goto bad;
		before = c->p;
		skip_blanks(c);
	}
	if (c->p == before && c->p < c->end) {
		tm_errf(err, errlen, "a blank is expected before the value of '%s'", s.name);
		goto bad;
	}
	if (number(c, &s.value)) {
		tm_errf(err, errlen, "the value of '%s' is not a number", s.name);
		goto bad;
	}
	skip_blanks(c);
	if (c->p < c->end) {
		double ts;
		if (number(c, &ts) || ts != floor(ts) || fabs(ts) > 9.2e18) {
			tm_errf(err, errlen, "the timestamp of '%s' is not an integer (ms)", s.name);
			goto bad;
		}
		s.ts_ms = (int64_t)ts;
		s.has_ts = 1;
		skip_blanks(c);
		if (c->p < c->end) {
			tm_errf(err, errlen, "unexpected text after the sample of '%s'", s.name);
			goto bad;
		}
	}
	tm_xgrow((void **)&p->v, &p->cap, p->n + 1, sizeof(*p->v));
	p->v[p->n++] = s;
	return 0;
bad:
	sample_release(&s);
	return -1;
}

int tm_prom_parse(struct tm_prom *p, const char *body, size_t len, char *err, size_t errlen)
{
	const char *end = body + len;
	int line = 0;
	for (const char *s = body; s < end;) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *e = nl ? nl : end;
		struct cur c = { s, e };
		line++;
		if (c.end > c.p && c.end[-1] == '\r')
			c.end--;
		skip_blanks(&c);
		int rc = 0;
		if (c.p == c.end)
			rc = 0;
		else if (*c.p == '#')
			rc = comment(&c, err, errlen);
		else if (memchr(c.p, '\0', (size_t)(c.end - c.p)))
			rc = tm_errf(err, errlen, "a NUL byte in the line");
		else
			rc = sample(&c, p, err, errlen);
		if (rc)
			return line;
		s = nl ? nl + 1 : end;
	}
	return 0;
}

void tm_prom_release(struct tm_prom *p)
{
	for (size_t i = 0; i < p->n; i++)
		sample_release(&p->v[i]);
	free(p->v);
	*p = (struct tm_prom){ 0 };
}

const char *tm_prom_label(const struct tm_prom_sample *s, const char *name)
{
	for (size_t i = 0; i < s->nlabels; i++)
		if (strcmp(s->labels[i].name, name) == 0)
			return s->labels[i].value;
	return NULL;
}

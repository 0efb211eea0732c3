/* rules_regex.c: a rule's regexes compiled with located errors, and their named groups mapped.
 *
 * Regex errors carry PCRE2's own message and point at the exact character when the scalar's
 * quoting lets us map pattern offsets to file columns (plain, or single-quoted without ''), else
 * at the scalar with "(pattern offset N)". A `regexes:` list is compiled as one regex,
 * (?:A)|(?:B)|..., with duplicate names allowed, so the matcher, the run and the metrics still see
 * one rule and one match: each regex is compiled alone first (exact error columns, its own groups
 * and literal). Must not print.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/xalloc.h"
#include "literal.h"
#include "rules_int.h"
#include "vocab.h"
#include "trainmon/prefilter.h"
#include "fixed_shape.h"
#include "banned.h"

/* Column of pattern offset off in the file, when the scalar's quoting allows exact mapping. */
static unsigned regex_column(const struct tm_ynode *n, size_t off, int *exact)
{
	*exact = 0;
	if (n->style == TM_YS_PLAIN) {
		*exact = 1;
		return n->col + (unsigned)off;
	}
	if (n->style == TM_YS_SINGLE && !strstr(n->str, "'")) {
		*exact = 1;
		return n->col + 1 + (unsigned)off;
	}
	return n->col;
}

static pcre2_code *compile_text(struct tm_rload *L, const char *p, size_t n, uint32_t options, int *ec,
				PCRE2_SIZE *eoff)
{
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)p, n, options, ec, eoff, NULL);
	if (!re)
		return NULL;
	uint32_t cap = 0;
	pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &cap);
	if (cap + 1 > L->rs->max_groups)
		L->rs->max_groups = cap + 1;
	return re;
}

void *tm__re_compile(struct tm_rload *L, const struct tm_ynode *n, const char *what, const char *rule,
		     uint32_t options)
{
	int ec;
	PCRE2_SIZE eoff;
	pcre2_code *re = compile_text(L, n->str, n->len, options, &ec, &eoff);
	if (re)
		return re;
	PCRE2_UCHAR msg[256];
	pcre2_get_error_message(ec, msg, sizeof(msg));
	int exact;
	unsigned col = regex_column(n, eoff, &exact);
	if (exact)
		tm_diag_error(L->d, L->src, n->line, col, "rule '%s': %s: %s", rule, what, (char *)msg);
	else
		tm_diag_error(L->d, L->src, n->line, col, "rule '%s': %s: %s (pattern offset %zu)", rule, what,
			      (char *)msg, (size_t)eoff);
	return NULL;
}

void tm__re_map_groups(struct tm_rload *L, struct tm_rule *r, void *re, const struct tm_ynode *at,
		       uint32_t offset)
{
	uint32_t count = 0, esize = 0;
	PCRE2_SPTR table = NULL;
	pcre2_pattern_info(re, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(re, PCRE2_INFO_NAMEENTRYSIZE, &esize);
	pcre2_pattern_info(re, PCRE2_INFO_NAMETABLE, &table);
	for (uint32_t i = 0; i < count; i++) {
		PCRE2_SPTR e = table + i * esize;
		uint32_t group = (uint32_t)((e[0] << 8) | e[1]) + offset;
		const char *name = (const char *)(e + 2);
		struct tm_capture c = { .group = group, .target = -1 };
		const struct tm_group_name *g;
		int p;
		if (strcmp(name, "msg") == 0) {
			c.kind = TM_CAP_MSG;
		} else if (strcmp(name, "ts") == 0) {
			c.kind = TM_CAP_TS;      /* any rule: the line's time when it has no prefix time */
		} else if (r->rec == TM_REC_PHASE && (g = tm_phase_group_lookup(name))) {
			c.kind = TM_CAP_FIELD;
			c.target = (int)g->field;
			c.pow10 = g->pow10;
		} else if (r->rec == TM_REC_RANK && (g = tm_rank_group_lookup(name))) {
			c.kind = TM_CAP_FIELD;
			c.target = (int)g->field;
			c.pow10 = g->pow10;
		} else if (r->rec == TM_REC_PARAM && strcmp(name, "key") == 0) {
			c.kind = TM_CAP_KEY;
		} else if (r->rec == TM_REC_PARAM && strcmp(name, "value") == 0) {
			c.kind = TM_CAP_VALUE;
		} else if ((g = tm_group_lookup(name)) &&
			   (r->rec == TM_REC_STEP || (r->rec == TM_REC_PARAM && tm_field_is_job_value(g->field)))) {
			c.kind = TM_CAP_FIELD;
			c.target = (int)g->field;
			c.pow10 = g->pow10;
		} else if ((r->rec == TM_REC_PARAM || r->rec == TM_REC_STEP || r->rec == TM_REC_PHASE) &&
			   (p = tm_param_lookup(name, strlen(name))) >= 0) {
			/* a step line may also print a job parameter (e.g. global batch) */
			c.kind = TM_CAP_PARAM;
			c.target = p;
		} else if ((r->rec == TM_REC_EVENT || r->rec == TM_REC_RANK) && strcmp(name, "host") == 0) {
			c.kind = TM_CAP_HOST;
		} else if ((r->rec == TM_REC_EVENT || r->rec == TM_REC_RANK) && strcmp(name, "rank") == 0) {
			c.kind = TM_CAP_RANK;
		} else if (r->rec == TM_REC_EVENT && strcmp(name, "code") == 0) {
			c.kind = TM_CAP_CODE;
		} else if (r->rec == TM_REC_EVENT || r->rec == TM_REC_DETECT) {
			continue;   /* events and detectors keep other names for readability */
		} else {
			const char *known[TM_P_N + 32];
			size_t nk = tm_group_candidates(r->rec, known, sizeof(known) / sizeof(known[0]));
			char ctx[200];
			snprintf(ctx, sizeof(ctx), "rule '%s': ", r->name);
			tm_diag_unknown(L->d, L->src, at, ctx, "group name", name, known, nk);
			continue;
		}
		r->caps = tm_xrealloc(r->caps, (r->ncaps + 1) * sizeof(*r->caps));
		r->caps[r->ncaps++] = c;
	}
}

void tm__re_compile_list(struct tm_rload *L, struct tm_rule *r, const struct tm_ynode *seq)
{
	if (seq->type != TM_Y_SEQ || seq->n == 0) {
		tm__rload_err(L, seq, "rule '%s': 'regexes' must be a non-empty list of strings, not %s", r->name,
			      seq->type == TM_Y_SEQ ? "an empty list" : tm_ytype_name(seq->type));
		return;
	}
	size_t errors = L->d->errors, total = 0;
	uint32_t offset = 0;
	for (size_t i = 0; i < seq->n; i++) {
		const struct tm_ynode *n = seq->kids[i];
		if (n->type != TM_Y_SCALAR) {
			tm__rload_err(L, n, "rule '%s': each of 'regexes' must be a string, not %s", r->name,
				      tm_ytype_name(n->type));
			continue;
		}
		total += n->len + 5;
		pcre2_code *re = tm__re_compile(L, n, "regexes", r->name, 0);
		if (!re)
			continue;
		uint32_t cap = 0, backref = 0;
		pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &cap);
		pcre2_pattern_info(re, PCRE2_INFO_BACKREFMAX, &backref);
		if (backref && offset)   /* \1 would name the first regex's group 1 once combined */
			tm__rload_err(L, n, "rule '%s': regexes: a numbered back reference is only allowed in the "
				      "first regex (use a named group)", r->name);
		tm__re_map_groups(L, r, re, n, offset);
		offset += cap;
		pcre2_code_free(re);
	}
	if (L->d->errors == errors) {
		char *all = tm_xmalloc(total + 1), *p = all;
		for (size_t i = 0; i < seq->n; i++) {
			const struct tm_ynode *n = seq->kids[i];
			memcpy(p, i ? "|(?:" : "(?:", i ? 4 : 3);
			p += i ? 4 : 3;
			memcpy(p, n->str, n->len);
			p += n->len;
			*p++ = ')';
		}
		int ec;
		PCRE2_SIZE eoff;
		r->re = compile_text(L, all, (size_t)(p - all), PCRE2_DUPNAMES, &ec, &eoff);
		if (!r->re) {   /* e.g. a (*VERB) that only works at the start of a pattern */
			PCRE2_UCHAR msg[256];
			pcre2_get_error_message(ec, msg, sizeof(msg));
			tm__rload_err(L, seq, "rule '%s': regexes: cannot be combined: %s", r->name, (char *)msg);
		}
		free(all);
	}
}

struct tm_subfield *tm__pack_timestamp(struct tm_rload *L, const struct tm_ynode *n, const char *pack)
{
	if (n->type != TM_Y_SCALAR) {
		tm__rload_err(L, n, "'timestamp' must be a regex with a group for the time, not %s",
			      tm_ytype_name(n->type));
		return NULL;
	}
	size_t plen = 0;
	char *prefix = tm__prefix_literal(n->str, n->len, &plen);
	pcre2_code *re = tm__re_compile(L, n, "timestamp", pack, prefix ? PCRE2_ANCHORED : 0);
	if (!re) {
		free(prefix);
		return NULL;
	}
	uint32_t cap = 0;
	pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &cap);
	int g = pcre2_substring_number_from_name(re, (PCRE2_SPTR)"ts");
	if (g < 0 && cap == 1)
		g = 1;
	if (g < 0) {
		tm__rload_err(L, n, "'timestamp' needs a group for the time: (?<ts>...) or a single group");
		pcre2_code_free(re);
		free(prefix);
		return NULL;
	}
	struct tm_subfield *f = tm_xcalloc(1, sizeof(*f));
	f->re = re;
	f->cap.group = (uint32_t)g;
	f->prefix = prefix;
	f->prefix_len = plen;
	f->needle = TM_NO_NEEDLE;          /* not in the prefilter: searched */
	f->anchor = prefix ? tm__rare_byte(prefix, plen) : 0;
	f->shape = NULL;
	f->fixed = cap == 1 ? tm__fixed_shape(n->str, n->len) : NULL;   /* its group is the time's */
	if (f->fixed && !f->fixed->anchored && !prefix) {
		free(f->fixed);                  /* it could start anywhere: PCRE2 searches */
		f->fixed = NULL;
	}
	return f;
}

void tm__subfield_free(struct tm_subfield *f)
{
	if (!f)
		return;
	pcre2_code_free(f->re);
	free(f->prefix);
	free(f->fixed);
	free(f);
}

/* ---- a leading negative lookahead searched on its own ---- */

/* The end of X in p[0, n) = "X)...": the offset of the ')' that closes the lookahead, or 0 when X
 * holds anything that would make running it alone differ: a capturing group (the groups after it
 * would be renumbered), a back reference, an option setting, a verb, a comment or a \Q..\E
 * quote. Classes and escapes are skipped whole. */
static size_t veto_end(const char *p, size_t n)
{
	int depth = 0;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c == '\\') {
			if (i + 1 >= n || strchr("QEgk0123456789", p[i + 1]))
				return 0;
			i++;
		} else if (c == '[') {
			size_t j = i + 1;
			if (j < n && p[j] == '^')
				j++;
			if (j < n && p[j] == ']')
				j++;                   /* a ']' first is a member */
			for (; j < n && p[j] != ']'; j++) {
				if (p[j] == '\\')
					j++;
				else if (p[j] == '[' && j + 1 < n && p[j + 1] == ':')
					return 0;      /* [:class:] inside: not worth parsing */
			}
			if (j >= n)
				return 0;
			i = j;
		} else if (c == '(') {
			if (i + 1 >= n || p[i + 1] != '?')
				return 0;              /* capturing, or a (*VERB) */
			char k = i + 2 < n ? p[i + 2] : 0;
			int look_behind = k == '<' && i + 3 < n && (p[i + 3] == '=' || p[i + 3] == '!');
			if (!strchr(":=!>|", k) && !look_behind)
				return 0;              /* named group, option, comment, callout... */
			depth++;
		} else if (c == ')') {
			if (depth == 0)
				return i;
			depth--;
		}
	}
	return 0;
}

void tm__re_split_veto(struct tm_rload *L, struct tm_rule *r, const char *p, size_t n)
{
	static const char head[] = "^(?!.*?";
	size_t h = sizeof(head) - 1;
	if (!r->re || n <= h || memcmp(p, head, h) != 0)
		return;
	size_t e = veto_end(p + h, n - h);
	if (e == 0)
		return;
	char *rest = tm_xmalloc(n);
	rest[0] = '^';
	memcpy(rest + 1, p + h + e + 1, n - (h + e + 1));
	int ec;
	PCRE2_SIZE eoff;
	pcre2_code *veto = compile_text(L, p + h, e, 0, &ec, &eoff);
	pcre2_code *fast = compile_text(L, rest, 1 + n - (h + e + 1), 0, &ec, &eoff);
	free(rest);
	uint32_t c0 = 0, c1 = 1;
	if (fast) {
		pcre2_pattern_info(r->re, PCRE2_INFO_CAPTURECOUNT, &c0);
		pcre2_pattern_info(fast, PCRE2_INFO_CAPTURECOUNT, &c1);
	}
	if (!veto || !fast || c0 != c1) {
		pcre2_code_free(veto);
		pcre2_code_free(fast);
		return;
	}
	r->veto = veto;
	r->fast = fast;
}

/* rules.c: rule pack loader: YAML tree -> validated, compiled rules (see rules.h).
 *
 * Every problem is reported at its YAML node and loading goes on, so `rules check` shows all
 * errors at once; a pack with any error is still kept out of the ruleset. Regex errors carry
 * PCRE2's own message and point at the exact character when the scalar's quoting lets us map
 * pattern offsets to file columns (plain, or single-quoted without ''), else at the scalar with
 * "(pattern offset N)". Literal prefilters are derived from the regex when not given, and are
 * checked against the samples, so a wrong prefilter cannot silently hide matches.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trainmon/io.h"
#include "trainmon/rules.h"
#include "trainmon/xalloc.h"
#include "trainmon/yaml.h"
#include "literal.h"
#include "vocab.h"
#include "banned.h"

#define MAX_PACK_BYTES (4u << 20)

void tm_ruleset_init(struct tm_ruleset *rs)
{
	memset(rs, 0, sizeof(*rs));
	rs->jit = 1;
}

static void rule_release(struct tm_rule *r)
{
	free(r->name);
	pcre2_code_free(r->re);
	for (size_t i = 0; i < r->nlits; i++)
		free(r->lits[i]);
	free(r->lits);
	free(r->lit_lens);
	free(r->caps);
	for (size_t i = 0; i < r->nfields; i++) {
		pcre2_code_free(r->fields[i].re);
		free(r->fields[i].prefix);
	}
	free(r->fields);
	for (size_t i = 0; i < r->nkeys; i++) {
		free(r->keys[i].key);
		free(r->keys[i].when_true);
	}
	free(r->keys);
	for (size_t i = 0; i < r->nvals; i++) {
		free(r->vals[i].from);
		free(r->vals[i].to);
	}
	free(r->vals);
	memset(r, 0, sizeof(*r));
}

void tm__prefilter_free(struct tm_prefilter *ac);

void tm_ruleset_release(struct tm_ruleset *rs)
{
	for (size_t i = 0; i < rs->nrules; i++)
		rule_release(&rs->rules[i]);
	free(rs->rules);
	for (size_t i = 0; i < rs->npacks; i++) {
		free(rs->packs[i].name);
		free(rs->packs[i].file);
		free(rs->packs[i].description);
	}
	free(rs->packs);
	tm__prefilter_free(rs->pre);
	memset(rs, 0, sizeof(*rs));
}

const struct tm_pack *tm_pack_find(const struct tm_ruleset *rs, const char *name)
{
	for (size_t i = 0; i < rs->npacks; i++)
		if (strcmp(rs->packs[i].name, name) == 0)
			return &rs->packs[i];
	return NULL;
}

/* ---- helpers for YAML validation ---- */

struct loader {
	struct tm_ruleset *rs;
	struct tm_diag *d;
	const struct tm_src *src;
	unsigned pack;
	int errors;
};

static int err_at(struct loader *L, const struct tm_ynode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int err_at(struct loader *L, const struct tm_ynode *n, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	L->errors++;
	return tm_diag_error(L->d, L->src, n ? n->line : 0, n ? n->col : 0, "%s", buf);
}

static const char *scalar(struct loader *L, const struct tm_ynode *n, const char *what)
{
	if (!n)
		return NULL;
	if (n->type != TM_Y_SCALAR) {
		err_at(L, n, "'%s' must be a string, not %s", what, tm_ytype_name(n->type));
		return NULL;
	}
	return n->str;
}

static int check_keys(struct loader *L, const struct tm_ynode *map, const char *const *allowed,
		      size_t nallowed, const char *ctx)
{
	int bad = 0;
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct tm_ynode *k = map->kids[i];
		if (k->type != TM_Y_SCALAR) {
			err_at(L, k, "%skeys must be strings", ctx);
			bad = 1;
			continue;
		}
		size_t j;
		for (j = 0; j < nallowed; j++)
			if (strcmp(k->str, allowed[j]) == 0)
				break;
		if (j < nallowed) {
			for (size_t m = 0; m < i; m += 2)
				if (map->kids[m]->type == TM_Y_SCALAR && strcmp(map->kids[m]->str, k->str) == 0) {
					err_at(L, k, "%sduplicate key '%s'", ctx, k->str);
					bad = 1;
				}
			continue;
		}
		const char *hint = tm_did_you_mean(k->str, allowed, nallowed);
		L->errors++;
		if (hint)
			tm_diag_error(L->d, L->src, k->line, k->col, "%sunknown key '%s' (did you mean '%s'?)",
				      ctx, k->str, hint);
		else
			tm_diag_error(L->d, L->src, k->line, k->col, "%sunknown key '%s'", ctx, k->str);
		bad = 1;
	}
	return bad;
}

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

static pcre2_code *compile_opts(struct loader *L, const struct tm_ynode *n, const char *what,
				const char *rule, uint32_t options)
{
	int ec;
	PCRE2_SIZE eoff;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)n->str, n->len, options, &ec, &eoff, NULL);
	if (!re) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(ec, msg, sizeof(msg));
		int exact;
		unsigned col = regex_column(n, eoff, &exact);
		L->errors++;
		if (exact)
			tm_diag_error(L->d, L->src, n->line, col, "rule '%s': %s: %s", rule, what, (char *)msg);
		else
			tm_diag_error(L->d, L->src, n->line, col, "rule '%s': %s: %s (pattern offset %zu)",
				      rule, what, (char *)msg, (size_t)eoff);
		return NULL;
	}
	if (pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) != 0)
		L->rs->jit = 0;
	uint32_t cap = 0;
	pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &cap);
	if (cap + 1 > L->rs->max_groups)
		L->rs->max_groups = cap + 1;
	return re;
}

static pcre2_code *compile(struct loader *L, const struct tm_ynode *n, const char *what, const char *rule)
{
	return compile_opts(L, n, what, rule, 0);
}

/* Maps the regex's named groups to captures; unknown names are errors. */
static void map_groups(struct loader *L, struct tm_rule *r, pcre2_code *re, const struct tm_ynode *at)
{
	uint32_t count = 0, esize = 0;
	PCRE2_SPTR table = NULL;
	pcre2_pattern_info(re, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(re, PCRE2_INFO_NAMEENTRYSIZE, &esize);
	pcre2_pattern_info(re, PCRE2_INFO_NAMETABLE, &table);
	for (uint32_t i = 0; i < count; i++) {
		PCRE2_SPTR e = table + i * esize;
		uint32_t group = (uint32_t)((e[0] << 8) | e[1]);
		const char *name = (const char *)(e + 2);
		struct tm_capture c = { .group = group, .target = -1 };
		const struct tm_group_name *g;
		int p;
		if (strcmp(name, "msg") == 0) {
			c.kind = TM_CAP_MSG;
		} else if (r->rec == TM_REC_PARAM && strcmp(name, "key") == 0) {
			c.kind = TM_CAP_KEY;
		} else if (r->rec == TM_REC_PARAM && strcmp(name, "value") == 0) {
			c.kind = TM_CAP_VALUE;
		} else if (r->rec == TM_REC_STEP && (g = tm_group_lookup(name))) {
			c.kind = TM_CAP_FIELD;
			c.target = (int)g->field;
			c.pow10 = g->pow10;
		} else if ((r->rec == TM_REC_PARAM || r->rec == TM_REC_STEP) &&
			   (p = tm_param_lookup(name, strlen(name))) >= 0) {
			/* a step line may also print a job parameter (e.g. global batch) */
			c.kind = TM_CAP_PARAM;
			c.target = p;
		} else if (r->rec == TM_REC_EVENT || r->rec == TM_REC_DETECT) {
			continue;   /* events and detectors keep other names for readability */
		} else {
			const char *hint = tm_group_suggest(name, r->rec);
			L->errors++;
			if (hint)
				tm_diag_error(L->d, L->src, at->line, at->col,
					      "rule '%s': unknown group name '%s' (did you mean '%s'?)", r->name, name, hint);
			else
				tm_diag_error(L->d, L->src, at->line, at->col,
					      "rule '%s': unknown group name '%s'", r->name, name);
			continue;
		}
		r->caps = tm_xrealloc(r->caps, (r->ncaps + 1) * sizeof(*r->caps));
		r->caps[r->ncaps++] = c;
	}
}

static int is_jit(const pcre2_code *re)
{
	size_t size = 0;
	return pcre2_pattern_info(re, PCRE2_INFO_JITSIZE, &size) == 0 && size > 0;
}

static int re_matches(pcre2_code *re, const char *s, size_t n)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
	int rc = pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	return rc >= 0;
}

static void check_samples(struct loader *L, struct tm_rule *r, const struct tm_ynode *samples)
{
	static const char *const allowed[] = { "match", "nomatch" };
	if (samples->type != TM_Y_MAP) {
		err_at(L, samples, "rule '%s': 'samples' must be a mapping, not %s", r->name,
		       tm_ytype_name(samples->type));
		return;
	}
	char ctx[200];
	snprintf(ctx, sizeof(ctx), "rule '%s': samples: ", r->name);
	check_keys(L, samples, allowed, 2, ctx);
	for (int want = 1; want >= 0; want--) {
		const struct tm_ynode *list = tm_ymap_get(samples, want ? "match" : "nomatch");
		if (!list)
			continue;
		if (list->type != TM_Y_SEQ) {
			err_at(L, list, "rule '%s': samples must be a list of strings, not %s", r->name,
			       tm_ytype_name(list->type));
			continue;
		}
		for (size_t i = 0; i < list->n; i++) {
			const struct tm_ynode *s = list->kids[i];
			if (s->type != TM_Y_SCALAR) {
				err_at(L, s, "rule '%s': a sample must be a string, not %s", r->name,
				       tm_ytype_name(s->type));
				continue;
			}
			if (!r->re)
				continue;
			int got = re_matches(r->re, s->str, s->len);
			if (got != want) {
				err_at(L, s, want ? "rule '%s': sample does not match: '%s'"
						  : "rule '%s': nomatch sample matches: '%s'", r->name, s->str);
			} else if (want && r->nlits) {
				size_t k;
				for (k = 0; k < r->nlits; k++)
					if (memmem(s->str, s->len, r->lits[k], r->lit_lens[k]))
						break;
				if (k == r->nlits)
					err_at(L, s, "rule '%s': sample matches but holds no prefilter literal ('%s'%s)",
					       r->name, r->lits[0], r->nlits > 1 ? ", ..." : "");
			}
		}
	}
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static void load_fields(struct loader *L, struct tm_rule *r, const struct tm_ynode *map)
{
	if (map->type != TM_Y_MAP) {
		err_at(L, map, "rule '%s': 'fields' must be a mapping of group name to regex, not %s",
		       r->name, tm_ytype_name(map->type));
		return;
	}
	r->fields = tm_xcalloc(map->n / 2 + 1, sizeof(*r->fields));
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct tm_ynode *k = map->kids[i], *v = map->kids[i + 1];
		if (k->type != TM_Y_SCALAR || v->type != TM_Y_SCALAR) {
			err_at(L, k, "rule '%s': 'fields' entries are name: regex", r->name);
			continue;
		}
		struct tm_capture c = { .group = 1 };
		const struct tm_group_name *g;
		int p;
		if (r->rec == TM_REC_STEP && (g = tm_group_lookup(k->str))) {
			c.kind = TM_CAP_FIELD;
			c.target = (int)g->field;
			c.pow10 = g->pow10;
		} else if ((p = tm_param_lookup(k->str, k->len)) >= 0) {
			c.kind = TM_CAP_PARAM;
			c.target = p;
		} else {
			const char *hint = tm_group_suggest(k->str, r->rec);
			L->errors++;
			if (hint)
				tm_diag_error(L->d, L->src, k->line, k->col,
					      "rule '%s': unknown field '%s' (did you mean '%s'?)", r->name, k->str, hint);
			else
				tm_diag_error(L->d, L->src, k->line, k->col, "rule '%s': unknown field '%s'",
					      r->name, k->str);
			continue;
		}
		char what[128];
		snprintf(what, sizeof(what), "field '%s'", k->str);
		/* with a prefix literal the field is only ever tried where that literal starts: compile
		 * it anchored, so the JIT serves those matches (a match-time PCRE2_ANCHORED would not) */
		size_t plen = 0;
		char *prefix = tm__prefix_literal(v->str, v->len, &plen);
		pcre2_code *re = compile_opts(L, v, what, r->name, prefix ? PCRE2_ANCHORED : 0);
		if (!re) {
			free(prefix);
			continue;
		}
		uint32_t cap = 0;
		pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &cap);
		if (cap < 1) {
			err_at(L, v, "rule '%s': field '%s' needs one capture group for its value", r->name, k->str);
			pcre2_code_free(re);
			free(prefix);
			continue;
		}
		r->fields[r->nfields].re = re;
		r->fields[r->nfields].jit = is_jit(re);
		r->fields[r->nfields].cap = c;
		r->fields[r->nfields].prefix = prefix;
		r->fields[r->nfields].prefix_len = plen;
		r->nfields++;
	}
}

static void load_keys(struct loader *L, struct tm_rule *r, const struct tm_ynode *map)
{
	if (map->type != TM_Y_MAP) {
		err_at(L, map, "rule '%s': 'keys' must be a mapping of logged key to parameter, not %s",
		       r->name, tm_ytype_name(map->type));
		return;
	}
	r->keys = tm_xcalloc(map->n / 2 + 1, sizeof(*r->keys));
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct tm_ynode *k = map->kids[i], *v = map->kids[i + 1];
		if (k->type != TM_Y_SCALAR || v->type != TM_Y_SCALAR) {
			err_at(L, k, "rule '%s': 'keys' entries are logged_key: parameter", r->name);
			continue;
		}
		const char *eq = strchr(v->str, '=');
		size_t plen = eq ? (size_t)(eq - v->str) : v->len;
		int p = tm_param_lookup(v->str, plen);
		if (p < 0) {
			char name[64];
			snprintf(name, sizeof(name), "%.*s", (int)(plen < 63 ? plen : 63), v->str);
			const char *hint = tm_group_suggest(name, TM_REC_PARAM);
			L->errors++;
			if (hint)
				tm_diag_error(L->d, L->src, v->line, v->col,
					      "rule '%s': unknown parameter '%s' (did you mean '%s'?)", r->name, name, hint);
			else
				tm_diag_error(L->d, L->src, v->line, v->col, "rule '%s': unknown parameter '%s'",
					      r->name, name);
			continue;
		}
		struct tm_keymap *km = &r->keys[r->nkeys++];
		km->key = tm_xstrdup(k->str);
		km->param = p;
		km->when_true = eq ? tm_xstrdup(eq + 1) : NULL;
	}
}

static void add_literal(struct tm_rule *r, char *lit)
{
	if (!lit)
		return;
	r->lits = tm_xrealloc(r->lits, (r->nlits + 1) * sizeof(*r->lits));
	r->lit_lens = tm_xrealloc(r->lit_lens, (r->nlits + 1) * sizeof(*r->lit_lens));
	r->lits[r->nlits] = lit;
	r->lit_lens[r->nlits++] = strlen(lit);
}

/* `literal:` is one string or a list of strings (any of them admits the record); '' = none. */
static void load_literals(struct loader *L, struct tm_rule *r, const struct tm_ynode *n)
{
	if (n->type == TM_Y_SCALAR) {
		if (n->len)
			add_literal(r, tm_xstrndup(n->str, n->len));
		return;
	}
	if (n->type != TM_Y_SEQ) {
		err_at(L, n, "rule '%s': 'literal' must be a string or a list of strings, not %s", r->name,
		       tm_ytype_name(n->type));
		return;
	}
	for (size_t i = 0; i < n->n; i++) {
		const struct tm_ynode *k = n->kids[i];
		if (k->type != TM_Y_SCALAR || k->len == 0 || memchr(k->str, 0, k->len))
			err_at(L, k, "rule '%s': each literal must be a non-empty string", r->name);
		else
			add_literal(r, tm_xstrndup(k->str, k->len));
	}
}

static const char *const rule_keys[] = { "name", "record", "regex", "literal", "fields", "keys", "kind",
	"severity", "step_base", "samples", "description", "attach", "values" };

static void load_values(struct loader *L, struct tm_rule *r, const struct tm_ynode *map)
{
	if (map->type != TM_Y_MAP) {
		err_at(L, map, "rule '%s': 'values' must be a mapping of logged value to meaning, not %s",
		       r->name, tm_ytype_name(map->type));
		return;
	}
	r->vals = tm_xcalloc(map->n / 2 + 1, sizeof(*r->vals));
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct tm_ynode *k = map->kids[i], *v = map->kids[i + 1];
		if (k->type != TM_Y_SCALAR || v->type != TM_Y_SCALAR) {
			err_at(L, k, "rule '%s': 'values' entries are logged_value: meaning", r->name);
			continue;
		}
		r->vals[r->nvals].from = tm_xstrndup(k->str, k->len);
		r->vals[r->nvals].to = tm_xstrndup(v->str, v->len);
		r->nvals++;
	}
}

static void load_rule(struct loader *L, const struct tm_ynode *rn)
{
	if (rn->type != TM_Y_MAP) {
		err_at(L, rn, "a rule must be a mapping, not %s", tm_ytype_name(rn->type));
		return;
	}
	struct tm_rule r = { .pack = L->pack, .line = rn->line, .step_base = 1, .severity = TM_EVS_ERROR };
	int before = L->errors;
	const char *name = scalar(L, tm_ymap_get(rn, "name"), "name");
	if (!name) {
		if (!tm_ymap_get(rn, "name"))
			err_at(L, rn, "rule has no 'name'");
		return;
	}
	r.name = tm_xstrdup(name);
	char ctx[200];
	snprintf(ctx, sizeof(ctx), "rule '%s': ", name);
	check_keys(L, rn, rule_keys, sizeof(rule_keys) / sizeof(rule_keys[0]), ctx);
	for (size_t i = 0; i < L->rs->nrules; i++)
		if (L->rs->rules[i].pack == L->pack && strcmp(L->rs->rules[i].name, name) == 0)
			err_at(L, tm_ymap_get(rn, "name"), "duplicate rule name '%s'", name);

	const struct tm_ynode *recn = tm_ymap_get(rn, "record");
	const char *rec = scalar(L, recn, "record");
	if (!recn) {
		err_at(L, rn, "rule '%s': missing 'record' (step, param or event)", name);
	} else if (rec) {
		if (strcmp(rec, "step") == 0)
			r.rec = TM_REC_STEP;
		else if (strcmp(rec, "param") == 0)
			r.rec = TM_REC_PARAM;
		else if (strcmp(rec, "event") == 0)
			r.rec = TM_REC_EVENT;
		else
			err_at(L, recn, "rule '%s': 'record' must be step, param or event, not '%s'", name, rec);
	}
	const struct tm_ynode *ren = tm_ymap_get(rn, "regex");
	if (!ren)
		err_at(L, rn, "rule '%s': missing 'regex'", name);
	else if (scalar(L, ren, "regex") && (r.re = compile(L, ren, "regex", name)))
		map_groups(L, &r, r.re, ren);

	const struct tm_ynode *lit = tm_ymap_get(rn, "literal");
	if (lit)
		load_literals(L, &r, lit);
	else if (ren && ren->type == TM_Y_SCALAR)
		add_literal(&r, tm__derive_literal(ren->str, ren->len, &(size_t){ 0 }));
	if (lit && lit->type == TM_Y_SCALAR && lit->len == 0) {
		/* `literal: ''` says: no prefilter, on purpose */
	} else if (!r.nlits && r.re) {
		tm_diag_warn(L->d, L->src, rn->line, rn->col,
			     "rule '%s': no prefilter literal, so its regex runs on every line (add 'literal:')", name);
	}
	for (size_t k = 0; k < r.nlits; k++)
		if (r.lit_lens[k] < 4)
			tm_diag_warn(L->d, L->src, lit ? lit->line : rn->line, lit ? lit->col : rn->col,
				     "rule '%s': prefilter literal '%s' is shorter than 4 bytes: it is searched on "
				     "every line", name, r.lits[k]);
	const struct tm_ynode *fn = tm_ymap_get(rn, "fields");
	if (fn)
		load_fields(L, &r, fn);
	const struct tm_ynode *kn = tm_ymap_get(rn, "keys");
	if (kn) {
		if (r.rec != TM_REC_PARAM)
			err_at(L, kn, "rule '%s': 'keys' is for param rules", name);
		else
			load_keys(L, &r, kn);
	}
	const struct tm_ynode *kindn = tm_ymap_get(rn, "kind");
	const char *kind = scalar(L, kindn, "kind");
	if (r.rec == TM_REC_EVENT) {
		if (!kindn) {
			err_at(L, rn, "rule '%s': an event rule needs 'kind'", name);
		} else if (kind) {
			int k = tm_event_kind_lookup(kind);
			if (k < 0) {
				const char *hint = tm_event_kind_suggest(kind);
				L->errors++;
				if (hint)
					tm_diag_error(L->d, L->src, kindn->line, kindn->col,
						      "rule '%s': unknown event kind '%s' (did you mean '%s'?)", name, kind, hint);
				else
					tm_diag_error(L->d, L->src, kindn->line, kindn->col,
						      "rule '%s': unknown event kind '%s' (see trainmon rules list)", name, kind);
			} else {
				r.kind = (enum tm_event_kind)k;
			}
		}
	} else if (kindn) {
		err_at(L, kindn, "rule '%s': 'kind' is for event rules", name);
	}
	const struct tm_ynode *sevn = tm_ymap_get(rn, "severity");
	const char *sev = scalar(L, sevn, "severity");
	if (sev) {
		int s = tm_severity_lookup(sev);
		if (s < 0)
			err_at(L, sevn, "rule '%s': severity must be info, warning, error or critical, not '%s'",
			       name, sev);
		else
			r.severity = (enum tm_ev_severity)s;
	}
	const struct tm_ynode *sbn = tm_ymap_get(rn, "step_base");
	const char *sb = scalar(L, sbn, "step_base");
	long v;
	if (sb) {
		if (parse_int(sb, 0, 1, &v))
			err_at(L, sbn, "rule '%s': step_base must be 0 or 1, not '%s'", name, sb);
		else
			r.step_base = (int)v;
	}
	const struct tm_ynode *an = tm_ymap_get(rn, "attach");
	const char *att = scalar(L, an, "attach");
	if (att) {
		if (r.rec != TM_REC_STEP)
			err_at(L, an, "rule '%s': 'attach' is for step rules", name);
		else if (strcmp(att, "true") == 0)
			r.attach = 1;
		else if (strcmp(att, "false") != 0)
			err_at(L, an, "rule '%s': attach must be true or false, not '%s'", name, att);
	}
	const struct tm_ynode *vn = tm_ymap_get(rn, "values");
	if (vn) {
		if (r.rec != TM_REC_PARAM)
			err_at(L, vn, "rule '%s': 'values' is for param rules", name);
		else
			load_values(L, &r, vn);
	}
	const struct tm_ynode *samples = tm_ymap_get(rn, "samples");
	if (!samples)
		err_at(L, rn, "rule '%s': missing 'samples' (match: and nomatch: lists)", name);
	else
		check_samples(L, &r, samples);

	if (L->errors != before) {
		rule_release(&r);
		return;
	}
	r.jit = is_jit(r.re);
	tm_xgrow((void **)&L->rs->rules, &L->rs->caprules, L->rs->nrules + 1, sizeof(*L->rs->rules));
	L->rs->rules[L->rs->nrules++] = r;
}

static const char *const pack_keys[] = { "framework", "description", "detect", "rules", "generic" };

int tm_ruleset_load_buf(struct tm_ruleset *rs, const char *name, const char *buf, size_t len,
			struct tm_diag *d)
{
	struct tm_src src = { name, buf, len };
	struct loader L = { .rs = rs, .d = d, .src = &src };
	int empty;
	struct tm_ynode *root = tm_yaml_parse(&src, d, &empty);
	if (!root) {
		if (empty)
			tm_diag_error(d, &src, 1, 1, "empty rule pack");
		return 1;
	}
	if (root->type != TM_Y_MAP) {
		err_at(&L, root, "a rule pack must be a mapping with 'framework' and 'rules', not %s",
		       tm_ytype_name(root->type));
		tm_ynode_free(root);
		return L.errors;
	}
	check_keys(&L, root, pack_keys, sizeof(pack_keys) / sizeof(pack_keys[0]), "");
	const struct tm_ynode *fw = tm_ymap_get(root, "framework");
	const char *fwname = scalar(&L, fw, "framework");
	if (!fw)
		err_at(&L, root, "missing 'framework' (the pack's name)");
	if (fwname && tm_pack_find(rs, fwname))
		err_at(&L, fw, "a pack named '%s' is already loaded", fwname);
	size_t first_rule = rs->nrules;
	L.pack = (unsigned)rs->npacks;
	struct tm_pack pack = { .name = tm_xstrdup(fwname ? fwname : "?"), .file = tm_xstrdup(name) };
	const struct tm_ynode *desc = tm_ymap_get(root, "description");
	if (scalar(&L, desc, "description"))
		pack.description = tm_xstrdup(desc->str);
	const struct tm_ynode *gen = tm_ymap_get(root, "generic");
	const char *gs = scalar(&L, gen, "generic");
	if (gs) {
		if (strcmp(gs, "true") == 0)
			pack.generic = 1;
		else if (strcmp(gs, "false") != 0)
			err_at(&L, gen, "'generic' must be true or false, not '%s'", gs);
	}
	const struct tm_ynode *det = tm_ymap_get(root, "detect");
	if (det && pack.generic)
		err_at(&L, det, "a generic pack has no 'detect'");
	if (det && scalar(&L, det, "detect")) {
		struct tm_rule r = { .pack = L.pack, .rec = TM_REC_DETECT, .line = det->line };
		r.name = tm_xstrdup("detect");
		r.re = compile(&L, det, "detect", "detect");
		add_literal(&r, tm__derive_literal(det->str, det->len, &(size_t){ 0 }));
		if (r.re) {
			r.jit = is_jit(r.re);
			tm_xgrow((void **)&rs->rules, &rs->caprules, rs->nrules + 1, sizeof(*rs->rules));
			rs->rules[rs->nrules++] = r;
		} else {
			rule_release(&r);
		}
	} else if (!det && !pack.generic) {
		tm_diag_warn(d, &src, root->line, root->col,
			     "pack '%s' has no 'detect' regex: its framework is found only from its step rules",
			     pack.name);
	}
	const struct tm_ynode *rules = tm_ymap_get(root, "rules");
	if (!rules)
		err_at(&L, root, "missing 'rules' (a list)");
	else if (rules->type != TM_Y_SEQ)
		err_at(&L, rules, "'rules' must be a list, not %s", tm_ytype_name(rules->type));
	else
		for (size_t i = 0; i < rules->n; i++)
			load_rule(&L, rules->kids[i]);
	tm_ynode_free(root);
	if (L.errors) {
		/* a broken pack is not used: drop what it added */
		for (size_t i = first_rule; i < rs->nrules; i++)
			rule_release(&rs->rules[i]);
		rs->nrules = first_rule;
		free(pack.name);
		free(pack.file);
		free(pack.description);
		return L.errors;
	}
	tm_xgrow((void **)&rs->packs, &rs->cappacks, rs->npacks + 1, sizeof(*rs->packs));
	rs->packs[rs->npacks++] = pack;
	return 0;
}

static int load_file(struct tm_ruleset *rs, const char *path, struct tm_diag *d)
{
	struct tm_src src = { path, NULL, 0 };
	char *buf;
	size_t len;
	int rc = tm_read_small_file(path, MAX_PACK_BYTES, &buf, &len);
	if (rc < 0) {
		tm_diag_error(d, &src, 0, 0, "cannot read rule pack: %s",
			      rc == -EFBIG ? "larger than 4 MiB" : strerror(-rc));
		return rc;
	}
	rc = tm_ruleset_load_buf(rs, path, buf, len, d);
	free(buf);
	return rc;
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int tm_ruleset_load(struct tm_ruleset *rs, const char *path, struct tm_diag *d)
{
	struct stat st;
	struct tm_src src = { path, NULL, 0 };
	if (stat(path, &st) < 0) {
		int e = errno;
		tm_diag_error(d, &src, 0, 0, "cannot read rules: %s", strerror(e));
		return -e;
	}
	if (!S_ISDIR(st.st_mode))
		return load_file(rs, path, d);
	DIR *dir = opendir(path);
	if (!dir) {
		int e = errno;
		tm_diag_error(d, &src, 0, 0, "cannot read rules directory: %s", strerror(e));
		return -e;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(dir))) {
		size_t l = strlen(de->d_name);
		if (de->d_name[0] == '.' || l < 6 || strcmp(de->d_name + l - 5, ".yaml") != 0)
			continue;
		tm_xgrow((void **)&names, &cap, n + 1, sizeof(*names));
		names[n++] = tm_xstrdup(de->d_name);
	}
	closedir(dir);
	qsort(names, n, sizeof(*names), cmpstr);
	int errors = 0, sys = 0;
	for (size_t i = 0; i < n; i++) {
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s/%s", path, names[i]);
		int rc = load_file(rs, p, d);
		if (rc < 0 && !sys)
			sys = rc;            /* an unreadable pack is a system error, reported as such */
		errors += rc < 0 ? 1 : rc;
		free(names[i]);
	}
	free(names);
	return sys ? sys : errors;
}

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *tm_default_patterns_dir(char *buf, size_t n)
{
	const char *env = getenv("TRAINMON_PATTERNS");
	if (env && *env)
		return env;
	char exe[PATH_MAX];
	ssize_t k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (k > 0) {
		exe[k] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(buf, n, "%s/../share/trainmon/patterns", exe);
			if (is_dir(buf))
				return buf;
		}
	}
	if (is_dir(TM_SOURCE_PATTERNS_DIR))
		return TM_SOURCE_PATTERNS_DIR;
	return TM_PATTERNS_DIR;
}

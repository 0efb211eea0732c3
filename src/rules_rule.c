/* rules_rule.c: one rule of a pack, from its YAML mapping to a compiled struct tm_rule.
 *
 * A table of keys drives it: each row says which record kinds allow the key, for which it is
 * required, and which handler reads it. The table is the one list of rule keys (unknown keys are
 * checked against it, with a "did you mean") and its order is the order of the checks, so
 * diagnostics come out in a fixed order. Every problem is reported and loading goes on; a rule
 * with any error is dropped. Must not print.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/xalloc.h"
#include "field_shape.h"
#include "literal.h"
#include "rules_int.h"
#include "vocab.h"
#include "trainmon/prefilter.h"
#include "banned.h"

#define STEP (1u << TM_REC_STEP)
#define PARAM (1u << TM_REC_PARAM)
#define EVENT (1u << TM_REC_EVENT)
#define PHASE (1u << TM_REC_PHASE)
#define RANK (1u << TM_REC_RANK)
#define ANY (STEP | PARAM | EVENT | PHASE | RANK)

void tm__rule_release(struct tm_rule *r)
{
	free(r->name);
	pcre2_code_free(r->re);
	pcre2_code_free(r->veto);
	pcre2_code_free(r->fast);
	for (size_t i = 0; i < r->nlits; i++)
		free(r->lits[i]);
	free(r->lits);
	free(r->lit_lens);
	free(r->caps);
	for (size_t i = 0; i < r->nfields; i++) {
		pcre2_code_free(r->fields[i].re);
		free(r->fields[i].prefix);
		free(r->fields[i].shape);
		tm__alt_literals_free(r->fields[i].alts, r->fields[i].nalts);
		tm__alt_literals_free(r->fields[i].xalts, r->fields[i].nxalts);
		free(r->fields[i].xshape);
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

void tm__rule_append(struct tm_ruleset *rs, const struct tm_rule *r)
{
	tm_xgrow((void **)&rs->rules, &rs->caprules, rs->nrules + 1, sizeof(*rs->rules));
	rs->rules[rs->nrules] = *r;
	rs->nrules++;
}

void tm__rule_add_literal(struct tm_rule *r, char *lit)
{
	if (!lit)
		return;
	r->lits = tm_xrealloc(r->lits, (r->nlits + 1) * sizeof(*r->lits));
	r->lit_lens = tm_xrealloc(r->lit_lens, (r->nlits + 1) * sizeof(*r->lit_lens));
	r->lits[r->nlits] = lit;
	r->lit_lens[r->nlits++] = strlen(lit);
}

static const char *ctx_of(const struct tm_rule *r, char *buf, size_t n)
{
	snprintf(buf, n, "rule '%s': ", r->name);
	return buf;
}

/* ---- one handler per key; v is the key's value (NULL only for rows with `always`) ---- */

static void key_record(struct tm_rload *L, struct tm_rule *r, const struct tm_ynode *rn,
		       const struct tm_ynode *v)
{
	static const char *const names[] = { "step", "param", "event", "phase", "rank" };
	static const enum tm_rec recs[] = { TM_REC_STEP, TM_REC_PARAM, TM_REC_EVENT, TM_REC_PHASE, TM_REC_RANK };
	(void)rn;
	const char *rec = tm__rload_scalar(L, v, "record");
	if (!rec)
		return;
	for (size_t i = 0; i < 5; i++)
		if (strcmp(rec, names[i]) == 0) {
			r->rec = recs[i];
			return;
		}
	char ctx[200];
	tm_diag_unknown(L->d, L->src, v, ctx_of(r, ctx, sizeof(ctx)), "record", rec, names, 5);
}

static void key_regex(struct tm_rload *L, struct tm_rule *r, const struct tm_ynode *rn,
		      const struct tm_ynode *v)
{
	const struct tm_ynode *list = tm_ymap_get(rn, "regexes");
	if (!v && !list)
		tm__rload_err(L, rn, "rule '%s': missing 'regex'", r->name);
	else if (v && list)
		tm__rload_err(L, list, "rule '%s': give 'regex' or 'regexes', not both", r->name);
	else if (v && tm__rload_scalar(L, v, "regex") && (r->re = tm__re_compile(L, v, "regex", r->name, 0))) {
		tm__re_map_groups(L, r, r->re, v, 0);
		tm__re_split_veto(L, r, v->str, v->len);
	}
}

static void key_regexes(struct tm_rload *L, struct tm_rule *r, const struct tm_ynode *rn,
			const struct tm_ynode *v)
{
	if (!tm_ymap_get(rn, "regex"))   /* both: reported by key_regex */
		tm__re_compile_list(L, r, v);
}

/* Literals derived from the rule's regex, or from each of its `regexes:` (all or none: a regex
 * without one would make the prefilter hide its lines). */
static void derive_literals(struct tm_rule *r, const struct tm_ynode *rn)
{
	const struct tm_ynode *one = tm_ymap_get(rn, "regex"), *list = tm_ymap_get(rn, "regexes");
	if (one && one->type == TM_Y_SCALAR) {
		tm__rule_add_literal(r, tm__derive_literal(one->str, one->len, &(size_t){ 0 }));
		return;
	}
	if (!list || list->type != TM_Y_SEQ || !r->re)
		return;
	for (size_t i = 0; i < list->n; i++) {
		char *lit = tm__derive_literal(list->kids[i]->str, list->kids[i]->len, &(size_t){ 0 });
		if (!lit) {
			for (size_t k = 0; k < r->nlits; k++)
				free(r->lits[k]);
			r->nlits = 0;
			return;
		}
		tm__rule_add_literal(r, lit);
	}
}

/* `literal:` is one string or a list of strings (any of them admits the record); '' = none. */
static void key_literal(struct tm_rload *L, struct tm_rule *r, const struct tm_ynode *rn,
			const struct tm_ynode *n)
{
	if (!n) {
		derive_literals(r, rn);
	} else if (n->type == TM_Y_SCALAR) {
		if (n->len)
			tm__rule_add_literal(r, tm_xstrndup(n->str, n->len));
	} else if (n->type != TM_Y_SEQ) {
		tm__rload_err(L, n, "rule '%s': 'literal' must be a string or a list of strings, not %s", r->name,
			      tm_ytype_name(n->type));
	} else {
		for (size_t i = 0; i < n->n; i++) {
			const struct tm_ynode *k = n->kids[i];
			if (k->type != TM_Y_SCALAR || k->len == 0 || memchr(k->str, 0, k->len))
				tm__rload_err(L, k, "rule '%s': each literal must be a non-empty string", r->name);
			else
				tm__rule_add_literal(r, tm_xstrndup(k->str, k->len));
		}
	}
	if (n && n->type == TM_Y_SCALAR && n->len == 0) {
		/* `literal: ''` says: no prefilter, on purpose */
	} else if (!r->nlits && r->re) {
		tm_diag_warn(L->d, L->src, rn->line, rn->col,
			     "rule '%s': no prefilter literal, so its regex runs on every line (add 'literal:')", r->name);
	}
	for (size_t k = 0; k < r->nlits; k++)
		if (r->lit_lens[k] < 4)
			tm_diag_warn(L->d, L->src, n ? n->line : rn->line, n ? n->col : rn->col,
				     "rule '%s': prefilter literal '%s' is shorter than 4 bytes: it is searched on "
				     "every line", r->name, r->lits[k]);
}

/* Where a `fields:` entry's value goes, or -1 after an error. */
static int field_capture(struct tm_rload *L, struct tm_rule *r, const struct tm_ynode *k, struct tm_capture *c)
{
	const struct tm_group_name *g;
	int p;
	if ((g = tm_group_lookup(k->str)) &&
	    (r->rec == TM_REC_STEP || (r->rec == TM_REC_PARAM && tm_field_is_job_value(g->field)))) {
		c->kind = TM_CAP_FIELD;
		c->target = (int)g->field;
		c->pow10 = g->pow10;
		return 0;
	}
	if ((p = tm_param_lookup(k->str, k->len)) >= 0) {
		c->kind = TM_CAP_PARAM;
		c->target = p;
		return 0;
	}
	const char *known[TM_P_N + 32];
	size_t nk = tm_group_candidates(r->rec, known, sizeof(known) / sizeof(known[0]));
	char ctx[200];
	return tm_diag_unknown(L->d, L->src, k, ctx_of(r, ctx, sizeof(ctx)), "field", k->str, known, nk);
}

static void key_fields(struct tm_rload *L, struct tm_rule *r, const struct tm_ynode *rn,
		       const struct tm_ynode *map)
{
	(void)rn;
	if (map->type != TM_Y_MAP) {
		tm__rload_err(L, map, "rule '%s': 'fields' must be a mapping of group name to regex, not %s",
			      r->name, tm_ytype_name(map->type));
		return;
	}
	r->fields = tm_xcalloc(map->n / 2 + 1, sizeof(*r->fields));
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct tm_ynode *k = map->kids[i], *v = map->kids[i + 1];
		if (k->type != TM_Y_SCALAR || v->type != TM_Y_SCALAR) {
			tm__rload_err(L, k, "rule '%s': 'fields' entries are name: regex", r->name);
			continue;
		}
		struct tm_capture c = { .group = 1 };
		if (field_capture(L, r, k, &c) < 0)
			continue;
		char what[128];
		snprintf(what, sizeof(what), "field '%s'", k->str);
		/* with a prefix literal the field is only ever tried where that literal starts: compile
		 * it anchored, so the JIT serves those matches (a match-time PCRE2_ANCHORED would not) */
		size_t plen = 0;
		char *prefix = tm__prefix_literal(v->str, v->len, &plen);
		pcre2_code *re = tm__re_compile(L, v, what, r->name, prefix ? PCRE2_ANCHORED : 0);
		if (!re) {
			free(prefix);
			continue;
		}
		uint32_t cap = 0;
		pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &cap);
		if (cap < 1) {
			tm__rload_err(L, v, "rule '%s': field '%s' needs one capture group for its value", r->name, k->str);
			pcre2_code_free(re);
			free(prefix);
			continue;
		}
		struct tm_subfield *f = &r->fields[r->nfields++];
		f->re = re;
		f->cap = c;
		f->prefix = prefix;
		f->prefix_len = plen;
		f->needle = TM_NO_NEEDLE;          /* until tm_ruleset_finish makes it one */
		f->anchor = prefix ? tm__rare_byte(prefix, plen) : 0;
		f->shape = prefix && c.group == 1 ? tm__field_shape(v->str, v->len, plen) : NULL;
		if (!prefix)
			f->alts = tm__alt_literals(v->str, v->len, &f->nalts, &f->alts_start);
		if (c.group == 1 && !f->shape)
			f->xalts = tm__alt_shape(v->str, v->len, &f->nxalts, &f->xshape);
	}
}

/* One `keys:` entry: `key: param`, `key: param=value`, or `key: {param: p, when_true: value}`. */
static void keys_entry(struct tm_rload *L, struct tm_rule *r, const struct tm_ynode *k, const struct tm_ynode *v)
{
	static const char *const entry_keys[] = { "param", "when_true" };
	const struct tm_ynode *pn = v, *wn = NULL;
	char ctx[200];
	ctx_of(r, ctx, sizeof(ctx));
	if (v->type == TM_Y_MAP) {
		char kctx[300];
		snprintf(kctx, sizeof(kctx), "%skeys: '%s': ", ctx, k->str);
		tm__rload_keys(L, v, entry_keys, 2, kctx);
		pn = tm_ymap_get(v, "param");
		wn = tm_ymap_get(v, "when_true");
		if (!pn)
			tm__rload_err(L, v, "rule '%s': keys: '%s': missing 'param'", r->name, k->str);
		if (!tm__rload_scalar(L, pn, "param") || (wn && !tm__rload_scalar(L, wn, "when_true")))
			return;
	}
	const char *eq = wn ? NULL : strchr(pn->str, '=');
	size_t plen = eq ? (size_t)(eq - pn->str) : pn->len;
	int p = tm_param_lookup(pn->str, plen);
	if (p < 0) {
		char name[64];
		snprintf(name, sizeof(name), "%.*s", (int)(plen < 63 ? plen : 63), pn->str);
		const char *known[TM_P_N + 32];
		size_t nk = tm_group_candidates(TM_REC_PARAM, known, sizeof(known) / sizeof(known[0]));
		tm_diag_unknown(L->d, L->src, pn, ctx, "parameter", name, known, nk);
		return;
	}
	struct tm_keymap *km = &r->keys[r->nkeys++];
	km->key = tm_xstrdup(k->str);
	km->param = p;
	km->when_true = wn ? tm_xstrndup(wn->str, wn->len) : eq ? tm_xstrdup(eq + 1) : NULL;
}

static void key_keys(struct tm_rload *L, struct tm_rule *r, const struct tm_ynode *rn,
		     const struct tm_ynode *map)
{
	(void)rn;
	if (map->type != TM_Y_MAP) {
		tm__rload_err(L, map, "rule '%s': 'keys' must be a mapping of logged key to parameter, not %s",
			      r->name, tm_ytype_name(map->type));
		return;
	}
	r->keys = tm_xcalloc(map->n / 2 + 1, sizeof(*r->keys));
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct tm_ynode *k = map->kids[i], *v = map->kids[i + 1];
		if (k->type != TM_Y_SCALAR || v->type == TM_Y_SEQ)
			tm__rload_err(L, k, "rule '%s': 'keys' entries are logged_key: parameter", r->name);
		else
			keys_entry(L, r, k, v);
	}
}

static void key_kind(struct tm_rload *L, struct tm_rule *r, const struct tm_ynode *rn,
		     const struct tm_ynode *v)
{
	(void)rn;
	const char *kind = tm__rload_scalar(L, v, "kind");
	if (!kind)
		return;
	int k = tm_event_kind_lookup(kind);
	char ctx[200];
	if (k < 0)
		tm_diag_unknown(L->d, L->src, v, ctx_of(r, ctx, sizeof(ctx)), "event kind", kind,
				tm_event_kind_names(), TM_EV_N);
	else
		r->kind = (enum tm_event_kind)k;
}

static void key_phase(struct tm_rload *L, struct tm_rule *r, const struct tm_ynode *rn,
		      const struct tm_ynode *v)
{
	(void)rn;
	const char *ph = tm__rload_scalar(L, v, "phase");
	if (!ph)
		return;
	const char *const *names = tm_phase_kind_names();
	for (int i = 0; i < TM_PH_N; i++)
		if (strcmp(ph, names[i]) == 0) {
			r->phase = (enum tm_phase_kind)i;
			return;
		}
	char ctx[200];
	tm_diag_unknown(L->d, L->src, v, ctx_of(r, ctx, sizeof(ctx)), "phase", ph, names, TM_PH_N);
}

static void key_mark(struct tm_rload *L, struct tm_rule *r, const struct tm_ynode *rn,
		     const struct tm_ynode *v)
{
	static const char *const names[] = { "start", "end", "duration" };   /* enum tm_phase_mark order */
	(void)rn;
	const char *mk = tm__rload_scalar(L, v, "mark");
	if (!mk)
		return;
	for (size_t i = 0; i < 3; i++)
		if (strcmp(mk, names[i]) == 0) {
			r->mark = (enum tm_phase_mark)i;
			return;
		}
	char ctx[200];
	tm_diag_unknown(L->d, L->src, v, ctx_of(r, ctx, sizeof(ctx)), "mark", mk, names, 3);
}

static void key_severity(struct tm_rload *L, struct tm_rule *r, const struct tm_ynode *rn,
			 const struct tm_ynode *v)
{
	(void)rn;
	const char *sev = tm__rload_scalar(L, v, "severity");
	if (!sev)
		return;
	int s = tm_severity_lookup(sev);
	char ctx[200];
	if (s < 0)
		tm_diag_unknown(L->d, L->src, v, ctx_of(r, ctx, sizeof(ctx)), "severity", sev, tm_severity_names(),
				TM_EVS_CRITICAL + 1);
	else
		r->severity = (enum tm_ev_severity)s;
}

static void key_step_base(struct tm_rload *L, struct tm_rule *r, const struct tm_ynode *rn,
			  const struct tm_ynode *v)
{
	(void)rn;
	const char *sb = tm__rload_scalar(L, v, "step_base");
	if (!sb)
		return;
	char *end;
	errno = 0;
	long b = strtol(sb, &end, 10);
	if (!errno && end != sb && !*end && (b == 0 || b == 1))
		r->step_base = (int)b;
	else
		tm__rload_err(L, v, "rule '%s': step_base must be 0 or 1, not '%s'", r->name, sb);
}

static void key_attach(struct tm_rload *L, struct tm_rule *r, const struct tm_ynode *rn,
		       const struct tm_ynode *v)
{
	(void)rn;
	const char *att = tm__rload_scalar(L, v, "attach");
	if (att && strcmp(att, "true") == 0)
		r->attach = 1;
	else if (att && strcmp(att, "false") != 0)
		tm__rload_err(L, v, "rule '%s': attach must be true or false, not '%s'", r->name, att);
}

static void key_values(struct tm_rload *L, struct tm_rule *r, const struct tm_ynode *rn,
		       const struct tm_ynode *map)
{
	(void)rn;
	if (map->type != TM_Y_MAP) {
		tm__rload_err(L, map, "rule '%s': 'values' must be a mapping of logged value to meaning, not %s",
			      r->name, tm_ytype_name(map->type));
		return;
	}
	r->vals = tm_xcalloc(map->n / 2 + 1, sizeof(*r->vals));
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct tm_ynode *k = map->kids[i], *v = map->kids[i + 1];
		if (k->type != TM_Y_SCALAR || v->type != TM_Y_SCALAR) {
			tm__rload_err(L, k, "rule '%s': 'values' entries are logged_value: meaning", r->name);
			continue;
		}
		r->vals[r->nvals].from = tm_xstrndup(k->str, k->len);
		r->vals[r->nvals].to = tm_xstrndup(v->str, v->len);
		r->nvals++;
	}
}

static void key_samples(struct tm_rload *L, struct tm_rule *r, const struct tm_ynode *rn,
			const struct tm_ynode *v)
{
	(void)rn;
	tm__rule_samples(L, r, v);
}

/* The rule keys, in the order they are checked (later handlers see what earlier ones set: the
 * record kind, the compiled regex, the literals). */
static const struct rule_key {
	const char *key;
	unsigned allowed;     /* record kinds (1 << enum tm_rec) that may give it */
	unsigned required;    /* record kinds that must give it */
	const char *missing;  /* the error when a required key is absent */
	int always;           /* the handler runs even when the key is absent (v = NULL) */
	void (*load)(struct tm_rload *L, struct tm_rule *r, const struct tm_ynode *rn, const struct tm_ynode *v);
} rule_keys[] = {
	{ "name",        ANY,   0,     NULL, 0, NULL },   /* read before the table runs */
	{ "record",      ANY,   ANY,   "missing 'record' (step, param, event, phase or rank)", 0, key_record },
	{ "regex",       ANY,   0,     NULL, 1, key_regex },
	{ "regexes",     ANY,   0,     NULL, 0, key_regexes },
	{ "literal",     ANY,   0,     NULL, 1, key_literal },
	{ "fields",      ANY,   0,     NULL, 0, key_fields },
	{ "keys",        PARAM, 0,     NULL, 0, key_keys },
	{ "kind",        EVENT, EVENT, "an event rule needs 'kind'", 0, key_kind },
	{ "phase",       PHASE, PHASE, "a phase rule needs 'phase'", 0, key_phase },
	{ "mark",        PHASE, 0,     NULL, 0, key_mark },
	{ "severity",    ANY,   0,     NULL, 0, key_severity },
	{ "step_base",   ANY,   0,     NULL, 0, key_step_base },
	{ "attach",      STEP,  0,     NULL, 0, key_attach },
	{ "values",      PARAM, 0,     NULL, 0, key_values },
	{ "samples",     ANY,   ANY,   "missing 'samples' (match: and nomatch: lists)", 0, key_samples },
	{ "description", ANY,   0,     NULL, 0, NULL },
};
#define NKEYS (sizeof(rule_keys) / sizeof(rule_keys[0]))

static const char *kinds_word(unsigned mask)
{
	return mask == STEP ? "step" : mask == PARAM ? "param" : mask == EVENT ? "event" : mask == PHASE ? "phase" : mask == RANK ? "rank" : "other";
}

void tm__rule_load(struct tm_rload *L, const struct tm_ynode *rn)
{
	if (rn->type != TM_Y_MAP) {
		tm__rload_err(L, rn, "a rule must be a mapping, not %s", tm_ytype_name(rn->type));
		return;
	}
	struct tm_rule r = { .pack = L->pack, .line = rn->line, .step_base = 1, .severity = TM_EVS_ERROR };
	size_t before = L->d->errors;
	const struct tm_ynode *namen = tm_ymap_get(rn, "name");
	const char *name = tm__rload_scalar(L, namen, "name");
	if (!name) {
		if (!namen)
			tm__rload_err(L, rn, "rule has no 'name'");
		return;
	}
	r.name = tm_xstrdup(name);
	char ctx[200];
	const char *keys[NKEYS];
	for (size_t i = 0; i < NKEYS; i++)
		keys[i] = rule_keys[i].key;
	tm__rload_keys(L, rn, keys, NKEYS, ctx_of(&r, ctx, sizeof(ctx)));
	for (size_t i = 0; i < L->rs->nrules; i++)
		if (L->rs->rules[i].pack == L->pack && strcmp(L->rs->rules[i].name, name) == 0)
			tm__rload_err(L, namen, "duplicate rule name '%s'", name);
	for (size_t i = 0; i < NKEYS; i++) {
		const struct rule_key *k = &rule_keys[i];
		const struct tm_ynode *v = tm_ymap_get(rn, k->key);
		unsigned kind = 1u << r.rec;
		if (!v && (k->required & kind))
			tm__rload_err(L, rn, "rule '%s': %s", name, k->missing);
		else if (v && !(k->allowed & kind))
			tm__rload_err(L, v, "rule '%s': '%s' is for %s rules", name, k->key, kinds_word(k->allowed));
		else if (k->load && (v || k->always))
			k->load(L, &r, rn, v);
	}
	if (L->d->errors != before) {
		tm__rule_release(&r);
		return;
	}
	tm__rule_append(L->rs, &r);
}

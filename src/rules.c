/* rules.c: the ruleset's lifecycle and one rule pack, from its text to rules (see rules.h).
 *
 * A pack is parsed into a YAML tree (yamltree.c), its top-level keys checked, its `detect:` regex
 * (with optional samples) and each rule (rules_rule.c) loaded. Every problem is reported at its
 * YAML node and loading goes on, so `rules check` shows all errors at once; a pack with any error
 * is still kept out of the ruleset. Files and directories are read by rules_load.c. Must not print.
 */
#include <stdarg.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/prefilter.h"
#include "trainmon/rules.h"
#include "trainmon/xalloc.h"
#include "trainmon/yaml.h"
#include "literal.h"
#include "rules_int.h"
#include "banned.h"

void tm_ruleset_init(struct tm_ruleset *rs)
{
	memset(rs, 0, sizeof(*rs));
}

static void pack_release(struct tm_pack *p)
{
	free(p->name);
	free(p->file);
	free(p->description);
	tm__subfield_free(p->ts);
}

void tm_ruleset_release(struct tm_ruleset *rs)
{
	for (size_t i = 0; i < rs->nrules; i++)
		tm__rule_release(&rs->rules[i]);
	free(rs->rules);
	for (size_t i = 0; i < rs->npacks; i++)
		pack_release(&rs->packs[i]);
	free(rs->packs);
	tm_prefilter_free(rs->pre);
	free((void *)(uintptr_t)rs->jits);
	if (rs->jit_lock)
		pthread_mutex_destroy(rs->jit_lock);
	free(rs->jit_lock);
	memset(rs, 0, sizeof(*rs));
}

/* A slot in the JIT states for each regex (NULL: TM_NO_JIT), in a fixed order. */
static uint32_t slot(const void *re, uint32_t *n)
{
	return re ? (*n)++ : TM_NO_JIT;
}

/* Numbers every regex's JIT state (rules.h) and checks once that the JIT works here. */
static void jit_slots(struct tm_ruleset *rs)
{
	uint32_t n = 0;
	for (size_t i = 0; i < rs->nrules; i++) {
		struct tm_rule *r = &rs->rules[i];
		r->jit = slot(r->re, &n);
		r->veto_jit = slot(r->veto, &n);
		r->fast_jit = slot(r->fast, &n);
		for (size_t k = 0; k < r->nfields; k++)
			r->fields[k].jit = slot(r->fields[k].re, &n);
	}
	for (size_t i = 0; i < rs->npacks; i++)
		if (rs->packs[i].ts)
			rs->packs[i].ts->jit = slot(rs->packs[i].ts->re, &n);
	free((void *)(uintptr_t)rs->jits);
	rs->jits = tm_xcalloc((size_t)n + 1, sizeof(*rs->jits));
	rs->njits = n;
	if (!rs->jit_lock) {
		rs->jit_lock = tm_xmalloc(sizeof(*rs->jit_lock));
		pthread_mutex_init(rs->jit_lock, NULL);
	}
	int ec;
	PCRE2_SIZE eo;
	pcre2_code *probe = pcre2_compile((PCRE2_SPTR) "a", 1, 0, &ec, &eo, NULL);
	rs->jit = probe && pcre2_jit_compile(probe, PCRE2_JIT_COMPLETE) == 0;
	pcre2_code_free(probe);
}

const struct tm_pack *tm_pack_find(const struct tm_ruleset *rs, const char *name)
{
	for (size_t i = 0; i < rs->npacks; i++)
		if (strcmp(rs->packs[i].name, name) == 0)
			return &rs->packs[i];
	return NULL;
}

int tm_ruleset_finish(struct tm_ruleset *rs, struct tm_diag *d)
{
	(void)d;
	tm_prefilter_free(rs->pre);
	rs->pre = tm_prefilter_new(rs->nrules);
	for (size_t i = 0; i < rs->nrules; i++) {
		struct tm_rule *r = &rs->rules[i];
		if (!r->nlits)
			tm_prefilter_always(rs->pre, (uint32_t)i);
		for (size_t l = 0; l < r->nlits; l++)
			tm_prefilter_add(rs->pre, (uint32_t)i, r->lits[l], r->lit_lens[l]);
		/* the fields' literals: the scan that picks the rule notes where they are */
		for (size_t k = 0; k < r->nfields; k++) {
			struct tm_subfield *f = &r->fields[k];
			f->needle = f->prefix ? tm_prefilter_needle(rs->pre, f->prefix, f->prefix_len) : TM_NO_NEEDLE;
			for (size_t a = 0; a < f->nalts; a++)
				f->alts[a].needle = tm_prefilter_needle(rs->pre, f->alts[a].p, f->alts[a].len);
			for (size_t a = 0; a < f->nxalts; a++)
				f->xalts[a].needle = tm_prefilter_needle(rs->pre, f->xalts[a].p, f->xalts[a].len);
		}
	}
	tm_prefilter_done(rs->pre);
	jit_slots(rs);
	if (rs->max_groups == 0)
		rs->max_groups = 1;
	return 0;
}

/* ---- helpers for YAML validation, shared through rules_int.h ---- */

int tm__rload_err(struct tm_rload *L, const struct tm_ynode *n, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return tm_diag_error(L->d, L->src, n ? n->line : 0, n ? n->col : 0, "%s", buf);
}

const char *tm__rload_scalar(struct tm_rload *L, const struct tm_ynode *n, const char *what)
{
	if (!n)
		return NULL;
	if (n->type != TM_Y_SCALAR) {
		tm__rload_err(L, n, "'%s' must be a string, not %s", what, tm_ytype_name(n->type));
		return NULL;
	}
	return n->str;
}

void tm__rload_keys(struct tm_rload *L, const struct tm_ynode *map, const char *const *allowed, size_t n,
		    const char *ctx)
{
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct tm_ynode *k = map->kids[i];
		size_t j = 0;
		if (k->type != TM_Y_SCALAR) {
			tm__rload_err(L, k, "%skeys must be strings", ctx);
			continue;
		}
		while (j < n && strcmp(k->str, allowed[j]) != 0)
			j++;
		if (j == n)   /* duplicates were refused by the YAML reader */
			tm_diag_unknown(L->d, L->src, k, ctx, "key", k->str, allowed, n);
	}
}

/* `detect:` is a regex, or a mapping with `regex:` and `samples:` checked like a rule's. */
static void load_detect(struct tm_rload *L, const struct tm_ynode *det)
{
	static const char *const keys[] = { "regex", "samples" };
	const struct tm_ynode *ren = det, *samples = NULL;
	if (det->type == TM_Y_MAP) {
		tm__rload_keys(L, det, keys, 2, "detect: ");
		ren = tm_ymap_get(det, "regex");
		samples = tm_ymap_get(det, "samples");
		if (!ren) {
			tm__rload_err(L, det, "detect: missing 'regex'");
			return;
		}
	}
	if (!tm__rload_scalar(L, ren, "detect"))
		return;
	size_t before = L->d->errors;
	struct tm_rule r = { .pack = L->pack, .rec = TM_REC_DETECT, .line = det->line };
	r.name = tm_xstrdup("detect");
	r.re = tm__re_compile(L, ren, "detect", "detect", 0);
	tm__rule_add_literal(&r, tm__derive_literal(ren->str, ren->len, &(size_t){ 0 }));
	if (samples)
		tm__rule_samples(L, &r, samples);
	if (L->d->errors == before)
		tm__rule_append(L->rs, &r);
	else
		tm__rule_release(&r);
}

static const char *const pack_keys[] = { "framework", "description", "detect", "rules", "generic",
					  "timestamp", "fallback" };

/* A pack-level true/false key; 0 when absent. */
static int pack_flag(struct tm_rload *L, const struct tm_ynode *root, const char *key)
{
	const struct tm_ynode *n = tm_ymap_get(root, key);
	const char *v = tm__rload_scalar(L, n, key);
	if (!v || strcmp(v, "false") == 0)
		return 0;
	if (strcmp(v, "true") != 0)
		tm__rload_err(L, n, "'%s' must be true or false, not '%s'", key, v);
	return strcmp(v, "true") == 0;
}

/* The pack's top level; the pack itself is kept in *pack. */
static void load_pack(struct tm_rload *L, const struct tm_ynode *root, struct tm_pack *pack)
{
	tm__rload_keys(L, root, pack_keys, sizeof(pack_keys) / sizeof(pack_keys[0]), "");
	const struct tm_ynode *fw = tm_ymap_get(root, "framework");
	const char *fwname = tm__rload_scalar(L, fw, "framework");
	if (!fw)
		tm__rload_err(L, root, "missing 'framework' (the pack's name)");
	if (fwname && tm_pack_find(L->rs, fwname))
		tm__rload_err(L, fw, "a pack named '%s' is already loaded", fwname);
	pack->name = tm_xstrdup(fwname ? fwname : "?");
	const struct tm_ynode *desc = tm_ymap_get(root, "description");
	if (tm__rload_scalar(L, desc, "description"))
		pack->description = tm_xstrdup(desc->str);
	pack->generic = pack_flag(L, root, "generic");
	pack->fallback = pack_flag(L, root, "fallback");
	if (pack->fallback && pack->generic)
		tm__rload_err(L, tm_ymap_get(root, "fallback"),
			      "a pack is either generic (any framework) or a fallback (no framework)");
	const struct tm_ynode *tsn = tm_ymap_get(root, "timestamp");
	if (tsn)
		pack->ts = tm__pack_timestamp(L, tsn, pack->name);
	const struct tm_ynode *det = tm_ymap_get(root, "detect");
	if (det && (pack->generic || pack->fallback))
		tm__rload_err(L, det, "a %s pack has no 'detect'", pack->generic ? "generic" : "fallback");
	if (det)
		load_detect(L, det);
	else if (!pack->generic && !pack->fallback)
		tm_diag_warn(L->d, L->src, root->line, root->col,
			     "pack '%s' has no 'detect' regex: its framework is found only from its step rules",
			     pack->name);
	const struct tm_ynode *rules = tm_ymap_get(root, "rules");
	if (!rules)
		tm__rload_err(L, root, "missing 'rules' (a list)");
	else if (rules->type != TM_Y_SEQ)
		tm__rload_err(L, rules, "'rules' must be a list, not %s", tm_ytype_name(rules->type));
	else
		for (size_t i = 0; i < rules->n; i++)
			tm__rule_load(L, rules->kids[i]);
}

int tm_ruleset_load_buf(struct tm_ruleset *rs, const char *name, const char *buf, size_t len,
			struct tm_diag *d)
{
	struct tm_src src = { name, buf, len };
	struct tm_rload L = { .rs = rs, .d = d, .src = &src, .pack = (unsigned)rs->npacks };
	size_t before = d->errors, first_rule = rs->nrules;
	int empty;
	struct tm_ynode *root = tm_yaml_parse(&src, d, &empty);
	if (!root) {
		if (empty)
			tm_diag_error(d, &src, 1, 1, "empty rule pack");
		return d->errors > before ? (int)(d->errors - before) : 1;
	}
	struct tm_pack pack = { .file = tm_xstrdup(name) };
	if (root->type != TM_Y_MAP)
		tm__rload_err(&L, root, "a rule pack must be a mapping with 'framework' and 'rules', not %s",
			      tm_ytype_name(root->type));
	else
		load_pack(&L, root, &pack);
	tm_ynode_free(root);
	if (d->errors != before) {
		/* a broken pack is not used: drop what it added */
		for (size_t i = first_rule; i < rs->nrules; i++)
			tm__rule_release(&rs->rules[i]);
		rs->nrules = first_rule;
		pack_release(&pack);
		return (int)(d->errors - before);
	}
	for (size_t i = first_rule; i < rs->nrules; i++)
		rs->rules[i].fallback = pack.fallback;
	tm_xgrow((void **)&rs->packs, &rs->cappacks, rs->npacks + 1, sizeof(*rs->packs));
	rs->packs[rs->npacks++] = pack;
	return 0;
}

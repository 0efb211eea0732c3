/* chain.c: segments grouped into chains and ordered (chain.h).
 *
 * Grouping is by --chain (everything), --chain-by (a regex over the file names), --chain-param (a
 * value the logs print), or else by resume evidence only: a segment that loads the checkpoint of
 * step N continues one that saved or reached step N, and a segment whose steps start where
 * another's ended continues it. Nothing else joins two logs: logs without that evidence stay
 * runs of their own (a shared save directory is no evidence: job scripts wipe it). Ordering is by
 * the segments' first times when all have one, else by step numbers, and the chain says which.
 * Owns nothing beyond the chains it returns (and a segment its copies, an arena its blocks);
 * never prints.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/chain.h"
#include "trainmon/xalloc.h"
#include "banned.h"

/* Everything but the file and the step records (phases, times, summary values, key, interruption). */
static void seg_fields(struct tm_segment *sg, const struct tm_run *r, const struct tm_summary *s, int param)
{
	sg->framework = s->framework;
	sg->framework_id = r->framework;
	sg->step_base = r->step_base;
	free(sg->phases);
	sg->nphases = r->nphases;
	sg->phases = tm_xcalloc(r->nphases ? r->nphases : 1, sizeof(*sg->phases));
	if (r->nphases)
		memcpy(sg->phases, r->phases, r->nphases * sizeof(*sg->phases));
	sg->first_ts = r->first_ts;
	sg->last_ts = r->last_ts;
	sg->log_interval = r->params[TM_P_LOG_INTERVAL];
	sg->tokens_per_step = s->tokens_per_step.v;
	sg->tokens_needs = s->tokens_per_step.needs;
	sg->tokens_per_s = s->tokens_per_s.v;
	sg->mfu = s->mfu.v;
	sg->gpus = s->gpus.v;
	sg->target_tokens = s->target_tokens.v;
	free(sg->key);
	sg->key = NULL;
	if (param >= TM_P_NUM_STRINGS_FROM_HERE && param < TM_P_N && r->sparams[param])
		sg->key = tm_xstrdup(r->sparams[param]);
	tm_interrupt_find(r, &sg->intr);
}

/* Step records from..r->nsteps copied into sg->steps, which has room for all of r's. */
static void seg_copy(struct tm_segment *sg, const struct tm_run *r, size_t from)
{
	sg->nsteps = r->nsteps;
	for (size_t i = from; i < r->nsteps; i++)
		sg->steps[i] = (struct tm_seg_step){ tm_run_stepf(r, i, TM_SF_STEP), tm_run_stepf(r, i, TM_SF_TS),
						     tm_run_stepf(r, i, TM_SF_TIME_S), tm_run_stepline(r, i) };
}

/* The same into an array of sg's own (sized for all of r's). */
static void seg_steps(struct tm_segment *sg, const struct tm_run *r, size_t from)
{
	if (sg->steps_in_arena) {               /* an arena's records are never resized: own them */
		sg->steps = NULL;
		sg->steps_in_arena = 0;
		from = 0;
	}
	sg->steps = tm_xrealloc(sg->steps, (r->nsteps ? r->nsteps : 1) * sizeof(*sg->steps));
	seg_copy(sg, r, from);
}

struct tm_seg_block {                /* one reservation of a tm_seg_arena */
	char *p;                     /* tm_xpages block of cap bytes */
	size_t cap, used;
};

#define SEG_BLOCK ((size_t)64 << 20)

/* n bytes (a multiple of 8) from a: at the end of its last block, else at the start of a new one
 * of a->block bytes (0: SEG_BLOCK) or n, whichever is more. */
static void *arena_take(struct tm_seg_arena *a, size_t n)
{
	struct tm_seg_block *b = a->n ? &a->v[a->n - 1] : NULL;
	if (!b || b->cap - b->used < n) {
		tm_xgrow((void **)&a->v, &a->cap, a->n + 1, sizeof(*a->v));
		b = &a->v[a->n++];
		size_t block = a->block ? a->block : SEG_BLOCK;
		b->cap = n > block ? n : block;
		b->p = tm_xpages(NULL, 0, b->cap);
		b->used = 0;
	}
	void *at = b->p + b->used;
	b->used += n;
	return at;
}

void tm_seg_arena_free(struct tm_seg_arena *a)
{
	for (size_t i = 0; i < a->n; i++)
		tm_xpages_free(a->v[i].p, a->v[i].cap);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

void tm_segment_from_run_in(struct tm_segment *sg, const struct tm_run *r, const struct tm_summary *s, int param,
			    struct tm_seg_arena *a)
{
	memset(sg, 0, sizeof(*sg));
	sg->file = tm_xstrdup(r->file);
	if (a && r->nsteps) {
		sg->steps = arena_take(a, r->nsteps * sizeof(*sg->steps));
		sg->steps_in_arena = 1;
		seg_copy(sg, r, 0);
	} else {
		seg_steps(sg, r, 0);
	}
	seg_fields(sg, r, s, param);
}

void tm_segment_from_run(struct tm_segment *sg, const struct tm_run *r, const struct tm_summary *s, int param)
{
	tm_segment_from_run_in(sg, r, s, param, NULL);
}

/* Records near the end that a later line may still fill in (a second record of the same step)
 * are copied again; the ones before are kept when they are where they were. */
#define REFRESH_TAIL 16

void tm_segment_refresh(struct tm_segment *sg, const struct tm_run *r, const struct tm_summary *s, int param)
{
	size_t keep = 0;
	if (sg->nsteps > REFRESH_TAIL && r->nsteps >= sg->nsteps) {
		size_t k = sg->nsteps - REFRESH_TAIL;
		/* the same first record and the same one at k: no trim, no late insert before k */
		if (tm_run_stepf(r, 0, TM_SF_STEP) == sg->steps[0].step && tm_run_stepline(r, 0) == sg->steps[0].line &&
		    tm_run_stepf(r, k, TM_SF_STEP) == sg->steps[k].step && tm_run_stepline(r, k) == sg->steps[k].line)
			keep = k;
	}
	seg_steps(sg, r, keep);
	seg_fields(sg, r, s, param);
}

void tm_segment_release(struct tm_segment *sg)
{
	free(sg->file);
	if (!sg->steps_in_arena)
		free(sg->steps);
	free(sg->phases);
	free(sg->key);
	memset(sg, 0, sizeof(*sg));
}

/* The step training restarted after: the step of the checkpoint it loaded, else the step before
 * its first record's interval (0 for a run from scratch). NAN without steps or a load. */
double tm_segment_from_step(const struct tm_segment *sg)
{
	/* a load whose step is not below the first step record's is no resume: a fine-tuning run
	 * that loads a released checkpoint and numbers its steps from 0 again */
	for (size_t i = 0; i < sg->nphases; i++)
		if (sg->phases[i].kind == TM_PH_CKPT_LOAD && !isnan(sg->phases[i].step) &&
		    (!sg->nsteps || sg->phases[i].step < sg->steps[0].step))
			return sg->phases[i].step;
	if (!sg->nsteps)
		return NAN;
	double gap = sg->nsteps > 1 ? sg->steps[1].step - sg->steps[0].step :
		     !isnan(sg->log_interval) && sg->log_interval > 0 ? sg->log_interval : 1;
	double from = sg->steps[0].step - gap;
	return from < sg->step_base - 1 ? sg->step_base - 1 : from;
}

static int saved_at(const struct tm_segment *sg, double step)
{
	for (size_t i = 0; i < sg->nphases; i++)
		if (sg->phases[i].kind == TM_PH_CKPT_SAVE && sg->phases[i].step == step)
			return 1;
	return 0;
}

/* How strongly b's log says it continues a (a's steps, then b's): 3 b loads the checkpoint of a
 * step a saved, 2 one a reached, 1 b's steps pick up where a's stopped; 0 no evidence. */
static int continues(const struct tm_segment *a, const struct tm_segment *b)
{
	if (a == b || !a->nsteps || !b->nsteps)
		return 0;
	if (a->framework_id >= 0 && b->framework_id >= 0 && a->framework_id != b->framework_id)
		return 0;
	int timed = !isnan(a->first_ts) && !isnan(b->first_ts);
	if (timed && b->first_ts <= a->first_ts)
		return 0;
	if (timed && !isnan(a->last_ts) && a->last_ts > b->first_ts)
		return 0;               /* a was still writing when b started: not a restart of it */
	double fa = tm_segment_from_step(a), fb = tm_segment_from_step(b), la = a->steps[a->nsteps - 1].step;
	int best = 0;
	for (size_t i = 0; i < b->nphases; i++) {
		const struct tm_phase *p = &b->phases[i];
		if (p->kind != TM_PH_CKPT_LOAD || isnan(p->step) || p->step <= 0 || p->step >= b->steps[0].step)
			continue;
		if (saved_at(a, p->step))
			return 3;
		if (p->step > fa && p->step <= la)
			best = 2;
	}
	if (best)
		return best;
	/* no load printed: steps that pick up where a's stopped (never a run from scratch) */
	if (isnan(fb) || fb <= b->step_base - 1 || fb <= fa)
		return 0;
	double gap = a->nsteps > 1 ? a->steps[a->nsteps - 1].step - a->steps[a->nsteps - 2].step : 1;
	if (fb > la)
		return fb <= la + gap;
	/* overlapping steps: a restart from an earlier checkpoint, only when the times say so */
	return timed && !isnan(a->last_ts);
}

/* The segment b continues: the strongest evidence, then the latest one (by time, else by last
 * step). Returns n when none. Linking each segment to one predecessor keeps two runs that share
 * step numbers apart. */
static size_t predecessor(const struct tm_segment *segs, size_t n, size_t b)
{
	size_t best = n;
	int bs = 0;
	for (size_t a = 0; a < n; a++) {
		int sc = continues(&segs[a], &segs[b]);
		if (!sc || sc < bs)
			continue;
		if (sc == bs) {
			const struct tm_segment *x = &segs[a], *y = &segs[best];
			double kx = !isnan(x->last_ts) && !isnan(y->last_ts) ? x->last_ts : x->steps[x->nsteps - 1].step;
			double ky = !isnan(x->last_ts) && !isnan(y->last_ts) ? y->last_ts : y->steps[y->nsteps - 1].step;
			if (kx <= ky)
				continue;
		}
		best = a;
		bs = sc;
	}
	return best;
}

static size_t find(size_t *parent, size_t i)
{
	while (parent[i] != i)
		i = parent[i] = parent[parent[i]];
	return i;
}

static void unite(size_t *parent, size_t a, size_t b)
{
	a = find(parent, a);
	b = find(parent, b);
	if (a != b)
		parent[a > b ? a : b] = a < b ? a : b;
}

/* The key a file name gives: the regex's first group, else its whole match; NULL no match. */
static char *regex_key(pcre2_code *re, pcre2_match_data *md, const char *file)
{
	int rc = pcre2_match(re, (PCRE2_SPTR)file, strlen(file), 0, 0, md, NULL);
	if (rc < 0)
		return NULL;
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	int g = rc > 1 && ov[2] != PCRE2_UNSET ? 1 : 0;
	return tm_xstrndup(file + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
}

/* qsort has no context argument: sort (key, index) pairs instead */
struct sort_item {
	double k1, k2;
	size_t idx;
};

static int cmp_item(const void *x, const void *y)
{
	const struct sort_item *a = x, *b = y;
	if (a->k1 != b->k1)
		return a->k1 < b->k1 ? -1 : 1;
	if (a->k2 != b->k2)
		return a->k2 < b->k2 ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static void order(struct tm_chain *c, const struct tm_segment *segs)
{
	c->by_time = 1;
	for (size_t i = 0; i < c->nsegs; i++)
		if (isnan(segs[c->segs[i]].first_ts))
			c->by_time = 0;
	struct sort_item *it = tm_xcalloc(c->nsegs, sizeof(*it));
	for (size_t i = 0; i < c->nsegs; i++) {
		const struct tm_segment *sg = &segs[c->segs[i]];
		double f = tm_segment_from_step(sg);
		double first = sg->nsteps ? sg->steps[0].step : INFINITY;
		it[i] = (struct sort_item){ c->by_time ? sg->first_ts : isnan(f) ? INFINITY : f,
					    c->by_time ? 0 : first, c->segs[i] };
	}
	qsort(it, c->nsegs, sizeof(*it), cmp_item);
	for (size_t i = 0; i < c->nsegs; i++)
		c->segs[i] = it[i].idx;
	free(it);
}

static void base_name(char *buf, size_t n, const char *path)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	size_t len = strlen(b);
	const char *dot = strrchr(b, '.');
	if (dot && dot != b)
		len = (size_t)(dot - b);
	snprintf(buf, n, "%.*s", (int)(len > 200 ? 200 : len), b);
}

long tm_chains_build(struct tm_segment *segs, size_t n, const struct tm_chain_opts *o,
		     struct tm_chain **out, char *err, size_t errlen)
{
	*out = NULL;
	size_t *parent = tm_xcalloc(n ? n : 1, sizeof(*parent));
	char **keys = tm_xcalloc(n ? n : 1, sizeof(*keys));
	const char *how = "resume";
	for (size_t i = 0; i < n; i++)
		parent[i] = i;
	if (o->name) {
		how = "name";
		for (size_t i = 1; i < n; i++)
			unite(parent, 0, i);
	} else if (o->by_regex) {
		how = "file_regex";
		int ec;
		PCRE2_SIZE eoff;
		pcre2_code *re = pcre2_compile((PCRE2_SPTR)o->by_regex, PCRE2_ZERO_TERMINATED, 0, &ec, &eoff, NULL);
		if (!re) {
			PCRE2_UCHAR msg[200];
			pcre2_get_error_message(ec, msg, sizeof(msg));
			snprintf(err, errlen, "--chain-by: %s at offset %zu", (char *)msg, (size_t)eoff);
			free(parent);
			free(keys);
			return -1;
		}
		pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
		for (size_t i = 0; i < n; i++)
			keys[i] = regex_key(re, md, segs[i].file);
		pcre2_match_data_free(md);
		pcre2_code_free(re);
	} else if (o->by_param >= 0) {
		how = "param";
		for (size_t i = 0; i < n; i++)
			keys[i] = segs[i].key ? tm_xstrdup(segs[i].key) : NULL;
	} else {
		for (size_t b = 0; b < n; b++) {
			size_t a = predecessor(segs, n, b);
			if (a < n)
				unite(parent, a, b);
		}
	}
	if (o->by_regex || o->by_param >= 0)
		for (size_t a = 0; a < n; a++)
			for (size_t b = a + 1; b < n && keys[a]; b++)
				if (keys[b] && strcmp(keys[a], keys[b]) == 0)
					unite(parent, a, b);
	size_t *count = tm_xcalloc(n ? n : 1, sizeof(*count));
	for (size_t i = 0; i < n; i++)
		count[find(parent, i)]++;
	size_t nchains = 0;
	for (size_t i = 0; i < n; i++)
		nchains += find(parent, i) == i && (count[i] >= 2 || o->name || o->singles);
	struct tm_chain *ch = nchains ? tm_xcalloc(nchains, sizeof(*ch)) : NULL;
	size_t k = 0;
	for (size_t root = 0; root < n; root++) {
		if (find(parent, root) != root || !(count[root] >= 2 || o->name || o->singles))
			continue;
		struct tm_chain *c = &ch[k++];
		c->grouped_by = how;
		c->segs = tm_xcalloc(count[root], sizeof(*c->segs));
		for (size_t i = 0; i < n; i++)
			if (find(parent, i) == root)
				c->segs[c->nsegs++] = i;
		order(c, segs);
		char nm[240];
		if (o->name)
			snprintf(nm, sizeof(nm), "%s", o->name);
		else if (keys[root])
			snprintf(nm, sizeof(nm), "%s", keys[root]);
		else
			base_name(nm, sizeof(nm), segs[c->segs[0]].file);
		c->name = tm_xstrdup(nm);
		tm_chain_compute(c, segs, o->stall_s);
	}
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	free(count);
	free(parent);
	*out = ch;
	return (long)nchains;
}

int tm_chain_opts_set(struct tm_chain_opts *o, const char *name, const char *by_regex, const char *param,
		      char *err, size_t errlen)
{
	o->name = name;
	o->by_regex = by_regex;
	o->by_param = -1;
	if (!!name + !!by_regex + !!param > 1) {
		snprintf(err, errlen, "give one of --chain, --chain-by and --chain-param");
		return -1;
	}
	if (param) {
		o->by_param = tm_param_lookup(param, strlen(param));
		if (o->by_param < TM_P_NUM_STRINGS_FROM_HERE) {
			snprintf(err, errlen, "--chain-param: '%s' is not a parameter a log prints as text "
				 "(save_dir, chain_key, slurm_job_id, ...)", param);
			return -1;
		}
	}
	struct tm_chain *none;
	struct tm_chain_opts re = { .by_regex = by_regex, .by_param = -1 };
	return tm_chains_build(NULL, 0, &re, &none, err, errlen) < 0 ? -1 : 0;
}

void tm_chains_free(struct tm_chain *c, size_t n)
{
	for (size_t i = 0; c && i < n; i++) {
		free(c[i].name);
		free(c[i].segs);
		free(c[i].recur);
	}
	free(c);
}

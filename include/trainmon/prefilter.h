/* prefilter.h: which rules a record may match, from literals that every match must contain.
 *
 * A leaf module: it knows rule numbers and literal bytes, not rules. rules.c builds one prefilter
 * per ruleset (tm_ruleset_finish) and owns it; match.c scans each record with it and runs only
 * the candidates' regexes. Built once, read-only after tm_prefilter_done(), so any number of
 * threads may scan with one prefilter, each with its own struct tm_cands.
 */
#ifndef TRAINMON_PREFILTER_H
#define TRAINMON_PREFILTER_H

#include <stddef.h>
#include <stdint.h>

struct tm_prefilter;

/* A scan's candidate set: scratch owned by the caller (one per thread), sized for every rule. */
struct tm_cands {
	uint32_t *seen;               /* owned by the caller, nrules + 1: generation stamp per rule */
	uint32_t gen;                 /* the caller bumps it per record (0 is never current) */
	uint32_t *cand;               /* owned by the caller, nrules + 1: the candidates, unordered */
	int literal_hit;              /* set by a scan: some literal occurred */
};

/* Building: new, then add every (rule, literal) and mark every rule without a literal, then done.
 * Literal bytes are borrowed and must outlive the prefilter. */
struct tm_prefilter *tm_prefilter_new(size_t nrules);
void tm_prefilter_add(struct tm_prefilter *pf, uint32_t rule, const char *lit, size_t len);
void tm_prefilter_always(struct tm_prefilter *pf, uint32_t rule);
void tm_prefilter_done(struct tm_prefilter *pf);
/* tm_prefilter_free(NULL) does nothing. */
void tm_prefilter_free(struct tm_prefilter *pf);

/* Puts into c->cand (each once, under stamp c->gen) every rule one of whose literals occurs in
 * p[0, n), then every rule without a literal; returns their number. */
size_t tm_prefilter_scan(const struct tm_prefilter *pf, struct tm_cands *c, const unsigned char *p, size_t n);

#endif

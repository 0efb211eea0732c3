/* vocab.h: internal lookups over the rule vocabularies (vocab.c), shared by rules.c and rules
 * listing. */
#ifndef TRAINMON_VOCAB_H
#define TRAINMON_VOCAB_H

#include <stddef.h>

#include "trainmon/rules.h"

struct tm_group_name {
	const char *name;
	enum tm_field field;
	int pow10;             /* value * 10^-pow10 = seconds / fraction */
};

const struct tm_group_name *tm_group_lookup(const char *name);
/* The same for phase rules (step, duration_s, duration_ms). */
const struct tm_group_name *tm_phase_group_lookup(const char *name);
const struct tm_group_name *tm_rank_group_lookup(const char *name);
const char *const *tm_phase_kind_names(void);   /* TM_PH_N names */
int tm_severity_lookup(const char *name);
/* Closest candidate within edit distance 2, or NULL. */
const char *tm_did_you_mean(const char *word, const char *const *cands, size_t n);
/* The group names a rule of kind rec may use (plus msg, key, value), for hints; returns how many
 * were stored in out (at most cap). */
size_t tm_group_candidates(enum tm_rec rec, const char **out, size_t cap);
const char *const *tm_event_kind_names(void);   /* TM_EV_N names */
const char *const *tm_param_names(void);        /* TM_P_N names */
const char *const *tm_severity_names(void);     /* TM_EVS_CRITICAL + 1 names */

#endif

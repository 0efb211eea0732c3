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
int tm_severity_lookup(const char *name);
/* Closest candidate within edit distance 2, or NULL. */
const char *tm_did_you_mean(const char *word, const char *const *cands, size_t n);
const char *tm_group_suggest(const char *word, enum tm_rec rec);
const char *tm_event_kind_suggest(const char *word);

#endif

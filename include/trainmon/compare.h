/* compare.h: two runs side by side (`trainmon compare A B`): the difference of their median step
 * times with a bootstrap confidence interval, their loss curves aligned by tokens consumed, the
 * job values that differ, and their events and anomalies counted.
 *
 * Computed from two analyses (analysis.h) and nothing else, so each side's numbers are the ones
 * `analyze` prints for that file. Pure: it borrows both runs, owns only its lists, prints nothing
 * (compare_report.c renders it). Methods: docs/formulas.md §9.
 */
#ifndef TRAINMON_COMPARE_H
#define TRAINMON_COMPARE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "trainmon/analysis.h"
#include "trainmon/bootstrap.h"
#include "trainmon/json.h"

/* The verdict on the step time, from the interval of median(B) / median(A) - 1. */
enum tm_cmp_verdict {
	TM_CMP_UNKNOWN = 0,          /* fewer than TM_CMP_MIN_STEPS steady records on a side */
	TM_CMP_SAME,                 /* the interval includes zero: no significant difference */
	TM_CMP_SLOWER,               /* B slower: the whole interval above zero */
	TM_CMP_FASTER,               /* B faster: the whole interval below zero */
};
const char *tm_cmp_verdict_name(enum tm_cmp_verdict v);
#define TM_CMP_MIN_STEPS 3

/* The losses of A and B compared at equal tokens consumed. */
struct tm_cmp_loss {
	size_t na, nb;               /* logged losses with a token count, per side */
	size_t n;                    /* points compared (inside the common token range) */
	int at_b;                    /* 1: the points are B's (the sparser side), A interpolated */
	double tokens_lo, tokens_hi; /* the common range, tokens */
	double mean_diff;            /* mean of loss_B - loss_A over the points */
	double mean_abs_diff, max_abs_diff;
	double max_at_tokens;        /* where |loss_B - loss_A| is largest */
	const char *missing;         /* static: why n == 0 ("--seq-len", "no common token range"...) */
};

/* One job value of both sides. */
struct tm_cmp_value {
	const char *name;            /* static key: "global_batch_size", "gpu", "micro_batch" */
	int printed;                 /* 1: a parameter as each log printed it (its arguments dump,
					analyze's "params"); 0: a resolved job value (flag > config >
					log > preset > default, with its source) */
	double a, b;                 /* numbers, NAN unknown (strings: NAN) */
	const char *sa, *sb;         /* strings (gpu, dtype...), borrowed, or NULL */
	enum tm_src_kind src_a, src_b;
	int differs;
};

struct tm_comparison {
	const struct tm_analysis *a, *b;   /* borrowed; outlive the comparison */
	size_t na, nb;                     /* steady step records with a time */
	struct tm_boot_cfg boot;
	struct tm_boot_result st;          /* step time: medians, difference, intervals */
	enum tm_cmp_verdict verdict;
	struct tm_cmp_loss loss;
	struct tm_cmp_value *values;       /* owned: every job value either side knows */
	size_t nvalues, ndiffer;
	uint64_t events_a[TM_EV_N], events_b[TM_EV_N];
	uint64_t anomalies_a[TM_AN_N], anomalies_b[TM_AN_N];
};

/* Compares a and b (both read: a->f and b->f not NULL). */
void tm_compare(struct tm_comparison *c, const struct tm_analysis *a, const struct tm_analysis *b,
		const struct tm_boot_cfg *boot);
void tm_comparison_release(struct tm_comparison *c);

/* A run's steady step times (after the warm-up, as the statistics count them) into out, which
 * holds r->nsteps values; returns how many. */
size_t tm_compare_steady_times(const struct tm_run *r, const struct tm_summary *s, double *out);

/* Tokens consumed at each step record with a finite loss: consumed samples x seq_len where the
 * log printed them, else the tokens of the steps since the previous record (step number gap x
 * global batch x seq_len); tokens[] and loss[] hold r->nsteps values. Returns how many, or 0 with
 * *missing naming the flag that would supply the tokens. */
size_t tm_compare_loss_points(const struct tm_run *r, const struct tm_summary *s, double *tokens, double *loss,
			      const char **missing);

/* Text and JSON renderings (compare_report.c), and one self-contained HTML page with the text
 * and A and B overlaid on inline SVG charts (compare_html.c). */
void tm_compare_html(FILE *f, const struct tm_comparison *c);
void tm_compare_text(FILE *f, const struct tm_comparison *c);
/* The comparison's keys inside an object the caller opened. */
void tm_compare_json(struct tm_json *j, const struct tm_comparison *c);

#endif

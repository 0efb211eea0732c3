/* steps.h: a run's step records, stored by column (about 4 bytes per printed field per record).
 *
 * A run keeps one record per distinct step (run.h), a million for a long job: an array of
 * struct tm_step (104 bytes each) was most of trainmon's memory. The store keeps each field in a
 * column of its own, in the smallest of four forms that holds every value bit for bit:
 *   ABSENT  every row is NaN (a field the log never prints): no bytes;
 *   CONST   every row has the same bits (the global batch): no bytes;
 *   AFFINE  row i is a + d * i, whole numbers below 2^52 (step numbers printed every d steps,
 *           consumed samples at a fixed batch): no bytes; a row set otherwise, or a row inserted
 *           before the last, turns the column into CODE;
 *   CODE    a 32-bit code per row: value = (base + m) / 10^k, one base and k for the column and
 *           m the row's signed code. Printed decimals (1041.6 ms is 1.0416 s: k = 4) and whole
 *           numbers (steps, samples, lines, epoch seconds) near the column's first value fit.
 *           Two codes are kept for NaN and for an escape: that row's double is in a side list;
 *   F64     the doubles themselves, once escapes pass an eighth of the rows.
 * Every value is checked when it goes in: it is coded only when decoding gives its very bits
 * (-0.0, NaN payloads, subnormals and non-decimal doubles are escapes), so a get returns exactly
 * what was set. A code does not depend on the row, so inserting and trimming move uint32s.
 *
 * Rows are sorted by the caller (run.c keeps them by step); the store only opens, fills and drops
 * rows. struct tm_step is the unpacked view of one row (enum tm_time_src is run.h's).
 */
#ifndef TRAINMON_STEPS_H
#define TRAINMON_STEPS_H

#include <stddef.h>
#include <stdint.h>

/* One step record, unpacked: the view of one row the store gives and takes. */
struct tm_step {
	double   step;           /* framework step number */
	double   time_s;         /* seconds per step (interval mean for Megatron); NAN unknown */
	double   consumed;       /* consumed samples so far, NAN unknown */
	double   loss;           /* NAN unknown */
	double   global_batch;   /* sequences per step, NAN unknown */
	double   tflops;         /* logged TFLOP/s per GPU, NAN when not printed */
	double   mfu;            /* logged MFU fraction, NAN when not printed */
	double   tokens_per_s_per_gpu; /* logged, NAN when not printed */
	double   tokens_per_s;   /* logged, whole job, NAN when not printed */
	double   samples_per_s;  /* logged, whole job, NAN when not printed */
	double   ts;             /* wall clock of its line, epoch seconds UTC; NAN unknown */
	double   grad_norm;      /* logged gradient norm, NAN when not printed */
	uint32_t line;           /* 1-based line of the record (saturates) */
	uint8_t  time_src;       /* enum tm_time_src of time_s: TM_TSRC_LOGGED or TM_TSRC_TQDM when
				    time_s is set here, else TM_TSRC_NONE (summary.h derives the rest) */
};

/* The fields of a record: the members of struct tm_step, line and time_src included. */
enum tm_sf {
	TM_SF_STEP, TM_SF_TIME_S, TM_SF_CONSUMED, TM_SF_LOSS, TM_SF_GLOBAL_BATCH, TM_SF_TFLOPS, TM_SF_MFU,
	TM_SF_TOKENS_PER_S_PER_GPU, TM_SF_TOKENS_PER_S, TM_SF_SAMPLES_PER_S, TM_SF_TS, TM_SF_GRAD_NORM,
	TM_SF_LINE, TM_SF_TIME_SRC, TM_SF_N
};

enum tm_scol_mode { TM_SCOL_ABSENT, TM_SCOL_CONST, TM_SCOL_AFFINE, TM_SCOL_CODE, TM_SCOL_F64 };

struct tm_sesc { size_t row; double v; };   /* an escaped value of a CODE column */

struct tm_scol {
	uint8_t mode;            /* enum tm_scol_mode */
	uint8_t k;               /* CODE: the power of ten */
	uint8_t based;           /* CODE: base and k are set (by the first value coded) */
	int64_t base;            /* CODE: value = (base + m) / 10^k */
	uint32_t mmax;           /* CODE: bound on |m| of the codes given (never lowered) */
	double cval;             /* CONST: the value; AFFINE: a, row 0's value */
	double d;                /* AFFINE: what each row adds */
	void *mem;               /* owned: CODE uint32s or F64 doubles, head + cap rows; NULL else */
	struct tm_sesc *esc;     /* owned: CODE escapes sorted by row */
	size_t nesc, capesc;
};

struct tm_steps {
	size_t n;                /* rows */
	size_t cap;              /* rows that fit from row 0 on in every allocated column */
	size_t head;             /* free rows before row 0 (room for late steps) */
	struct tm_scol *col;     /* owned: TM_SF_N columns from the first row on, NULL before (an idle
				    run, a rival without records, costs no kilobyte of columns) */
	int small_pages;         /* 1: columns without the huge-page hint (tm_xpages_small): a split
				    read's chunk, short-lived and well under 2 MiB a column */
	size_t expect;           /* rows the columns are first made for (0: grow from 16); like
				    small_pages, kept by tm_steps_release */
};

void tm_steps_init(struct tm_steps *s);     /* empty; all zero bytes is the same */
void tm_steps_release(struct tm_steps *s);   /* frees and empties */

/* Row i, every field; one field of it. */
void tm_steps_row(const struct tm_steps *s, size_t i, struct tm_step *out);
double tm__steps_get(const struct tm_steps *s, size_t i, enum tm_sf f);   /* any form */
/* The codes and powers of ten of CODE columns, for the inline read below (steps.c) */
#define TM_STEPS_NAN_CODE 0x80000000u
#define TM_STEPS_ESC_CODE 0x80000001u
extern const double tm_steps_p10[];
/* The value of a code that is neither of those two: (base + m) / 10^k, the one decoding. */
static inline double tm__steps_code_value(const struct tm_scol *c, uint32_t code)
{
	return (double)(c->base + (int32_t)code) / tm_steps_p10[c->k];
}
/* Field f of row i (i < n). Inline but for escapes, since the statistics read every row of a
 * column several times (summary.c, anomaly.c); the same value tm__steps_get gives. */
static inline double tm_steps_get(const struct tm_steps *s, size_t i, enum tm_sf f)
{
	const struct tm_scol *c = &s->col[f];
	switch (c->mode) {
	case TM_SCOL_CODE: {
		uint32_t code = ((const uint32_t *)c->mem)[s->head + i];
		if (code != TM_STEPS_NAN_CODE && code != TM_STEPS_ESC_CODE)
			return tm__steps_code_value(c, code);
		return tm__steps_get(s, i, f);     /* NaN, or an escape: searched */
	}
	case TM_SCOL_F64: return ((const double *)c->mem)[s->head + i];
	case TM_SCOL_CONST: return c->cval;
	case TM_SCOL_AFFINE: return c->cval + c->d * (double)i;
	default: return tm__steps_get(s, i, f);
	}
}

/* Sets every field of row i (i < n); one field of it. */
void tm_steps_put(struct tm_steps *s, size_t i, const struct tm_step *in);
void tm_steps_set(struct tm_steps *s, size_t i, enum tm_sf f, double v);

/* Inserts a row at i (0 <= i <= n), the rows from i on moving up, moving the shorter side. */
void tm_steps_insert(struct tm_steps *s, size_t i, const struct tm_step *in);
/* Room for at least n rows (appending that many moves nothing). */
void tm_steps_reserve(struct tm_steps *s, size_t n);
/* Drops the first d rows (d <= n). */
void tm_steps_drop_front(struct tm_steps *s, size_t d);
/* Appends b's rows after a's, the line of each moved by line_add (saturating at UINT32_MAX): the
 * values a row-by-row tm_steps_insert of tm_steps_row(b) would give, column by column, codes of
 * the same scale carried over without decoding (the split read joins its halves with it). */
void tm_steps_append(struct tm_steps *a, const struct tm_steps *b, uint64_t line_add);

/* Bytes allocated (columns and escapes): for tests and diagnostics. */
size_t tm_steps_bytes(const struct tm_steps *s);

#endif

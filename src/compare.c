/* compare.c: two analysed runs compared (see compare.h; methods in docs/formulas.md §9).
 *
 * Step time: the steady records of each side (the ones analyze's statistics count) and the
 * percentile bootstrap of the difference of medians (bootstrap.h). Loss: each side's logged losses
 * placed at the tokens consumed when they were printed, compared at the points of the sparser side
 * inside the common token range, the other side linearly interpolated; step numbers are never
 * aligned, since batch sizes may differ. Job values: every resolved value and every parameter a
 * log printed, with sources, flagged where they differ. Nothing is printed here.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/compare.h"
#include "trainmon/xalloc.h"
#include "banned.h"

const char *tm_cmp_verdict_name(enum tm_cmp_verdict v)
{
	switch (v) {
	case TM_CMP_SAME: return "no significant difference";
	case TM_CMP_SLOWER: return "slower";
	case TM_CMP_FASTER: return "faster";
	default: return NULL;
	}
}

size_t tm_compare_steady_times(const struct tm_run *r, const struct tm_summary *s, double *out)
{
	size_t timed = 0, n = 0;
	for (size_t i = 0; i < r->nsteps; i++) {
		const struct tm_step st = tm_run_step(r, i);
		double t = tm_summary_step_time(&st, s, NULL);
		if (isnan(t))
			continue;
		if (timed++ >= s->warmup_records)
			out[n++] = t;
	}
	return n;
}

size_t tm_compare_loss_points(const struct tm_run *r, const struct tm_summary *s, double *tokens, double *loss,
			      const char **missing)
{
	*missing = NULL;
	double seq = s->seq_len.v;
	if (!(seq > 0)) {
		*missing = s->seq_len.needs ? s->seq_len.needs : "--seq-len";
		return 0;
	}
	size_t n = 0;
	double prev_step = NAN, prev_tokens = NAN;
	for (size_t i = 0; i < r->nsteps; i++) {
		const struct tm_step st_v = tm_run_step(r, i), *st = &st_v;
		double t;
		if (isfinite(st->consumed) && st->consumed >= 0) {
			t = st->consumed * seq;
		} else {
			double b = isfinite(st->global_batch) && st->global_batch > 0 ? st->global_batch
										  : s->global_batch.v;
			if (!(b > 0)) {
				*missing = s->global_batch.needs ? s->global_batch.needs : "--global-batch";
				return 0;
			}
			/* the steps since the previous record ran at this record's batch */
			double steps = isnan(prev_step) ? st->step - r->step_base + 1 : st->step - prev_step;
			t = (isnan(prev_tokens) ? 0 : prev_tokens) + steps * b * seq;
		}
		prev_step = st->step;
		prev_tokens = t;
		if (isfinite(st->loss)) {
			tokens[n] = t;
			loss[n++] = st->loss;
		}
	}
	if (n == 0)
		*missing = "losses in the log";
	return n;
}

/* y of the polyline (x[], y[], x nondecreasing) at x0, inside [x[0], x[n-1]]; *k is a cursor that
 * only moves forward, so a sweep over increasing x0 is linear. */
static double interp(const double *x, const double *y, size_t n, double x0, size_t *k)
{
	while (*k + 1 < n && x[*k + 1] < x0)
		(*k)++;
	if (*k + 1 >= n || x[*k + 1] == x[*k])
		return y[*k];
	double f = (x0 - x[*k]) / (x[*k + 1] - x[*k]);
	if (f < 0)
		f = 0;
	return y[*k] + (y[*k + 1] - y[*k]) * f;
}

static void compare_loss(struct tm_cmp_loss *l, const struct tm_analysis *a, const struct tm_analysis *b)
{
	memset(l, 0, sizeof(*l));
	l->tokens_lo = l->tokens_hi = l->mean_diff = l->mean_abs_diff = l->max_abs_diff = l->max_at_tokens = NAN;
	const struct tm_run *ra = &a->f->run, *rb = &b->f->run;
	double *xa = tm_xmalloc((ra->nsteps + 1) * sizeof(double)), *ya = tm_xmalloc((ra->nsteps + 1) * sizeof(double));
	double *xb = tm_xmalloc((rb->nsteps + 1) * sizeof(double)), *yb = tm_xmalloc((rb->nsteps + 1) * sizeof(double));
	const char *ma, *mb;
	l->na = tm_compare_loss_points(ra, &a->s, xa, ya, &ma);
	l->nb = tm_compare_loss_points(rb, &b->s, xb, yb, &mb);
	if (!l->na || !l->nb) {
		l->missing = !l->na ? ma : mb;
		goto out;
	}
	for (size_t i = 1; i < l->na || i < l->nb; i++)
		if ((i < l->na && xa[i] < xa[i - 1]) || (i < l->nb && xb[i] < xb[i - 1])) {
			/* consumed samples that go back (a restart that reset them): no one token axis */
			l->missing = "tokens consumed that only grow (the log's consumed samples go back)";
			goto out;
		}
	l->tokens_lo = fmax(xa[0], xb[0]);
	l->tokens_hi = fmin(xa[l->na - 1], xb[l->nb - 1]);
	if (!(l->tokens_lo <= l->tokens_hi)) {
		l->missing = "a common range of tokens consumed";
		l->tokens_lo = l->tokens_hi = NAN;
		goto out;
	}
	size_t ina = 0, inb = 0;
	for (size_t i = 0; i < l->na; i++)
		ina += xa[i] >= l->tokens_lo && xa[i] <= l->tokens_hi;
	for (size_t i = 0; i < l->nb; i++)
		inb += xb[i] >= l->tokens_lo && xb[i] <= l->tokens_hi;
	/* the sparser side's points, the denser side interpolated (its error is the smaller) */
	l->at_b = inb < ina;
	const double *px = l->at_b ? xb : xa, *py = l->at_b ? yb : ya;
	const double *qx = l->at_b ? xa : xb, *qy = l->at_b ? ya : yb;
	size_t np = l->at_b ? l->nb : l->na, nq = l->at_b ? l->na : l->nb, k = 0;
	double sum = 0, sum_abs = 0;
	l->max_abs_diff = 0;
	for (size_t i = 0; i < np; i++) {
		if (px[i] < l->tokens_lo || px[i] > l->tokens_hi)
			continue;
		double other = interp(qx, qy, nq, px[i], &k);
		double d = l->at_b ? py[i] - other : other - py[i];      /* always B - A */
		sum += d;
		sum_abs += fabs(d);
		if (fabs(d) > l->max_abs_diff || l->n == 0) {
			l->max_abs_diff = fabs(d);
			l->max_at_tokens = px[i];
		}
		l->n++;
	}
	l->mean_diff = sum / (double)l->n;
	l->mean_abs_diff = sum_abs / (double)l->n;
out:
	free(xa);
	free(ya);
	free(xb);
	free(yb);
}

static void push_value(struct tm_comparison *c, size_t *cap, struct tm_cmp_value v)
{
	int a_known = !isnan(v.a) || v.sa, b_known = !isnan(v.b) || v.sb;
	if (!a_known && !b_known)
		return;
	if (v.sa || v.sb)
		v.differs = !v.sa || !v.sb || strcmp(v.sa, v.sb) != 0;
	else
		v.differs = isnan(v.a) != isnan(v.b) || (!isnan(v.a) && v.a != v.b);
	if (c->nvalues == *cap) {
		*cap = *cap ? 2 * *cap : 32;
		c->values = tm_xrealloc(c->values, *cap * sizeof(*c->values));
	}
	c->values[c->nvalues++] = v;
	c->ndiffer += (size_t)v.differs;
}

static void compare_values(struct tm_comparison *c, const struct tm_analysis *a, const struct tm_analysis *b)
{
	size_t cap = 0;
	const struct tm_summary *sa = &a->s, *sb = &b->s;
	const struct { const char *name; size_t off; } vals[] = {
#define V(key, field) { key, offsetof(struct tm_summary, field) }
		V("seq_len", seq_len), V("global_batch_size", global_batch), V("gpus", gpus),
		V("layers", layers), V("hidden", hidden), V("heads", heads), V("kv_heads", kv_heads),
		V("ffn", ffn), V("vocab", vocab), V("model_flops_per_seq", model_flops_per_seq),
		V("peak_tflops", peak_tflops), V("target_tokens", target_tokens),
#undef V
	};
	const char *strs[][3] = {
		{ "framework", sa->framework, sb->framework },
		{ "gpu", sa->gpu_name, sb->gpu_name },
		{ "dtype", sa->dtype_name, sb->dtype_name },
		{ "mlp", tm_mlp_name(sa->mlp), tm_mlp_name(sb->mlp) },
		{ "flops_convention", sa->convention[0] ? sa->convention : NULL, sb->convention[0] ? sb->convention : NULL },
	};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		push_value(c, &cap, (struct tm_cmp_value){ .name = strs[i][0], .a = NAN, .b = NAN,
							   .sa = strs[i][1], .sb = strs[i][2] });
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		const struct tm_val *va = (const struct tm_val *)(const void *)((const char *)sa + vals[i].off);
		const struct tm_val *vb = (const struct tm_val *)(const void *)((const char *)sb + vals[i].off);
		push_value(c, &cap, (struct tm_cmp_value){ .name = vals[i].name, .a = va->v, .b = vb->v,
							   .src_a = va->src, .src_b = vb->src });
	}
	const struct tm_run *ra = &a->f->run, *rb = &b->f->run;
	for (int p = 0; p < TM_P_N; p++) {
		struct tm_cmp_value v = { .name = tm_param_name(p), .printed = 1, .a = NAN, .b = NAN,
					  .src_a = TM_SRC_LOG, .src_b = TM_SRC_LOG };
		if (p < TM_P_NUM_STRINGS_FROM_HERE) {
			v.a = ra->params[p];
			v.b = rb->params[p];
		} else {
			v.sa = ra->sparams[p];
			v.sb = rb->sparams[p];
		}
		if (p == TM_P_SLURM_JOB_ID)
			continue;                /* a job's own id always differs: it names the run */
		push_value(c, &cap, v);
	}
}

void tm_compare(struct tm_comparison *c, const struct tm_analysis *a, const struct tm_analysis *b,
		const struct tm_boot_cfg *boot)
{
	memset(c, 0, sizeof(*c));
	c->a = a;
	c->b = b;
	c->boot = *boot;
	const struct tm_run *ra = &a->f->run, *rb = &b->f->run;
	double *ta = tm_xmalloc((ra->nsteps + 1) * sizeof(double));
	double *tb = tm_xmalloc((rb->nsteps + 1) * sizeof(double));
	c->na = tm_compare_steady_times(ra, &a->s, ta);
	c->nb = tm_compare_steady_times(rb, &b->s, tb);
	struct tm_boot_cfg bc = *boot;
	if (c->na < TM_CMP_MIN_STEPS || c->nb < TM_CMP_MIN_STEPS)
		bc.resamples = 0;                /* medians only, no interval and no verdict */
	tm_boot_median_diff(ta, c->na, tb, c->nb, &bc, &c->st);
	if (bc.resamples && !isnan(c->st.rel_lo))
		c->verdict = c->st.rel_lo > 0 ? TM_CMP_SLOWER : c->st.rel_hi < 0 ? TM_CMP_FASTER : TM_CMP_SAME;
	free(ta);
	free(tb);
	compare_loss(&c->loss, a, b);
	compare_values(c, a, b);
	memcpy(c->events_a, ra->event_counts, sizeof(c->events_a));
	memcpy(c->events_b, rb->event_counts, sizeof(c->events_b));
	for (size_t i = 0; i < a->an.n; i++)
		c->anomalies_a[a->an.v[i].kind]++;
	for (size_t i = 0; i < b->an.n; i++)
		c->anomalies_b[b->an.v[i].kind]++;
}

void tm_comparison_release(struct tm_comparison *c)
{
	free(c->values);
	memset(c, 0, sizeof(*c));
}

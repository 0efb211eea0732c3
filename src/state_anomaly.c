/* state_anomaly.c: the anomaly detectors of a run's alerts (struct tm_alert_anomalies) as state
 * records (version 4), so a restarted daemon goes on judging where it stopped:
 *   anreg N LO BASE BAND MEDIAN BASELINE RUN DIR SHIFT_STEP SHIFT_FROM SHIFT_TO REGRESSED K x s...
 *   anspike L|G NRING HEAD COUNT SUM LAST EPISODE EP_FIRST EP_LAST EP_VALUE EP_REF EP_MAG PRE ABOVE
 *           DIV_FIRST DIVERGED DIV_REF DIV_VALUE DIV_STEP ring...
 *   anstrag FIRING RANK STREAK OK INTERVALS RATIO_SUM FIRST LAST SEEN HOSTHEX (rank ratio report)x4
 * Only the ring values in use are written (the step-time ring: the last K = min(N, ring) values,
 * oldest first). Doubles use %.17g so they read back bit for bit. A version 3 file has none:
 * the detectors start afresh at the saved step cursor, which judges no old step again.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state_int.h"
#include "banned.h"

static void put_d(FILE *f, double v)
{
	fprintf(f, " %.17g", v);
}

void tm__state_put_anomalies(FILE *f, const struct tm_alert_anomalies *an)
{
	const struct tm_regress_det *g = &an->regress;
	uint64_t k = g->n < TM_REG_RING ? g->n : TM_REG_RING;
	fprintf(f, "anreg %" PRIu64 " %" PRIu64, g->n, g->lo);
	double hd[] = { g->base, g->band, g->median, g->baseline };
	for (size_t i = 0; i < 4; i++)
		put_d(f, hd[i]);
	fprintf(f, " %" PRIu32 " %d", g->run, g->dir);
	put_d(f, g->shift_step);
	put_d(f, g->shift_from);
	put_d(f, g->shift_to);
	fprintf(f, " %d %" PRIu64, g->regressed, k);
	for (uint64_t i = g->n - k; i < g->n; i++) {
		put_d(f, g->x[i % TM_REG_RING]);
		put_d(f, g->s[i % TM_REG_RING]);
	}
	fputc('\n', f);
	for (int which = 0; which < 2; which++) {
		const struct tm_spike_det *d = which ? &an->grad : &an->loss;
		fprintf(f, "anspike %c %" PRIu32 " %" PRIu32 " %" PRIu64, which ? 'G' : 'L', d->nring, d->head, d->count);
		put_d(f, d->sum);
		put_d(f, d->last);
		fprintf(f, " %d", d->episode);
		double ep[] = { d->ep_first, d->ep_last, d->ep_value, d->ep_ref, d->ep_mag, d->pre };
		for (size_t i = 0; i < 6; i++)
			put_d(f, ep[i]);
		fprintf(f, " %" PRIu64, d->above);
		put_d(f, d->div_first);
		fprintf(f, " %d", d->diverged);
		put_d(f, d->div_ref);
		put_d(f, d->div_value);
		put_d(f, d->div_step);
		for (uint32_t i = 0; i < d->nring; i++)
			put_d(f, d->ring[i]);
		fputc('\n', f);
	}
	const struct tm_straggler_det *s = &an->straggler;
	fprintf(f, "anstrag %d %d %" PRIu32 " %" PRIu32 " %" PRIu32, s->firing, s->rank, s->streak, s->ok, s->intervals);
	put_d(f, s->ratio_sum);
	put_d(f, s->first_step);
	put_d(f, s->last_step);
	fprintf(f, " %" PRIu64 " ", an->reports_seen);
	size_t hl = strlen(s->host);
	if (!hl)
		fputc('-', f);
	for (size_t i = 0; i < hl; i++)
		fprintf(f, "%02x", (unsigned char)s->host[i]);
	for (size_t i = 0; i < TM_STRAGGLER_GAUGES; i++) {
		fprintf(f, " %d", an->worst[i].rank);
		put_d(f, an->worst[i].ratio);
		fprintf(f, " %" PRIu64, an->worst[i].report);
	}
	fputc('\n', f);
}

/* A cursor over one record's fields. */
struct rd {
	const char *p;
	int bad;
};

static double rd_d(struct rd *r)
{
	char *end;
	double v = strtod(r->p, &end);
	if (end == r->p)
		r->bad = 1;
	r->p = end;
	return v;
}

/* Counts and flags are written as integers; read as doubles they are exact below 2^53. */
static uint64_t rd_u(struct rd *r)
{
	double v = rd_d(r);
	if (!(v >= 0 && v < 9007199254740992.0) || v != floor(v))
		r->bad = 1;
	return r->bad ? 0 : (uint64_t)v;
}

static int rd_i(struct rd *r)
{
	double v = rd_d(r);
	if (!(v >= -1 && v <= INT32_MAX) || v != floor(v))
		r->bad = 1;
	return r->bad ? 0 : (int)v;
}

/* A run of doubles into the places v names. */
static void rd_ds(struct rd *r, double *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		*v[i] = rd_d(r);
}
#define RD_DS(r, ...) rd_ds(r, (double *const[]){ __VA_ARGS__ }, sizeof((double *[]){ __VA_ARGS__ }) / sizeof(double *))

static int parse_reg(struct tm_regress_det *g, struct rd *r)
{
	tm_regress_release(g);
	tm_regress_init(g);
	g->n = rd_u(r);
	g->lo = rd_u(r);
	RD_DS(r, &g->base, &g->band, &g->median, &g->baseline);
	g->run = (uint32_t)rd_u(r);
	g->dir = rd_i(r);
	RD_DS(r, &g->shift_step, &g->shift_from, &g->shift_to);
	g->regressed = rd_i(r);
	uint64_t k = rd_u(r);
	if (r->bad || k > TM_REG_RING || k > g->n || g->lo > g->n)
		return -1;
	if (k)
		tm_regress_ring(g);
	for (uint64_t i = g->n - k; i < g->n && !r->bad; i++) {
		g->x[i % TM_REG_RING] = rd_d(r);
		g->s[i % TM_REG_RING] = rd_d(r);
	}
	return r->bad ? -1 : 0;
}

static int parse_spike(struct tm_spike_det *d, struct rd *r)
{
	tm_spike_release(d);
	tm_spike_init(d);
	d->nring = (uint32_t)rd_u(r);
	d->head = (uint32_t)rd_u(r);
	d->count = rd_u(r);
	RD_DS(r, &d->sum, &d->last);
	d->episode = rd_i(r);
	RD_DS(r, &d->ep_first, &d->ep_last, &d->ep_value, &d->ep_ref, &d->ep_mag, &d->pre);
	d->above = rd_u(r);
	d->div_first = rd_d(r);
	d->diverged = rd_i(r);
	RD_DS(r, &d->div_ref, &d->div_value, &d->div_step);
	if (r->bad || d->nring > TM_SPIKE_WINDOW_MAX || d->head >= TM_SPIKE_WINDOW_MAX)
		return -1;
	if (d->nring)
		tm_spike_ring(d);
	for (uint32_t i = 0; i < d->nring && !r->bad; i++)
		d->ring[i] = rd_d(r);
	return r->bad ? -1 : 0;
}

static int parse_strag(struct tm_alert_anomalies *an, struct rd *r)
{
	struct tm_straggler_det *s = &an->straggler;
	tm_straggler_init(s);
	s->firing = rd_i(r);
	s->rank = rd_i(r);
	s->streak = (uint32_t)rd_u(r);
	s->ok = (uint32_t)rd_u(r);
	s->intervals = (uint32_t)rd_u(r);
	RD_DS(r, &s->ratio_sum, &s->first_step, &s->last_step);
	an->reports_seen = rd_u(r);
	while (*r->p == ' ')
		r->p++;
	size_t k = 0;
	if (*r->p == '-') {
		r->p++;
	} else {
		for (; r->p[0] && r->p[0] != ' ' && r->p[1] && k + 1 < sizeof(s->host); r->p += 2) {
			unsigned v;
			if (sscanf(r->p, "%2x", &v) != 1)
				return -1;
			s->host[k++] = (char)v;
		}
	}
	s->host[k] = 0;
	for (size_t i = 0; i < TM_STRAGGLER_GAUGES; i++) {
		an->worst[i].rank = rd_i(r);
		an->worst[i].ratio = rd_d(r);
		an->worst[i].report = rd_u(r);
	}
	return r->bad ? -1 : 0;
}

int tm__state_parse_anomaly(struct tm_alert_anomalies *an, const char *line)
{
	struct rd r = { line, 0 };
	if (strncmp(line, "anreg ", 6) == 0) {
		r.p += 6;
		return parse_reg(&an->regress, &r) < 0 ? -1 : 1;
	}
	if (strncmp(line, "anspike L ", 10) == 0 || strncmp(line, "anspike G ", 10) == 0) {
		r.p += 10;
		return parse_spike(line[8] == 'G' ? &an->grad : &an->loss, &r) < 0 ? -1 : 1;
	}
	if (strncmp(line, "anstrag ", 8) == 0) {
		r.p += 8;
		return parse_strag(an, &r) < 0 ? -1 : 1;
	}
	return 0;
}

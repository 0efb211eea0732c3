/* test_state_anomaly.c: the anomaly detectors of a run's alerts survive the state file's records
 * (state_anomaly.c) bit for bit: detectors fed 3000 seeded steps (a step-time shift, a loss
 * spike, grad norms) and 12 reports (one straggler episode under way), written and read back,
 * compare equal; fed on, both give the same transitions; a cut record is corrupt. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tm_test.h"
#include "tm_test_anomaly.h"
#include "trainmon/alert.h"
#include "state_int.h"

static unsigned feed(struct tm_alert_anomalies *an, const struct tm_anomaly_cfg *c, size_t i, uint64_t *s)
{
	struct tm_spike_params lp, gp;
	tm_spike_params(&lp, c, 0);
	tm_spike_params(&gp, c, 1);
	double t = (i >= 1500 ? 2.2 : 2.0) * (1 + 0.01 * tm_test_gauss(s));
	double loss = (5 - (double)i / 1000) * (1 + 0.01 * tm_test_gauss(s)) * (i == 2000 ? 4 : 1);
	unsigned ev = tm_regress_feed(&an->regress, c, (double)i, t);
	ev |= tm_spike_feed(&an->loss, &lp, (double)i, loss) << 8;
	ev |= tm_spike_feed(&an->grad, &gp, (double)i, 1 + 0.1 * tm_test_uniform(s)) << 16;
	return ev;
}

/* Two detector sets hold the same state: every field bit for bit (the ring pointers aside) and
 * the values in use of each ring. */
static int same_an(const struct tm_alert_anomalies *x, const struct tm_alert_anomalies *y)
{
	struct tm_alert_anomalies a, b;
	memcpy(&a, x, sizeof(a));
	memcpy(&b, y, sizeof(b));
	a.regress.x = a.regress.s = b.regress.x = b.regress.s = NULL;
	a.loss.ring = a.grad.ring = b.loss.ring = b.grad.ring = NULL;
	if (memcmp(&a, &b, sizeof(a)) != 0)
		return 0;
	uint64_t n = x->regress.n, k = n < TM_REG_RING ? n : TM_REG_RING;
	for (uint64_t i = n - k; i < n; i++)
		if (memcmp(&x->regress.x[i % TM_REG_RING], &y->regress.x[i % TM_REG_RING], sizeof(double)) ||
		    memcmp(&x->regress.s[i % TM_REG_RING], &y->regress.s[i % TM_REG_RING], sizeof(double)))
			return 0;
	const struct tm_spike_det *dx[2] = { &x->loss, &x->grad }, *dy[2] = { &y->loss, &y->grad };
	for (int w = 0; w < 2; w++)
		if (dx[w]->nring && memcmp(dx[w]->ring, dy[w]->ring, dx[w]->nring * sizeof(double)))
			return 0;
	return 1;
}

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	struct tm_anomaly_cfg c;
	tm_anomaly_cfg_init(&c);
	static struct tm_alerts a, b;
	tm_alerts_init(&a);
	TM_CHECK(&st, !a.an.regress.x && !a.an.loss.ring && !a.an.grad.ring);   /* idle: no ring */
	uint64_t s = 4242;
	unsigned seen = 0;
	for (size_t i = 1; i <= 3000; i++)
		seen |= feed(&a.an, &c, i, &s);
	TM_CHECK(&st, seen & TM_REG_UP && seen & (TM_SPK_NEW << 8));
	for (size_t i = 0; i < 12; i++) {
		struct tm_rank_report p = { .step = (double)(10 * i), .ratio = i >= 8 ? 1.3 : 1.01, .rank = i >= 8 ? 5 : 2 };
		strcpy(p.host, "node-7");
		tm_straggler_feed(&a.an.straggler, &p, &c);
		a.an.reports_seen++;
	}
	a.an.worst[0].rank = 5;
	a.an.worst[0].ratio = 1.3;
	TM_CHECK(&st, a.an.straggler.firing && a.an.straggler.rank == 5);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	tm__state_put_anomalies(f, &a.an);
	fclose(f);
	tm_alerts_init(&b);
	int ok = 1;
	for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		ok &= tm__state_parse_anomaly(&b.an, line) == 1;
	TM_CHECK(&st, ok);
	TM_CHECK(&st, same_an(&a.an, &b.an));
	/* fed on, both give the same transitions */
	uint64_t s2 = s;
	int same = 1;
	for (size_t i = 3001; i <= 4000; i++)
		same &= feed(&a.an, &c, i, &s) == feed(&b.an, &c, i, &s2);
	TM_CHECK(&st, same && same_an(&a.an, &b.an));
	/* a record cut short is corrupt */
	TM_CHECK(&st, tm__state_parse_anomaly(&b.an, "anreg 12 0 2 0.1") == -1);
	TM_CHECK(&st, tm__state_parse_anomaly(&b.an, "anstrag 1 5") == -1);
	TM_CHECK(&st, tm__state_parse_anomaly(&b.an, "alerts 0") == 0);
	free(buf);
	tm_alerts_release(&a);
	tm_alerts_release(&b);
	return tm_test_done(&st, "test_state_anomaly");
}

/* tm_test_anomaly.h: what the anomaly tests share: a seeded xorshift generator (uniform and,
 * through Box-Muller, Gaussian), and counting anomalies of a kind. */
#ifndef TM_TEST_ANOMALY_H
#define TM_TEST_ANOMALY_H

#include <math.h>
#include <stdint.h>

#include "trainmon/anomaly.h"

static inline double tm_test_uniform(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return ((double)(*s >> 11) + 0.5) / 9007199254740992.0;
}

static inline double tm_test_gauss(uint64_t *s)
{
	double u = tm_test_uniform(s), v = tm_test_uniform(s);
	return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

/* The default settings and an empty result (release a when done). */
static inline void tm_test_anomaly_setup(struct tm_anomaly_cfg *cfg, struct tm_anomalies *a)
{
	tm_anomaly_cfg_init(cfg);
	tm_anomalies_init(a);
}

static inline size_t tm_test_count(const struct tm_anomalies *a, enum tm_anomaly_kind k)
{
	size_t n = 0;
	for (size_t i = 0; i < a->n; i++)
		n += a->v[i].kind == k;
	return n;
}

#endif

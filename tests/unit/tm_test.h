/* tm_test.h: the few assertion macros the unit tests share (no framework, one process per test).
 * A failed check prints FILE:LINE and the values, and the test exits 1 at the end. */
#ifndef TM_TEST_H
#define TM_TEST_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tm_test_state { int failed, checked; };

#define TM_CHECK(st, cond) do { (st)->checked++; if (!(cond)) { (st)->failed++; \
	fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)

/* |got - want| <= rel * |want| (or <= rel when want is 0). The tolerance is part of every call. */
#define TM_NEAR(st, got, want, rel) do { double g_ = (got), w_ = (want), r_ = (rel); (st)->checked++; \
	double tol_ = w_ != 0 ? fabs(w_) * r_ : r_; if (!(fabs(g_ - w_) <= tol_)) { (st)->failed++; \
	fprintf(stderr, "%s:%d: %s = %.17g, want %.17g (rel tol %g)\n", __FILE__, __LINE__, #got, g_, w_, r_); } } while (0)

#define TM_STREQ(st, got, want) do { const char *g_ = (got), *w_ = (want); (st)->checked++; \
	if (!g_ || strcmp(g_, w_) != 0) { (st)->failed++; \
	fprintf(stderr, "%s:%d: %s = \"%s\", want \"%s\"\n", __FILE__, __LINE__, #got, g_ ? g_ : "(null)", w_); } } while (0)

/* xorshift64: the tests' reproducible random numbers (seed never 0) */
static inline uint64_t tm_test_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static inline int tm_test_done(const struct tm_test_state *st, const char *name)
{
	printf("%s: %d checks, %d failed\n", name, st->checked, st->failed);
	return st->failed ? 1 : 0;
}

#endif

/* alert_int.h: what alert.c shares with alert_anomaly.c: one transition built and handed to the
 * callback (message from a printf format; step NAN when the alert has none). */
#ifndef TRAINMON_ALERT_INT_H
#define TRAINMON_ALERT_INT_H

#include <stdarg.h>

#include "trainmon/alert.h"

void tm__alert_vemit(tm_alert_fn fn, void *ctx, enum tm_alert_kind k, int firing, double v, double thr, double step,
		     const char *fmt, va_list ap) __attribute__((format(printf, 8, 0)));

#endif

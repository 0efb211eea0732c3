/* state_int.h: what state.c shares with state_anomaly.c: the anomaly detectors of a run's alerts
 * written as state records and read back (version 4). */
#ifndef TRAINMON_STATE_INT_H
#define TRAINMON_STATE_INT_H

#include <stdio.h>

#include "trainmon/alert.h"

void tm__state_put_anomalies(FILE *f, const struct tm_alert_anomalies *an);
/* 1: the line was one of them and is read into an; 0: not one of them; -1: corrupt. */
int tm__state_parse_anomaly(struct tm_alert_anomalies *an, const char *line);

#endif

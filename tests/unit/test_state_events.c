/* test_state_events.c: incidents in the watch state (src/state.c, format 3). A saved run's
 * events come back with their time, ranks, host and code, and the incident counts; a version 2
 * file (forged from a version 3 one the way version 2 wrote it: six fields per event, no
 * incident records) still loads, each entry one incident with its where unknown. */
#include <inttypes.h>
#include <unistd.h>

#include "tm_test.h"
#include "tm_test_pack.h"
#include "tm_test_state.h"
#include "trainmon/state.h"

/* A version 3 state file's line as version 2 wrote it. */
static int to_v2(char *line)
{
	tm_test_state_cut(line, "event ", 7);       /* event LINE LAST COUNT KIND SEV MSGHEX */
	return tm_test_state_before(line, '2');
}

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	char dir[] = "/tmp/tm_stev_XXXXXX", log[64], state[64];
	if (tm_test_state_dir(dir, log, state) < 0)
		return 77;
	FILE *f = fopen(log, "w");
	if (!f)
		return 77;
	fputs("2025-01-02T03:00:00Z step 1 took 1.5 s\n", f);
	for (int r = 0; r < 4; r++)
		fprintf(f, "2025-01-02T03:00:%02dZ [rank%d]:  exitcode  : -6 (pid: %d)\n", 10 + r, r, 100 + r);
	fputs("2025-01-02T03:00:20Z srun: error: nid001234: task 3: Aborted\n", f);
	fclose(f);

	static const char pack[] = "framework: t\ndetect: 'took'\nrules:\n"
		"  - name: s\n    record: step\n    regex: 'step (?<step>\\d+) took (?<step_time_s>[0-9.]+) s'\n"
		"    samples: {match: ['a step 1 took 1.5 s']}\n"
		"  - name: sig\n    record: event\n    kind: fatal_signal\n    regex: 'exitcode  : -6'\n"
		"    samples: {match: ['  exitcode  : -6 (pid: 12)']}\n"
		"  - name: task\n    record: event\n    kind: task_failed\n"
		"    regex: 'srun: error: (?<host>\\S+): task (?<rank>\\d+): Aborted'\n"
		"    samples: {match: ['srun: error: n1: task 3: Aborted']}\n";
	struct tm_ruleset rs;
	struct tm_diag d;
	TM_CHECK(&st, tm_test_pack(&rs, &d, pack) == 0);
	struct tm_tail t;
	struct tm_saved *v;
	size_t n;
	char err[256];
	TM_CHECK(&st, tm_test_state_roundtrip(&t, log, &rs, state, &v, &n) == 0);
	TM_CHECK(&st, t.feed.run.nevents == 2);
	if (n == 1 && v[0].run.nevents == 2) {
		const struct tm_event *a = &v[0].run.events[0], *b = &v[0].run.events[1];
		TM_CHECK(&st, a->kind == TM_EV_FATAL_SIGNAL && a->count == 4 && a->nranks == 4 && a->rank == 0);
		TM_CHECK(&st, tm_event_has_rank(a, 3) && !tm_event_has_rank(a, 4));
		TM_NEAR(&st, a->ts, 1735786810.0, 0);
		TM_NEAR(&st, a->last_ts, 1735786813.0, 0);
		TM_CHECK(&st, a->code == -1 && a->nhosts == 0);
		TM_STREQ(&st, b->host, "nid001234");
		TM_CHECK(&st, b->nhosts == 1 && b->rank == 3 && b->nranks == 1);
		TM_CHECK(&st, v[0].run.incident_counts[TM_EV_FATAL_SIGNAL] == 1);
		TM_CHECK(&st, v[0].run.event_counts[TM_EV_FATAL_SIGNAL] == 4);
		TM_CHECK(&st, v[0].run.step_line == 1);
	} else {
		TM_CHECK(&st, !"one file with two events");
	}
	tm_state_free(v, n);

	/* version 2: the events load, one incident each, with nothing known of where */
	TM_CHECK(&st, tm_test_state_rewrite(state, to_v2) == 0);
	TM_CHECK(&st, tm_state_load(state, &v, &n, err, sizeof(err)) == 0 && n == 1);
	if (n == 1 && v[0].run.nevents == 2) {
		const struct tm_event *a = &v[0].run.events[0];
		TM_CHECK(&st, a->count == 4 && a->nranks == 0 && a->rank == -1 && a->code == -1);
		TM_CHECK(&st, isnan(a->ts) && isnan(a->last_ts) && a->host[0] == '\0');
		TM_CHECK(&st, v[0].run.incident_counts[TM_EV_FATAL_SIGNAL] == 1);
		TM_CHECK(&st, v[0].run.incident_counts[TM_EV_TASK_FAILED] == 1);
		TM_CHECK(&st, v[0].run.step_line == 1 && isnan(v[0].run.skipped_total));
	} else {
		TM_CHECK(&st, !"version 2 file with two events");
	}
	tm_state_free(v, n);

	/* an event record of version 3 cut short is a corrupt file, not a guess */
	f = fopen(state, "w");
	if (f) {
		char body[256];
		size_t o = (size_t)snprintf(body, sizeof(body), "trainmon-state 3\ntail 61\nrun - 1 0 nan -2 0\n"
					    "event 1 1 1 16 3 6162 nan nan -1\nend\n");
		fprintf(f, "%schecksum %016" PRIx64 "\n", body, tm_fnv1a(TM_FNV_BASIS, body, o));
		fclose(f);
		TM_CHECK(&st, tm_state_load(state, &v, &n, err, sizeof(err)) < 0);
	}

	tm_tail_release(&t);
	tm_diag_release(&d);
	tm_ruleset_release(&rs);
	tm_test_state_cleanup(dir, log, state);
	return tm_test_done(&st, "test_state_events");
}

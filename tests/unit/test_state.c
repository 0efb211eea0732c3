/* test_state.c: the state file (src/state.c): a run, its position and alert states survive a
 * save/load round trip bit for bit; a corrupted or cut file is rejected as a whole. */
#include <unistd.h>

#include "tm_test.h"
#include "trainmon/state.h"

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	char dir[] = "/tmp/tm_state_XXXXXX";
	if (!mkdtemp(dir))
		return 77;
	char log[256], state[256];
	snprintf(log, sizeof(log), "%s/run.out", dir);
	snprintf(state, sizeof(state), "%s/state", dir);
	FILE *f = fopen(log, "w");
	fputs("step 1 took 1.5 s\nstep 2 took 1.25 s\npartial", f);
	fclose(f);

	static const char pack[] = "framework: t\ndetect: 'took'\nrules:\n"
		"  - name: s\n    record: step\n    regex: 'step (?<step>\\d+) took (?<step_time_s>[0-9.]+) s'\n"
		"    samples: {match: ['step 1 took 1.5 s']}\n";
	struct tm_ruleset rs;
	struct tm_diag d;
	tm_ruleset_init(&rs);
	tm_diag_init(&d);
	tm_ruleset_load_buf(&rs, "t.yaml", pack, sizeof(pack) - 1, &d);
	tm_ruleset_finish(&rs, &d);
	struct tm_tail t;
	tm_tail_init(&t, log, &rs, 0, 1000);
	tm_tail_sync(&t, 1);
	tm_run_event(&t.feed.run, 2, TM_EV_CUDA_OOM, TM_EVS_CRITICAL, "CUDA out of memory. \"q\" \xff", 25);
	tm_steps_set(&t.feed.run.steps, 1, TM_SF_TS, 1741684390.25);      /* wall-clock times round-trip too */
	t.feed.run.first_ts = 1741684380.5;
	t.feed.run.last_ts = 1741684391;
	struct tm_alerts al;
	tm_alerts_init(&al);
	al.low_mfu.firing = 1;
	al.failure_fired[TM_EV_CUDA_OOM] = 1;
	al.step_cursor = 2;
	struct tm_state_entry e = { &t, &al, NULL };
	TM_CHECK(&st, tm_state_save(state, &e, 1) == 0);

	struct tm_saved *v;
	size_t n;
	char err[256];
	TM_CHECK(&st, tm_state_load(state, &v, &n, err, sizeof(err)) == 0);
	TM_CHECK(&st, n == 1);
	if (n == 1) {
		TM_STREQ(&st, v[0].path, log);
		TM_CHECK(&st, v[0].has_pos && v[0].off == 37 && v[0].line == 2);   /* after "1.25 s\n" */
		TM_CHECK(&st, v[0].run.nsteps == 2);
		TM_NEAR(&st, tm_run_stepf(&v[0].run, 1, TM_SF_TIME_S), 1.25, 0);
		TM_CHECK(&st, isnan(tm_run_stepf(&v[0].run, 1, TM_SF_LOSS)));
		TM_CHECK(&st, isnan(tm_run_stepf(&v[0].run, 0, TM_SF_TS)) &&
				      tm_run_stepf(&v[0].run, 1, TM_SF_TS) == 1741684390.25);
		TM_CHECK(&st, v[0].run.first_ts == 1741684380.5 && v[0].run.last_ts == 1741684391);
		TM_STREQ(&st, v[0].framework, "t");
		TM_CHECK(&st, v[0].run.nevents == 1 && v[0].run.event_counts[TM_EV_CUDA_OOM] == 1);
		TM_STREQ(&st, v[0].run.events[0].message, "CUDA out of memory. \"q\" \xff");
		TM_CHECK(&st, v[0].alerts.low_mfu.firing == 1 && v[0].alerts.failure_fired[TM_EV_CUDA_OOM] == 1);
		TM_CHECK(&st, v[0].alerts.step_cursor == 2);
		TM_CHECK(&st, v[0].marker_len == 32);
	}
	tm_state_free(v, n);

	/* flip one byte: the checksum rejects the whole file */
	f = fopen(state, "r+");
	fseek(f, 30, SEEK_SET);
	int ch = fgetc(f);
	fseek(f, 30, SEEK_SET);
	fputc(ch ^ 1, f);
	fclose(f);
	TM_CHECK(&st, tm_state_load(state, &v, &n, err, sizeof(err)) == -1);
	TM_CHECK(&st, strstr(err, "checksum") != NULL);
	/* cut short */
	TM_CHECK(&st, truncate(state, 40) == 0);
	TM_CHECK(&st, tm_state_load(state, &v, &n, err, sizeof(err)) == -1);
	/* missing: no state, no error */
	unlink(state);
	TM_CHECK(&st, tm_state_load(state, &v, &n, err, sizeof(err)) == 0 && n == 0);

	tm_tail_release(&t);
	tm_diag_release(&d);
	tm_ruleset_release(&rs);
	unlink(log);
	rmdir(dir);
	return tm_test_done(&st, "test_state");
}

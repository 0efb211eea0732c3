/* test_state_chains.c: the chains' counters in the state file (src/state.c, version 4). They
 * round-trip bit for bit (a bucket never known stays unknown); a version 3 file (written before
 * chains were kept) still loads, with none; a chain record in a version 3 file, or a malformed
 * one, makes the file corrupt as a whole. The phase records of version 4 are tested through the
 * daemon (tests/chains/watch_issue10.sh: the restarted daemon's checkpoint_save comes from them). */
#include <inttypes.h>
#include <math.h>
#include <unistd.h>

#include "tm_test.h"
#include "tm_test_state.h"
#include "trainmon/state.h"

static int same(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }

/* Writes body (checksummed) to path and loads it: tm_state_load_with's status. */
static int load_body(const char *path, const char *body, struct tm_saved **v, size_t *n, struct tm_state_extra *y)
{
	char err[256];
	if (tm_test_write_checksummed(path, body, strlen(body)) != 0)
		return -99;
	return tm_state_load_with(path, v, n, y, err, sizeof(err));
}

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	char dir[] = "/tmp/tm_chains_XXXXXX", state[64];
	if (!mkdtemp(dir) || snprintf(state, sizeof(state), "%s/state", dir) < 0)
		return 77;
	char n1[] = "slurm-101", n2[] = "run \"a\" b";
	struct tm_chain_counters c[2] = {
		{ .name = n1, .bucket = { 1990, 49.99979, 60.00021, 30, 0, 230, 2700, 0, 0 }, .tokens = 2086666240,
		  .interruptions = { 0, 0, 1, 0, 0, 0, 0, 0 }, .segments = 2, .recurrence = 1 },
		{ .name = n2, .bucket = { 0.1, NAN, 0, 0, 0, 0, NAN, NAN, NAN }, .tokens = NAN,
		  .interruptions = { 3, 0, 0, 0, 7, 0, 0, 1 } },
	};
	struct tm_state_extra x = { .chains = c, .nchains = 2 }, y;
	TM_CHECK(&st, tm_state_save_with(state, NULL, 0, &x) == 0);
	struct tm_saved *v;
	size_t n;
	char err[256];
	TM_CHECK(&st, tm_state_load_with(state, &v, &n, &y, err, sizeof(err)) == 0 && n == 0 && y.nchains == 2);
	for (size_t i = 0; i < y.nchains && i < 2; i++) {
		TM_STREQ(&st, y.chains[i].name, c[i].name);
		int eq = same(y.chains[i].tokens, c[i].tokens);
		for (int b = 0; b < TM_B_N; b++)
			eq &= same(y.chains[i].bucket[b], c[i].bucket[b]);
		for (int k = 0; k < TM_IC_N; k++)
			eq &= y.chains[i].interruptions[k] == c[i].interruptions[k];
		TM_CHECK(&st, eq);
		TM_CHECK(&st, y.chains[i].segments == 0 && y.chains[i].recurrence == 0);   /* gauges: not saved */
	}
	tm_state_extra_release(&y);
	tm_state_free(v, n);

	char buf[4096];
	tm_test_read(state, buf, sizeof(buf));
	TM_CHECK(&st, strstr(buf, "trainmon-state 4\nchain ") == buf);
	/* a version 3 file: no chain records; one there is not something version 3 wrote */
	TM_CHECK(&st, load_body(state, "trainmon-state 3\n", &v, &n, &y) == 0 && n == 0 && y.nchains == 0);
	tm_state_free(v, n);
	static const char chain[] = "chain 61 1 2 3 4 5 6 7 8 9 10 0 0 0 0 0 0 0 0\n";
	static const char phase[] = "tail 61\nrun - 1 0 nan -2 0\nphase 0 1000 nan nan 30 7 3 1\nend\n";
	char body[512];
	snprintf(body, sizeof(body), "trainmon-state 3\n%s", chain);
	TM_CHECK(&st, load_body(state, body, &v, &n, &y) == -1 && y.nchains == 0);
	/* a phase record in a version 3 file, likewise */
	snprintf(body, sizeof(body), "trainmon-state 3\n%s", phase);
	TM_CHECK(&st, load_body(state, body, &v, &n, &y) == -1);
	/* version 4: the phase loads; a chain record a field short, or with an empty name, does not */
	snprintf(body, sizeof(body), "trainmon-state 4\n%s", phase);
	TM_CHECK(&st, load_body(state, body, &v, &n, &y) == 0 && n == 1 && v[0].run.nphases == 1 &&
		      v[0].run.phases[0].kind == TM_PH_CKPT_SAVE && v[0].run.phases[0].step == 1000 &&
		      v[0].run.phases[0].duration_s == 30 && v[0].run.phases[0].line == 7 && v[0].run.phases[0].closed);
	tm_state_free(v, n);
	TM_CHECK(&st, load_body(state, "trainmon-state 4\nchain 61 1 2 3 4 5 6 7 8 9 10 0 0 0 0 0 0 0\n", &v, &n, &y) == -1 &&
		      y.nchains == 0);
	TM_CHECK(&st, load_body(state, "trainmon-state 4\nchain - 1 2 3 4 5 6 7 8 9 10 0 0 0 0 0 0 0 0\n", &v, &n, &y) == -1 &&
		      y.nchains == 0);
	unlink(state);
	rmdir(dir);
	return tm_test_done(&st, "test_state_chains");
}

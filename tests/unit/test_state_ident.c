/* test_state_ident.c: the file identity in the state file (src/state.c, src/tail.c). A saved
 * position carries the head and window hashes (version 2); a version 1 file still loads, with
 * the identity unknown; and resuming checks the identity, not only the last bytes: a rewritten
 * file whose bytes before the offset are the same is read from 0. */
#include <inttypes.h>
#include <unistd.h>

#include "tm_test.h"
#include "tm_test_state.h"
#include "trainmon/state.h"

/* A version 3 state file's line as version 1 would have written it (no identity fields, no
 * incident records). */
static int to_v1(char *line)
{
	tm_test_state_cut(line, "pos ", 6);       /* pos DEV INO OFF LINE MARKER */
	return tm_test_state_before(line, '1');
}

static void write_lines(const char *path, const char *mode, const char *tag, int from, int to)
{
	FILE *f = fopen(path, mode);
	for (int i = from; i <= to; i++)
		fprintf(f, "%s step %06d took 1.5 s | the same last bytes on every line |\n", tag, i);
	fclose(f);
}

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	char dir[] = "/tmp/tm_ident_XXXXXX", log[64], state[64];
	if (tm_test_state_dir(dir, log, state) < 0)
		return 77;
	write_lines(log, "w", "a", 1, 200);         /* 200 lines of 63 bytes: 12600 bytes */

	static const char pack[] = "framework: t\ndetect: 'took'\nrules:\n"
		"  - name: s\n    record: step\n    regex: 'step (?<step>\\d+) took (?<step_time_s>[0-9.]+) s'\n"
		"    samples: {match: ['a step 1 took 1.5 s']}\n";
	struct tm_ruleset rs;
	struct tm_diag d;
	tm_ruleset_init(&rs);
	tm_diag_init(&d);
	tm_ruleset_load_buf(&rs, "t.yaml", pack, sizeof(pack) - 1, &d);
	tm_ruleset_finish(&rs, &d);
	struct tm_tail t;
	struct tm_saved *v;
	size_t n;
	char err[256];
	TM_CHECK(&st, tm_test_state_roundtrip(&t, log, &rs, state, &v, &n) == 0);
	TM_CHECK(&st, t.feed.run.nsteps == 200);
	struct tm_saved s2 = n == 1 ? v[0] : (struct tm_saved){ 0 };
	TM_CHECK(&st, s2.off == 12600 && s2.marker_len == TM_MARKER_LEN);
	TM_CHECK(&st, s2.ident.head_len == TM_IDENT_HEAD && s2.ident.win_len == TM_IDENT_WIN);
	TM_CHECK(&st, s2.ident.head_hash != s2.ident.win_hash);

	/* the same file: resumed at the offset */
	struct tm_tail u;
	tm_tail_init(&u, log, &rs, 0, 1000);
	TM_CHECK(&st, tm_tail_resume_ident(&u, s2.dev, s2.ino, s2.off, s2.line, s2.marker, s2.marker_len,
					   &s2.ident, 2) == 0);
	tm_tail_release(&u);
	/* rewritten in place with other lines of the same length and the same last bytes: the
	 * marker matches, the identity does not */
	write_lines(log, "r+", "b", 1, 200);
	tm_tail_init(&u, log, &rs, 0, 1000);
	TM_CHECK(&st, tm_tail_resume(&u, s2.dev, s2.ino, s2.off, s2.line, s2.marker, s2.marker_len, 2) == 0);
	tm_tail_release(&u);
	tm_tail_init(&u, log, &rs, 0, 1000);
	TM_CHECK(&st, tm_tail_resume_ident(&u, s2.dev, s2.ino, s2.off, s2.line, s2.marker, s2.marker_len,
					   &s2.ident, 2) == 1);
	TM_CHECK(&st, u.st.truncations == 1);
	tm_tail_release(&u);
	tm_state_free(v, n);

	/* a version 1 file loads; its identity is unknown and only the marker is checked */
	TM_CHECK(&st, tm_test_state_rewrite(state, to_v1) == 0);
	TM_CHECK(&st, tm_state_load(state, &v, &n, err, sizeof(err)) == 0 && n == 1);
	if (n == 1) {
		TM_CHECK(&st, v[0].has_pos && v[0].off == 12600 && v[0].marker_len == TM_MARKER_LEN);
		TM_CHECK(&st, v[0].ident.head_len == 0 && v[0].ident.win_len == 0 && !v[0].ident.has_btime);
		TM_CHECK(&st, v[0].run.nsteps == 200);
	}
	tm_state_free(v, n);

	tm_tail_release(&t);
	tm_diag_release(&d);
	tm_ruleset_release(&rs);
	tm_test_state_cleanup(dir, log, state);
	return tm_test_done(&st, "test_state_ident");
}

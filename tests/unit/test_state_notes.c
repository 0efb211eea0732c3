/* test_state_notes.c: notifications in the state file (src/state.c, version 3). Pending webhook
 * POSTs and active Alertmanager alerts round-trip bit for bit beside no file at all; a version 2
 * file (written before notifications were kept) still loads, with none; a note record in a
 * version 2 file, or a malformed one, makes the file corrupt as a whole. */
#include <inttypes.h>
#include <unistd.h>

#include "tm_test.h"
#include "tm_test_state.h"
#include "trainmon/state.h"

/* Rewrites path: header line replaced, lines starting with drop removed, checksum recomputed. */
static int forge(const char *path, const char *header, const char *drop)
{
	char body[65536], out[65536];
	tm_test_read(path, body, sizeof(body));
	size_t o = 0;
	char *save = NULL;
	int first = 1;
	for (char *line = strtok_r(body, "\n", &save); line; line = strtok_r(NULL, "\n", &save), first = 0) {
		if (strncmp(line, "checksum ", 9) == 0)
			break;
		if (drop && strncmp(line, drop, strlen(drop)) == 0)
			continue;
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s\n", first ? header : line);
	}
	return tm_test_write_checksummed(path, out, o);
}

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	char dir[] = "/tmp/tm_notes_XXXXXX", state[64];
	if (!mkdtemp(dir) || snprintf(state, sizeof(state), "%s/state", dir) < 0)
		return 77;
	char sink[] = "https://hooks.example.com", am[] = "http://am:9093#2";
	char id1[] = "trainmon-00ff", run[] = "/logs/a b/run.out", body1[] = "{\"text\":\"x\\ny \\\"q\\\"\"}";
	char none[] = "", alert[] = "trainmon_failure/nccl_timeout";
	char id2[] = "{\"alertname\":\"trainmon_failure\",\"run\":\"run\"}", body2[] = "{\"summary\":\"s\"}";
	struct tm_state_note notes[] = {
		{ .sink = sink, .am = 0, .id = id1, .run = run, .alert = none, .body = body1, .starts_ms = 1796539611317, .attempts = 7 },
		{ .sink = am, .am = 1, .id = id2, .run = run, .alert = alert, .body = body2, .starts_ms = 1796539611000,
		  .ends_ms = 0, .hold_ms = 1796543211000, .attempts = 0 },
	};
	struct tm_state_extra x = { notes, 2 };
	TM_CHECK(&st, tm_state_save_with(state, NULL, 0, &x) == 0);

	struct tm_saved *v;
	size_t n;
	char err[256];
	struct tm_state_extra y;
	TM_CHECK(&st, tm_state_load_with(state, &v, &n, &y, err, sizeof(err)) == 0 && n == 0);
	TM_CHECK(&st, y.nnotes == 2);
	if (y.nnotes == 2) {
		TM_STREQ(&st, y.notes[0].sink, sink);
		TM_CHECK(&st, y.notes[0].am == 0 && y.notes[1].am == 1);
		TM_STREQ(&st, y.notes[0].id, id1);
		TM_STREQ(&st, y.notes[0].run, run);
		TM_STREQ(&st, y.notes[0].body, body1);
		TM_CHECK(&st, y.notes[0].starts_ms == 1796539611317 && y.notes[0].attempts == 7);
		TM_STREQ(&st, y.notes[1].id, id2);
		TM_STREQ(&st, y.notes[0].alert, "");
		TM_STREQ(&st, y.notes[1].alert, alert);
		TM_STREQ(&st, y.notes[1].body, body2);
		TM_CHECK(&st, y.notes[1].ends_ms == 0 && y.notes[1].hold_ms == 1796543211000);
	}
	tm_state_extra_release(&y);
	tm_state_free(v, n);
	/* the plain reader skips them */
	TM_CHECK(&st, tm_state_load(state, &v, &n, err, sizeof(err)) == 0 && n == 0);
	tm_state_free(v, n);

	/* a note in a version 2 file: not something version 2 wrote */
	TM_CHECK(&st, forge(state, "trainmon-state 2", NULL) == 0);
	TM_CHECK(&st, tm_state_load_with(state, &v, &n, &y, err, sizeof(err)) == -1 && y.nnotes == 0);
	/* a version 2 file as it was written: loads, no notifications */
	TM_CHECK(&st, forge(state, "trainmon-state 2", "note ") == 0);
	TM_CHECK(&st, tm_state_load_with(state, &v, &n, &y, err, sizeof(err)) == 0 && n == 0 && y.nnotes == 0);
	tm_state_free(v, n);
	/* the file as written: the notes follow the header; a malformed note (a field missing) */
	TM_CHECK(&st, tm_state_save_with(state, NULL, 0, &x) == 0);
	char buf[4096];
	tm_test_read(state, buf, sizeof(buf));
	TM_CHECK(&st, strstr(buf, "trainmon-state 4\nnote ") == buf);
	static const char bad[] = "trainmon-state 3\nnote 61 0 62 63 - 64 1 0 0\n";
	TM_CHECK(&st, tm_test_write_checksummed(state, bad, sizeof(bad) - 1) == 0);
	TM_CHECK(&st, tm_state_load_with(state, &v, &n, &y, err, sizeof(err)) == -1 && y.nnotes == 0);
	unlink(state);
	rmdir(dir);
	return tm_test_done(&st, "test_state_notes");
}

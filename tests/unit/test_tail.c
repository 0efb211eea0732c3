/* test_tail.c: tail.c in-process, in a temp directory, with time moved by hand (no sleeps):
 * appends in pieces, a partial line held until its '\n', rename rotation (the old inode drained
 * until rotate_wait passes without growth, the new file read from 0), and copytruncate (caught,
 * the new content read from 0). Each case checks the exact sequence of lines handed out. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "tm_test.h"
#include "trainmon/tail.h"

struct seen {
	char text[2048];            /* every record, each followed by '|' */
	size_t n;
};

static int on_record(void *ctx, const struct tm_record *rec)
{
	struct seen *s = ctx;
	int k = snprintf(s->text + s->n, sizeof(s->text) - s->n, "%.*s|", (int)rec->len, rec->p);
	if (k > 0 && (size_t)k < sizeof(s->text) - s->n)
		s->n += (size_t)k;
	return 0;
}

static void put(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		abort();
}

static void take(struct seen *s, char *out, size_t n)
{
	snprintf(out, n, "%s", s->text);
	s->n = 0;
	s->text[0] = '\0';
}

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	char dir[] = "/tmp/tm_test_tail.XXXXXX";
	if (!mkdtemp(dir))
		return 77;
	char path[256], rotated[256], got[2048];
	snprintf(path, sizeof(path), "%s/train.log", dir);
	snprintf(rotated, sizeof(rotated), "%s/train.log.1", dir);
	struct tm_ruleset rs;
	struct tm_diag d;
	tm_ruleset_init(&rs);
	tm_diag_init(&d);
	tm_ruleset_finish(&rs, &d);
	struct seen seen = { .n = 0 };
	uint64_t now = 1000;           /* ms: the fake clock */

	struct tm_tail t;
	tm_tail_init(&t, path, &rs, 0, 5000);
	t.feed.trace = on_record;
	t.feed.trace_ctx = &seen;
	TM_CHECK(&st, tm_tail_sync(&t, now) == 0 && t.gone);   /* nothing there yet */

	/* append in one write, then a partial line held until its '\n' */
	int w = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	put(w, "one\ntwo\n");
	TM_CHECK(&st, tm_tail_sync(&t, now += 100) == 0);
	take(&seen, got, sizeof(got));
	TM_STREQ(&st, got, "one|two|");
	put(w, "thr");
	tm_tail_sync(&t, now += 100);
	take(&seen, got, sizeof(got));
	TM_STREQ(&st, got, "");
	put(w, "ee\nfo");
	tm_tail_sync(&t, now += 100);
	take(&seen, got, sizeof(got));
	TM_STREQ(&st, got, "three|");

	/* rename rotation: the writer still holds the old inode and finishes its line there */
	TM_CHECK(&st, rename(path, rotated) == 0);
	int w2 = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	put(w2, "new1\n");
	tm_tail_sync(&t, now += 100);
	take(&seen, got, sizeof(got));
	TM_STREQ(&st, got, "new1|");
	TM_CHECK(&st, t.nold == 1 && t.st.rotations == 1);
	put(w, "ur\nlate\n");                    /* through the old fd, after the rename */
	tm_tail_sync(&t, now += 4000);           /* within rotate_wait of the old inode's growth */
	take(&seen, got, sizeof(got));
	TM_STREQ(&st, got, "four|late|");
	TM_CHECK(&st, t.nold == 1);
	tm_tail_sync(&t, now += 4999);           /* no growth, not yet 5 s */
	TM_CHECK(&st, t.nold == 1);
	tm_tail_sync(&t, now += 1);              /* 5 s quiet: closed */
	TM_CHECK(&st, t.nold == 0);
	take(&seen, got, sizeof(got));
	TM_STREQ(&st, got, "");
	close(w);

	/* copytruncate: the content is copied away, the file cut to 0 and written again, here
	 * even past the old offset before we look: the marker catches it, the new text is read
	 * from 0 */
	put(w2, "new2\n");
	tm_tail_sync(&t, now += 100);
	take(&seen, got, sizeof(got));
	TM_STREQ(&st, got, "new2|");
	TM_CHECK(&st, ftruncate(w2, 0) == 0);
	put(w2, "after truncation, a longer line\n");
	uint64_t truncs = t.st.truncations;
	tm_tail_sync(&t, now += 100);
	take(&seen, got, sizeof(got));
	TM_STREQ(&st, got, "after truncation, a longer line|");
	TM_CHECK(&st, t.st.truncations == truncs + 1);
	close(w2);

	tm_tail_release(&t);
	tm_diag_release(&d);
	tm_ruleset_release(&rs);
	unlink(path);
	unlink(rotated);
	rmdir(dir);
	return tm_test_done(&st, "test_tail");
}

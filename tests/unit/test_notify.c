/* test_notify.c: the delivery queues (src/notify.c) without a receiver: destinations on a port
 * nothing listens on, the loop never run, so every request stays under way. An Alertmanager alert
 * keeps the labels it fired with when its resolve comes with more (a job id printed later); a
 * resolve of an alert never fired is ignored; a one-shot alert carries its hold; a full webhook
 * queue drops its oldest entry but the one being sent, and counts it; names show no path; the queues export as state
 * notes and import into a fresh engine, entries for unknown destinations dropped. */
#include <stdint.h>

#include "tm_test.h"
#include "trainmon/notify.h"

static void on_note(void *ctx, const char *msg)
{
	(*(int *)ctx)++;
	(void)msg;
}

static void alert(struct tm_notify *n, const char *name, int firing, int with_job, int one_shot, int64_t now)
{
	struct tm_notify_pair labels[] = { { "alertname", name }, { "run", "r" }, { "slurm_job_id", "42" } };
	struct tm_notify_pair ann[] = { { "summary", firing ? "fired" : "resolved" } };
	struct tm_notify_alert a = { .run = "/l/r.out", .alert = name, .firing = firing, .one_shot = one_shot,
				     .labels = labels, .nlabels = with_job ? 3 : 2, .annotations = ann,
				     .nannotations = 1, .json = "{\"j\":1}", .slack = "{\"text\":\"t\"}", .key = name };
	tm_notify_alert(n, &a, now);
}

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	struct tm_loop loop;
	if (tm_loop_init(&loop, NULL) < 0)
		return 77;
	struct tm_notify_opts o;
	tm_notify_opts_init(&o);
	tm_strv_push(&o.alertmanager, "http://127.0.0.1:1");
	tm_strv_push(&o.webhook, "http://127.0.0.1:1/hook/secret");
	o.queue_max = 4;
	struct tm_notify *n;
	char err[256];
	int notes = 0;
	TM_CHECK(&st, tm_notify_new(&n, &o, &loop, on_note, &notes, err, sizeof(err)) == 0 && n);
	if (!n)
		return tm_test_done(&st, "test_notify");
	TM_CHECK(&st, tm_notify_nsinks(n) == 2);
	struct tm_notify_stats s0, s1;
	tm_notify_get_stats(n, 0, &s0);
	tm_notify_get_stats(n, 1, &s1);
	TM_STREQ(&st, s0.name, "http://127.0.0.1:1");
	TM_STREQ(&st, s1.name, "http://127.0.0.1:1");   /* the path is never shown */
	TM_STREQ(&st, s0.kind, "alertmanager");

	alert(n, "trainmon_low_mfu", 1, 0, 0, 1000);     /* fired before the job id was known */
	alert(n, "trainmon_stall", 0, 1, 0, 1500);       /* never fired: nothing */
	alert(n, "trainmon_low_mfu", 0, 1, 0, 2000);     /* resolved, labels now with the job id */
	alert(n, "trainmon_failure/nccl_timeout", 1, 1, 1, 3000);
	alert(n, "w4", 1, 1, 0, 4000);
	alert(n, "w5", 1, 1, 0, 5000);                   /* the webhook queue (3) is full now... */
	struct tm_state_extra x;
	tm_notify_export(n, &x);
	size_t am = 0, wh = 0;
	for (size_t i = 0; i < x.nnotes; i++) {
		const struct tm_state_note *t = &x.notes[i];
		if (t->am) {
			am++;
			if (strcmp(t->alert, "trainmon_low_mfu") == 0) {
				TM_CHECK(&st, strstr(t->id, "slurm_job_id") == NULL);   /* the labels it fired with */
				TM_CHECK(&st, t->starts_ms == 1000 && t->ends_ms == 2000 && t->hold_ms == 0);
			} else if (strcmp(t->alert, "trainmon_failure/nccl_timeout") == 0) {
				TM_CHECK(&st, t->ends_ms == 0 && t->hold_ms == 3000 + 3600 * 1000);
			}
		} else {
			wh++;
		}
	}
	TM_CHECK(&st, am == 4);                          /* low_mfu, the failure, w4, w5 */
	TM_CHECK(&st, wh == 4);
	tm_notify_get_stats(n, 1, &s1);
	TM_CHECK(&st, s1.dropped == 2 && s1.queued == 4);   /* 6 transitions (webhooks get them all), 4 kept */
	/* ...and the head (under way) stays: the first low_mfu POST, then the newest */
	const char *heads[4] = { NULL, NULL, NULL, NULL };
	for (size_t i = 0, k = 0; i < x.nnotes; i++)
		if (!x.notes[i].am && k < 4)
			heads[k++] = x.notes[i].id;
	TM_STREQ(&st, heads[0], "trainmon_low_mfu");
	TM_STREQ(&st, heads[1], "trainmon_failure/nccl_timeout");
	TM_STREQ(&st, heads[2], "w4");
	TM_STREQ(&st, heads[3], "w5");

	/* a fresh engine with only the webhook takes its notes; the Alertmanager's are dropped */
	struct tm_state_extra y = { 0 };
	y.notes = calloc(x.nnotes, sizeof(*y.notes));
	for (size_t i = 0; i < x.nnotes; i++) {
		const struct tm_state_note *t = &x.notes[i];
		y.notes[y.nnotes++] = (struct tm_state_note){ .sink = strdup(t->sink), .am = t->am, .id = strdup(t->id),
			.run = strdup(t->run), .alert = strdup(t->alert), .body = strdup(t->body) };
	}
	free(x.notes);
	tm_notify_free(n);
	struct tm_notify_opts o2;
	tm_notify_opts_init(&o2);
	tm_strv_push(&o2.webhook, "http://127.0.0.1:1/hook/secret");
	notes = 0;
	TM_CHECK(&st, tm_notify_new(&n, &o2, &loop, on_note, &notes, err, sizeof(err)) == 0 && n);
	tm_notify_import(n, &y);
	tm_state_extra_release(&y);
	tm_notify_get_stats(n, 0, &s1);
	TM_CHECK(&st, s1.queued == 4 && notes == 1);   /* noted: 4 notes for a destination gone */
	tm_notify_free(n);
	tm_notify_opts_release(&o);
	tm_notify_opts_release(&o2);
	tm_loop_release(&loop);
	return tm_test_done(&st, "test_notify");
}

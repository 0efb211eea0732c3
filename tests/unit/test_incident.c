/* test_incident.c: events as incidents (src/run.c), fed through the engine with launcher
 * prefixes: the 8 lines of 4 crashed ranks are one incident (count 8, 4 ranks) even with other
 * kinds' lines between them; a step record or a long gap starts a new one; a rule's rank list,
 * host and code are kept; a running total of skipped steps counts each skipped step once. */
#include "tm_test.h"
#include "trainmon/engine.h"
#include "tm_test_pack.h"

static const char pack[] =
	"framework: x\ngeneric: true\nrules:\n"
	"  - name: it\n    record: step\n"
	"    regex: 'step (?<step>\\d+) skipped=(?<skipped_total>\\d+)'\n"
	"    samples: {match: ['step 3 skipped=0']}\n"
	"  - name: sig\n    record: event\n    kind: fatal_signal\n"
	"    regex: 'exitcode  : -6|Signal 6 \\(SIGABRT\\)'\n"
	"    samples: {match: ['  exitcode  : -6 (pid: 12)']}\n"
	"  - name: child\n    record: event\n    kind: child_failed\n    regex: 'ChildFailedError:'\n"
	"    samples: {match: ['ChildFailedError:']}\n"
	"  - name: task\n    record: event\n    kind: task_failed\n"
	"    regex: 'srun: error: (?<host>\\S+): tasks? (?<rank>[\\d,-]+): Aborted'\n"
	"    samples: {match: ['srun: error: n1: task 3: Aborted']}\n"
	"  - name: xid\n    record: event\n    kind: xid\n    regex: 'Xid \\(PCI:[^)]*\\): (?<code>\\d+),'\n"
	"    samples: {match: ['NVRM: Xid (PCI:0000:3b:00): 48, pid=1']}\n"
	"  - name: ovf\n    record: event\n    kind: skipped_step\n    severity: info\n    regex: 'OVERFLOW!'\n"
	"    samples: {match: ['OVERFLOW! Skipping step']}\n";

static struct tm_ruleset rs;

static void feed(struct tm_feed *f, const char *log)
{
	tm_feed_init(f, "x.log", &rs, 0);
	tm_feed_bytes(f, log, strlen(log), 1);
}

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	struct tm_diag d;
	TM_CHECK(&st, tm_test_pack(&rs, &d, pack) == 0);
	struct tm_feed f;

	/* 4 ranks, 2 lines each, a ChildFailedError between them: one fatal_signal incident */
	feed(&f, "step 1 skipped=0\n"
		 "[rank0]:  exitcode  : -6 (pid: 10)\n"
		 "[rank0]:  traceback : Signal 6 (SIGABRT) received by PID 10\n"
		 "[rank1]:  exitcode  : -6 (pid: 11)\n"
		 "ChildFailedError:\n"
		 "[rank1]:  traceback : Signal 6 (SIGABRT) received by PID 11\n"
		 "[rank2]:  exitcode  : -6 (pid: 12)\n"
		 "[rank2]:  traceback : Signal 6 (SIGABRT) received by PID 12\n"
		 "[rank3]:  exitcode  : -6 (pid: 13)\n"
		 "[rank3]:  traceback : Signal 6 (SIGABRT) received by PID 13\n");
	const struct tm_run *r = &f.run;
	TM_CHECK(&st, r->nevents == 2);
	TM_CHECK(&st, r->event_counts[TM_EV_FATAL_SIGNAL] == 8);
	TM_CHECK(&st, r->incident_counts[TM_EV_FATAL_SIGNAL] == 1);
	if (r->nevents == 2) {
		const struct tm_event *e = &r->events[0];
		TM_CHECK(&st, e->kind == TM_EV_FATAL_SIGNAL && e->count == 8 && e->nranks == 4);
		TM_CHECK(&st, e->line == 2 && e->last_line == 10 && e->rank == 0);
		for (unsigned k = 0; k < 4; k++)
			TM_CHECK(&st, tm_event_has_rank(e, k));
		TM_CHECK(&st, !tm_event_has_rank(e, 4));
		TM_CHECK(&st, r->events[1].kind == TM_EV_CHILD_FAILED && r->events[1].count == 1);
	}
	tm_feed_release(&f);

	/* a step between two lines of a kind, or 65 lines with neither a time: two incidents */
	feed(&f, "step 1 skipped=0\n  exitcode  : -6 (pid: 10)\nChildFailedError:\nstep 2 skipped=0\n"
		 "  exitcode  : -6 (pid: 11)\n");
	TM_CHECK(&st, f.run.incident_counts[TM_EV_FATAL_SIGNAL] == 2 && f.run.nevents == 3);
	tm_feed_release(&f);
	{
		char log[4096];
		size_t n = (size_t)snprintf(log, sizeof(log), "  exitcode  : -6 (pid: 10)\nChildFailedError:\n");
		for (int i = 0; i < 70; i++)
			n += (size_t)snprintf(log + n, sizeof(log) - n, "noise %d\n", i);
		snprintf(log + n, sizeof(log) - n, "  exitcode  : -6 (pid: 11)\n");
		feed(&f, log);
		TM_CHECK(&st, f.run.incident_counts[TM_EV_FATAL_SIGNAL] == 2);
		tm_feed_release(&f);
	}
	/* with times: 10 minutes apart is two incidents, 10 s apart one */
	feed(&f, "2025-01-02T03:00:00Z   exitcode  : -6 (pid: 10)\n2025-01-02T03:00:01Z ChildFailedError:\n"
		 "2025-01-02T03:10:00Z   exitcode  : -6 (pid: 11)\n2025-01-02T03:10:02Z ChildFailedError:\n"
		 "2025-01-02T03:10:10Z   exitcode  : -6 (pid: 12)\n");
	TM_CHECK(&st, f.run.incident_counts[TM_EV_FATAL_SIGNAL] == 2);
	if (f.run.nevents >= 3) {
		TM_NEAR(&st, f.run.events[0].ts, 1735786800.0, 0);
		TM_CHECK(&st, f.run.events[2].count == 2);
		TM_NEAR(&st, f.run.events[2].last_ts, 1735787410.0, 0);
	}
	tm_feed_release(&f);

	/* a rule's rank list, host and code */
	feed(&f, "srun: error: nid001234: tasks 0-3,8: Aborted\nsrun: error: nid001235: task 9: Aborted\n"
		 "NVRM: Xid (PCI:0000:3b:00): 48, pid=1\n");
	if (f.run.nevents == 2) {
		const struct tm_event *e = &f.run.events[0];
		TM_CHECK(&st, e->nranks == 6 && tm_event_has_rank(e, 8) && tm_event_has_rank(e, 9) && !tm_event_has_rank(e, 4));
		TM_STREQ(&st, e->host, "nid001234");
		TM_CHECK(&st, e->nhosts == 2);                 /* a second host named */
		TM_CHECK(&st, f.run.events[1].code == 48 && f.run.events[1].nranks == 0);
	} else {
		TM_CHECK(&st, !"two events");
	}
	tm_feed_release(&f);

	/* a syslog/journald prefix names the host when the rule does not */
	feed(&f, "Dec  6 02:35:25 nid001299 python[4112]:   exitcode  : -6 (pid: 10)\n"
		 "2025-01-02T03:04:05+0000 nid001300 python[4113]:   exitcode  : -6 (pid: 11)\n");
	if (f.run.nevents == 1) {
		TM_STREQ(&st, f.run.events[0].host, "nid001299");
		TM_CHECK(&st, f.run.events[0].nhosts == 2);
	} else {
		TM_CHECK(&st, !"one event");
	}
	tm_feed_release(&f);

	/* skipped steps: a running total, OVERFLOW lines counted once */
	feed(&f, "step 10 skipped=0\nOVERFLOW!\nOVERFLOW!\nstep 20 skipped=2\n"   /* 2 seen: nothing new */
		 "step 30 skipped=5\n"                                                  /* 3 more, unseen */
		 "step 40 skipped=5\n");
	TM_NEAR(&st, f.run.skipped_steps, 5, 0);
	TM_CHECK(&st, f.run.event_counts[TM_EV_SKIPPED_STEP] == 3);     /* 2 OVERFLOW lines + 1 delta line */
	tm_feed_release(&f);
	feed(&f, "step 10 skipped=4\nstep 20 skipped=1\nstep 30 skipped=3\n");     /* a restart: new baseline */
	TM_NEAR(&st, f.run.skipped_steps, 6, 0);
	tm_feed_release(&f);

	tm_ruleset_release(&rs);
	tm_diag_release(&d);
	return tm_test_done(&st, "test_incident");
}

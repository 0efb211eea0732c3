/* metrics.c: Prometheus exposition of the daemon's runs and of itself (see metrics.h).
 *
 * Nothing is stored twice: every scrape renders from the live runs, so a value can never be stale
 * or disagree with `analyze`. Names and units follow Prometheus conventions (base units, `_total`
 * for counters, ratios not percents); labels are run (file stem, or a pod log's namespace/pod/
 * container, runkey.h), file, framework, chain, slurm_job_id, a pod's namespace, pod and container,
 * never job or instance, which Prometheus sets. Label values are made valid UTF-8 (a path may hold
 * any bytes; one bad byte would fail the whole scrape). A run that ended leaves after --expire
 * seconds. libmicrohttpd runs without threads: its epoll fd sits in the owner's tm_loop, and a loop
 * timer armed from MHD_get_timeout() covers the work MHD cannot signal through that fd. We accept
 * connections ourselves and enforce a deadline for each request header and a connection cap that
 * evicts the slowest (slowloris), and keep parked fds so a scrape gets in at the open-file limit;
 * with no fd at all accept rests rather than spins (see tm_metrics_new). Runs and counters come
 * from the owner's read-only tm_metrics_view. Must not: block, keep a copy of run values or a
 * pointer the view handed out, or let a client stop the daemon or lock scrapes out.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "trainmon/json.h"
#include "trainmon/labels.h"
#include "trainmon/metrics.h"
#include "trainmon/runkey.h"
#include "trainmon/xalloc.h"
#include "dynlib.h"
#include "metrics_int.h"
#include "banned.h"

#define SPARE_FDS 4                /* fds parked for accept() and the textfile at the fd limit */
#define ACCEPT_BURST 64            /* connections accepted per readable event */
#define ACCEPT_PAUSE_MS 1000       /* ms: accept rests this long when no fd is left at all */
#define CUT_GRACE_MS 100           /* ms a connection has for its header before the cap may cut it */
#define CAP_WAIT_MS 20             /* ms accept rests at the cap when no connection can be cut yet */

struct conn {                      /* one connection MHD holds, in the order they came */
	struct MHD_Connection *c;  /* borrowed from MHD: valid until its CLOSED notification */
	int fd;                    /* borrowed from MHD (it closes it) */
	uint64_t deadline_ms;      /* ms, loop clock: the request header must be in by then; 0 = it is */
	uint64_t waiting_ms;       /* ms, loop clock: since when it waits for that header */
	int cut;                   /* shut down by us; MHD closes it on its next pass */
	struct conn *prev, *next;  /* the list in struct tm_metrics */
};

struct tm_metrics {
	struct tm_metrics_cfg cfg; /* its strings borrowed from the owner's config */
	struct tm_metrics_view view; /* the owner's runs and counters, read-only */
	struct tm_loop *loop;      /* borrowed; NULL without --listen */
	struct MHD_Daemon *http;   /* owned, NULL without --listen */
	int http_epfd;             /* MHD's epoll fd (MHD owns it), registered in loop; -1 none */
	uint64_t timer;            /* loop timer: fires when MHD_get_timeout() says MHD has work; 0 none */
	uint64_t now_ms;           /* ms, loop clock: of the last tick or request */
	double start_s;            /* s, Unix time the metrics started (trainmon_start_time_seconds) */
	int listen_fd;             /* owned; we accept and hand sockets to MHD; -1 none */
	int accepting;             /* listen_fd is in the loop (0 while accept rests: fd limit, cap) */
	uint64_t accept_timer;     /* loop timer ending that rest; 0 none */
	int spare[SPARE_FDS];      /* owned, -1 when used: parked /dev/null fds (see fill_spares) */
	struct conn *head, *tail;  /* owned: MHD's connections, oldest first */
	size_t nconns, ncut;       /* in the list; of them shut down by us and not closed yet */
	uint64_t scrapes, http_errors, slow_clients;
	uint64_t fd_note_due_ms;   /* ms, loop clock: the accept fd-limit note waits until then */
	uint64_t textfile_ms;      /* ms, CLOCK_MONOTONIC: last textfile write */
	int textfile_failing;      /* the textfile error was reported; reset on success */
	char *static_labels;       /* owned: --label and `labels:` as `k="v",...`, escaped; NULL none */
};

/* ---- rendering ---- */

/* Length of the valid UTF-8 sequence at p (1-4), or 0 when p does not start one (RFC 3629:
 * no overlongs, no surrogates, nothing above U+10FFFF). */
static size_t utf8_len(const unsigned char *p)
{
	unsigned char c = p[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
		return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
		return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

/* A label value in the exposition format: \\, \" and \n escaped, every byte that is not part
 * of valid UTF-8 replaced by U+FFFD (Prometheus rejects the whole scrape otherwise). The checks in
 * utf8_len() stop at the NUL terminator, so they never read past the string. */
void tm__metrics_label_value(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = utf8_len(p);
		if (n == 0) {
			fputs("\xef\xbf\xbd", f);
			p++;
		} else if (*p == '\\' || *p == '"') {
			fputc('\\', f), fputc(*p++, f);
		} else if (*p == '\n') {
			fputs("\\n", f);
			p++;
		} else {
			fwrite(p, 1, n, f);
			p += n;
		}
	}
}

/* label="value" for a slice of a path */
static void slice_label(FILE *f, const char *name, const char *p, size_t n)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "%.*s", (int)(n < 500 ? n : 500), p);
	fprintf(f, ",%s=\"", name);
	tm__metrics_label_value(f, buf);
	fputs("\"", f);
}

static void run_labels(FILE *f, const struct tm_metrics_file *w)
{
	const char *path = w->tail->path;
	char run[512];
	tm_run_name(path, run, sizeof(run));
	fputs("run=\"", f);
	tm__metrics_label_value(f, run);
	fputs("\",file=\"", f);
	tm__metrics_label_value(f, path);
	fputs("\",framework=\"", f);
	tm__metrics_label_value(f, w->sum->framework ? w->sum->framework : "");
	fputs("\"", f);
	if (w->chain) {
		fputs(",chain=\"", f);
		tm__metrics_label_value(f, w->chain);
		fputs("\"", f);
	}
	if (w->tail->feed.run.sparams[TM_P_SLURM_JOB_ID]) {
		fputs(",slurm_job_id=\"", f);
		tm__metrics_label_value(f, w->tail->feed.run.sparams[TM_P_SLURM_JOB_ID]);
		fputs("\"", f);
	}
	struct tm_podlog pl;
	if (tm_podlog_parse(path, &pl)) {
		slice_label(f, "namespace", pl.ns, pl.ns_len);
		slice_label(f, "pod", pl.pod, pl.pod_len);
		slice_label(f, "container", pl.container, pl.container_len);
	}
}

/* --alertmanager and --webhook: each destination by its redacted name (never its URL's path). */
static void notify_series(FILE *f, const struct tm_notify *n)
{
	size_t ns = tm_notify_nsinks(n);
	if (!ns)
		return;
	fputs("# HELP trainmon_notifications_total Alert notifications by destination and result: delivered, resent "
	      "(Alertmanager re-posts), retried (failed attempts, retried later), rejected (refused with a 4xx), dropped "
	      "(queue full).\n# TYPE trainmon_notifications_total counter\n", f);
	for (size_t i = 0; i < ns; i++) {
		struct tm_notify_stats st;
		tm_notify_get_stats(n, i, &st);
		const struct { const char *r; uint64_t v; } res[] = { { "delivered", st.delivered }, { "resent", st.resent },
			{ "retried", st.retried }, { "rejected", st.rejected }, { "dropped", st.dropped } };
		for (size_t k = 0; k < sizeof(res) / sizeof(res[0]); k++) {
			fputs("trainmon_notifications_total{sink=\"", f);
			tm__metrics_label_value(f, st.name);
			fprintf(f, "\",kind=\"%s\",result=\"%s\"} %llu\n", st.kind, res[k].r, (unsigned long long)res[k].v);
		}
	}
	fputs("# HELP trainmon_notification_queue_length Notifications waiting for delivery (Alertmanager: its active "
	      "alerts).\n# TYPE trainmon_notification_queue_length gauge\n", f);
	for (size_t i = 0; i < ns; i++) {
		struct tm_notify_stats st;
		tm_notify_get_stats(n, i, &st);
		fputs("trainmon_notification_queue_length{sink=\"", f);
		tm__metrics_label_value(f, st.name);
		fprintf(f, "\",kind=\"%s\"} %zu\n", st.kind, st.queued);
	}
}

static void sample(FILE *f, const char *name, const struct tm_metrics_file *w, const char *extra, double v)
{
	if (isnan(v))
		return;                  /* unknown: no sample, rather than a made-up number */
	char num[40];
	tm_fmt_num(num, sizeof(num), v);
	if (isinf(v))
		snprintf(num, sizeof(num), v > 0 ? "+Inf" : "-Inf");
	fprintf(f, "%s{", name);
	run_labels(f, w);
	if (extra)
		fprintf(f, ",%s", extra);
	fprintf(f, "} %s\n", num);
}

static int live(const struct tm_metrics *m, const struct tm_metrics_file *w)
{
	double exp = m->cfg.expire_s;
	return !w->ended_ms || m->now_ms < w->ended_ms || (double)(m->now_ms - w->ended_ms) < exp * 1000;
}

static double wall_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One sample per event kind with a non-zero count. */
static void by_kind(FILE *f, const char *name, const struct tm_metrics_file *w, const uint64_t *counts)
{
	for (int k = 0; k < TM_EV_N; k++) {
		char lab[64];
		snprintf(lab, sizeof(lab), "kind=\"%s\"", tm_event_kind_name(k));
		if (counts[k])
			sample(f, name, w, lab, (double)counts[k]);
	}
}

struct family {
	const char *name, *type, *help;
};

static void header(FILE *f, const struct family *fam)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", fam->name, fam->help, fam->name, fam->type);
}

enum { F_STEP, F_STEPS, F_STEP_TIME, F_TPS, F_TPS_GPU, F_TOKENS, F_MFU, F_FLOPS, F_ETA, F_LOSS, F_EVENTS,
       F_ALERT, F_LAST_STEP, F_LAST_STEP_TS, F_INCIDENTS, F_BASELINE, F_DEVIATION, F_STRAGGLER, F_N };

static const struct family run_families[F_N] = {
	{ "trainmon_run_step", "gauge", "Last training step number the framework logged." },
	{ "trainmon_run_steps_total", "counter", "Distinct step records read for the run." },
	{ "trainmon_run_step_time_seconds", "gauge", "Seconds per optimizer step: the last one and the steady-state median." },
	{ "trainmon_run_tokens_per_second", "gauge", "Tokens per second of the whole job (global batch x sequence length / steady step time)." },
	{ "trainmon_run_tokens_per_second_per_gpu", "gauge", "Tokens per second per accelerator." },
	{ "trainmon_run_tokens_total", "counter", "Tokens processed so far (consumed samples x sequence length, or steps x tokens per step)." },
	{ "trainmon_run_mfu_ratio", "gauge", "Model FLOPs utilization: model FLOP/s per GPU over the accelerator's dense peak (0-1)." },
	{ "trainmon_run_flops_per_second_per_gpu", "gauge", "Achieved model FLOP/s per accelerator." },
	{ "trainmon_run_eta_seconds", "gauge", "Seconds left to the target token count at the steady-state rate." },
	{ "trainmon_run_loss", "gauge", "Last training loss logged." },
	{ "trainmon_run_events_total", "counter", "Failure and warning events found in the log, by kind." },
	{ "trainmon_run_alert_active", "gauge", "1 while an alert is firing for the run, by alert." },
	{ "trainmon_run_last_step_age_seconds", "gauge", "Seconds since the run's last new step arrived." },
	{ "trainmon_run_last_step_timestamp_seconds", "gauge", "Unix time when the run's last new step arrived." },
	{ "trainmon_run_incidents_total", "counter", "Incidents (a kind's lines that belong together: many ranks, one failure) found in the log, by kind." },
	{ "trainmon_run_step_time_baseline_seconds", "gauge", "The step-time level steps are judged against: the current regime's median, or the level before a step-time regression while it holds." },
	{ "trainmon_run_step_time_deviation_ratio", "gauge", "The rolling median step time over the baseline, minus 1." },
	{ "trainmon_run_straggler_ratio", "gauge", "The slowest rank of each of the last 4 per-rank reports (at most 4 ranks): its time over the reference rank's in the latest report that named it." },
};

static void render(struct tm_metrics *m, FILE *f)
{
	double wall = wall_s();
	size_t nfiles = m->view.nfiles(m->view.ctx);
	struct tm_metrics_totals tot;
	m->view.totals(m->view.ctx, &tot);
	fprintf(f, "# HELP trainmon_build_info trainmon version.\n# TYPE trainmon_build_info gauge\n"
		   "trainmon_build_info{version=\"%s\"} 1\n", TM_VERSION);
	if (tot.shard_count)
		fprintf(f, "# HELP trainmon_shard_info The share of files this daemon follows (--shard I/N): shard I "
			   "of N.\n# TYPE trainmon_shard_info gauge\ntrainmon_shard_info{shard=\"%u\",shards=\"%u\"} 1\n",
			tot.shard_index, tot.shard_count);
	for (int fam = 0; fam < F_N; fam++) {
		header(f, &run_families[fam]);
		for (size_t i = 0; i < nfiles; i++) {
			struct tm_metrics_file file;
			m->view.file(m->view.ctx, i, &file);
			const struct tm_metrics_file *w = &file;
			const struct tm_run *r = &w->tail->feed.run;
			const struct tm_summary *s = w->sum;
			if (!live(m, w))
				continue;
			switch (fam) {
			case F_STEP: sample(f, "trainmon_run_step", w, NULL, s->steps ? s->last_step : NAN); break;
			case F_STEPS: sample(f, "trainmon_run_steps_total", w, NULL, (double)(r->nsteps + r->steps_dropped)); break;   /* a counter: trimmed steps still count */
			case F_STEP_TIME:
				sample(f, "trainmon_run_step_time_seconds", w, "stat=\"last\"", s->st.last);
				sample(f, "trainmon_run_step_time_seconds", w, "stat=\"median\"", s->st.median);
				break;
			case F_TPS: sample(f, "trainmon_run_tokens_per_second", w, NULL, s->tokens_per_s.v); break;
			case F_TPS_GPU: sample(f, "trainmon_run_tokens_per_second_per_gpu", w, NULL, s->tokens_per_s_per_gpu.v); break;
			case F_TOKENS: sample(f, "trainmon_run_tokens_total", w, NULL, s->tokens_done.v); break;
			case F_MFU: sample(f, "trainmon_run_mfu_ratio", w, NULL, s->mfu.v); break;
			case F_FLOPS:
				sample(f, "trainmon_run_flops_per_second_per_gpu", w, NULL,
				       isnan(s->tflops_per_gpu.v) ? NAN : s->tflops_per_gpu.v * 1e12);
				break;
			case F_ETA: sample(f, "trainmon_run_eta_seconds", w, NULL, s->eta_s.v); break;
			case F_LOSS:
				sample(f, "trainmon_run_loss", w, NULL,
				       r->nsteps ? tm_run_stepf(r, r->nsteps - 1, TM_SF_LOSS) : NAN);
				break;
			case F_EVENTS: by_kind(f, "trainmon_run_events_total", w, r->event_counts); break;
			case F_INCIDENTS: by_kind(f, "trainmon_run_incidents_total", w, r->incident_counts); break;
			case F_ALERT: {
				const struct tm_alerts *a = w->alerts;
				sample(f, "trainmon_run_alert_active", w, "alert=\"low_mfu\"", a->low_mfu.firing);
				sample(f, "trainmon_run_alert_active", w, "alert=\"throughput_drop\"", a->drop.firing);
				sample(f, "trainmon_run_alert_active", w, "alert=\"stall\"", a->stall.firing);
				int failing = 0;
				for (int k = 0; k < TM_EV_N; k++)
					failing |= a->failure_fired[k];
				sample(f, "trainmon_run_alert_active", w, "alert=\"failure\"", failing);
				sample(f, "trainmon_run_alert_active", w, "alert=\"ended\"", a->ended);
				sample(f, "trainmon_run_alert_active", w, "alert=\"finished\"", a->finished);
				sample(f, "trainmon_run_alert_active", w, "alert=\"step_time_regression\"", a->an.regress.regressed);
				sample(f, "trainmon_run_alert_active", w, "alert=\"straggler\"", a->an.straggler.firing);
				sample(f, "trainmon_run_alert_active", w, "alert=\"loss_spike\"", a->an.loss.episode);
				sample(f, "trainmon_run_alert_active", w, "alert=\"divergence\"", a->an.loss.diverged);
				sample(f, "trainmon_run_alert_active", w, "alert=\"grad_norm_spike\"", a->an.grad.episode);
				break;
			}
			case F_BASELINE:
				sample(f, "trainmon_run_step_time_baseline_seconds", w, NULL, tm_regress_baseline(&w->alerts->an.regress));
				break;
			case F_DEVIATION: {
				double b = tm_regress_baseline(&w->alerts->an.regress);
				sample(f, "trainmon_run_step_time_deviation_ratio", w, NULL, w->alerts->an.regress.median / b - 1);
				break;
			}
			case F_STRAGGLER:
				for (size_t k = 0; k < TM_STRAGGLER_GAUGES; k++) {
					char lab[32];
					int rank;
					double ratio;
					if (!tm_alerts_straggler_gauge(w->alerts, k, &rank, &ratio))
						continue;
					snprintf(lab, sizeof(lab), "rank=\"%d\"", rank);
					sample(f, "trainmon_run_straggler_ratio", w, lab, ratio);
				}
				break;
			case F_LAST_STEP:
				sample(f, "trainmon_run_last_step_age_seconds", w, NULL,
				       w->alerts->last_step_ms && m->now_ms >= w->alerts->last_step_ms
				       ? (double)(m->now_ms - w->alerts->last_step_ms) / 1000.0 : NAN);
				break;
			case F_LAST_STEP_TS:
				sample(f, "trainmon_run_last_step_timestamp_seconds", w, NULL,
				       w->alerts->last_step_ms && m->now_ms >= w->alerts->last_step_ms
				       ? wall - (double)(m->now_ms - w->alerts->last_step_ms) / 1000.0 : NAN);
				break;
			default:
				break;
			}
		}
	}
	/* about itself */
	/* counters never go down: released files' counts live on in the totals */
	uint64_t bytes = tot.released.bytes, trunc = tot.released_cut, rot = tot.released.rotations;
	uint64_t truncs = tot.released.truncations, rerr = tot.released.read_errors;
	for (size_t i = 0; i < nfiles; i++) {
		struct tm_metrics_file file;
		m->view.file(m->view.ctx, i, &file);
		const struct tm_tail *t = file.tail;
		bytes += t->st.bytes;
		rot += t->st.rotations;
		truncs += t->st.truncations;
		rerr += t->st.read_errors;
		trunc += t->cur.lines.truncated;
	}
	const struct { const char *name, *type, *help; double v; } self[] = {
		{ "trainmon_files_watched", "gauge", "Log files followed.", (double)nfiles },
		{ "trainmon_files_waiting", "gauge", "Followed files waiting for a file descriptor (open-file limit reached).", (double)tot.files_waiting },
		{ "trainmon_directories_watched", "gauge", "Directories watched or polled.", (double)tot.ndirs },
		{ "trainmon_read_bytes_total", "counter", "Bytes read from log files.", (double)bytes },
		{ "trainmon_lines_total", "counter", "Records (lines and progress-bar redraws) read.", (double)tot.lines },
		{ "trainmon_lines_truncated_total", "counter", "Lines longer than --line-max, cut.", (double)trunc },
		{ "trainmon_rotations_total", "counter", "Files replaced under a followed path (rotation, recreation).", (double)rot },
		{ "trainmon_truncations_total", "counter", "Followed files truncated in place.", (double)truncs },
		{ "trainmon_read_errors_total", "counter", "Failed reads of followed files.", (double)rerr },
		{ "trainmon_inotify_overflows_total", "counter", "inotify queue overflows (each followed by a full rescan).", (double)tot.overflows },
		{ "trainmon_alerts_total", "counter", "Alert transitions sent.", (double)tot.alerts },
		{ "trainmon_state_saves_total", "counter", "State file saves.", (double)tot.saves },
		{ "trainmon_state_save_errors_total", "counter", "Failed state file saves.", (double)tot.save_errors },
		{ "trainmon_reloads_total", "counter", "Successful SIGHUP reloads.", (double)tot.reloads },
		{ "trainmon_reload_errors_total", "counter", "Rejected SIGHUP reloads.", (double)tot.reload_errors },
		{ "trainmon_scrapes_total", "counter", "Metrics requests served.", (double)m->scrapes },
		{ "trainmon_http_errors_total", "counter", "HTTP requests answered with an error by trainmon (unknown path, method not allowed).", (double)m->http_errors },
		{ "trainmon_http_slow_clients_total", "counter", "HTTP connections closed for not sending a request header within --http-timeout, or to make room at --http-max-connections.", (double)m->slow_clients },
		{ "trainmon_start_time_seconds", "gauge", "Unix time the daemon started.", m->start_s },
	};
	for (size_t i = 0; i < sizeof(self) / sizeof(self[0]); i++)
		fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %.*f\n", self[i].name, self[i].help, self[i].name,
			self[i].type, self[i].name, self[i].v == (double)(uint64_t)self[i].v ? 0 : 3, self[i].v);
	/* the daemon's outputs: drops, write errors, queued bytes; --exec hooks */
	const struct { const char *name, *type, *help; size_t off; } sinkm[] = {
		{ "trainmon_sink_dropped_total", "counter", "Records (or alerts for exec) an output dropped: queue full, reader gone.",
		  offsetof(struct tm_metrics_sink, dropped) },
		{ "trainmon_sink_errors_total", "counter", "Write or open failures of an output (or hooks not started), each episode once.",
		  offsetof(struct tm_metrics_sink, errors) },
		{ "trainmon_sink_queued_bytes", "gauge", "Bytes waiting in an output's queue.",
		  offsetof(struct tm_metrics_sink, queued_bytes) },
	};
	for (size_t k = 0; k < sizeof(sinkm) / sizeof(sinkm[0]); k++) {
		fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", sinkm[k].name, sinkm[k].help, sinkm[k].name, sinkm[k].type);
		for (size_t i = 0; i < tot.nsinks; i++) {
			uint64_t v;
			memcpy(&v, (const char *)&tot.sinks[i] + sinkm[k].off, sizeof(v));
			fprintf(f, "%s{sink=\"%s\"} %llu\n", sinkm[k].name, tot.sinks[i].name, (unsigned long long)v);
		}
	}
	if (tot.exec) {
		fprintf(f, "# HELP trainmon_exec_started_total --exec hooks started.\n# TYPE trainmon_exec_started_total counter\n"
			"trainmon_exec_started_total %llu\n# HELP trainmon_exec_running --exec hooks running now.\n"
			"# TYPE trainmon_exec_running gauge\ntrainmon_exec_running %llu\n"
			"# HELP trainmon_exec_failures_total --exec hooks that failed, by reason.\n"
			"# TYPE trainmon_exec_failures_total counter\n", (unsigned long long)tot.exec_started,
			(unsigned long long)tot.exec_running);
		const struct { const char *reason; uint64_t v; } why[] = {
			{ "exit", tot.exec_fail_exit }, { "signal", tot.exec_fail_signal },
			{ "timeout", tot.exec_fail_timeout }, { "spawn", tot.exec_fail_spawn },
		};
		for (size_t i = 0; i < sizeof(why) / sizeof(why[0]); i++)
			fprintf(f, "trainmon_exec_failures_total{reason=\"%s\"} %llu\n", why[i].reason,
				(unsigned long long)why[i].v);
	}
	notify_series(f, tot.notify);
	tm__metrics_chains(f, tot.chains, tot.nchains);
	/* rule matches, summed over the files */
	const struct tm_ruleset *rs = tot.rules;
	fputs("# HELP trainmon_rule_matches_total Lines matched, by rule pack and rule.\n"
	      "# TYPE trainmon_rule_matches_total counter\n", f);
	for (size_t r = 0; rs && r < rs->nrules; r++) {
		uint64_t n = tot.released_matches ? tot.released_matches[r] : 0;
		for (size_t i = 0; i < nfiles; i++) {
			struct tm_metrics_file file;
			m->view.file(m->view.ctx, i, &file);
			n += file.tail->feed.m.matches ? file.tail->feed.m.matches[r] : 0;
		}
		fputs("trainmon_rule_matches_total{pack=\"", f);
		tm__metrics_label_value(f, rs->packs[rs->rules[r].pack].name);
		fputs("\",rule=\"", f);
		tm__metrics_label_value(f, rs->rules[r].name);
		fprintf(f, "\"} %llu\n", (unsigned long long)n);
	}
}

void tm_metrics_render(struct tm_metrics *m, FILE *f)
{
	if (!m->static_labels) {
		render(m, f);
		return;
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *mf = open_memstream(&buf, &len);
	if (!mf)
		return;
	render(m, mf);
	fclose(mf);
	tm_prom_add_labels(buf, len, m->static_labels, f);
	free(buf);
}

/* --label KEY=VALUE and `labels:`, rendered once: `KEY="VALUE",...` with the value escaped. */
static char *render_static(const char *const *kv, size_t n)
{
	if (!n)
		return NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(kv[i], '=');
		if (!eq)
			continue;
		fprintf(f, "%s%.*s=\"", i ? "," : "", (int)(eq - kv[i]), kv[i]);
		tm__metrics_label_value(f, eq + 1);
		fputs("\"", f);
	}
	fclose(f);
	return buf;
}

/* ---- HTTP ---- */

static struct conn *conn_of(struct MHD_Connection *c)
{
	const struct tm_mhd_api *M = tm_mhd_api(NULL, 0);
	const union MHD_ConnectionInfo *ci = M->get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type, const char *body,
			     size_t len)
{
	const struct tm_mhd_api *M = tm_mhd_api(NULL, 0);
	struct MHD_Response *r = M->create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	M->add_response_header(r, "Content-Type", type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		M->add_response_header(r, "Allow", "GET, HEAD");   /* RFC 9110 15.5.6: a 405 says which */
	enum MHD_Result rc = M->queue_response(c, status, r);
	M->destroy_response(r);
	return rc;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			      const char *version, const char *upload, size_t *upload_size, void **req)
{
	struct tm_metrics *m = cls;
	struct conn *k = conn_of(c);
	(void)version;
	(void)upload;
	if (k)
		k->deadline_ms = 0;          /* the header is in: no deadline until the response is out */
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		/* answered on the first call, before any body is read: MHD then closes the connection
		 * rather than reading a body we would throw away */
		m->http_errors++;
		static const char msg[] = "method not allowed\n";
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", msg, sizeof(msg) - 1);
	}
	if (*req == NULL) {              /* first call: headers only */
		*req = m;
		return MHD_YES;
	}
	if (*upload_size) {              /* a GET with a body: drop it */
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/metrics") == 0) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		if (!f)
			return MHD_NO;           /* MHD closes the connection; the daemon goes on */
		tm_metrics_render(m, f);
		fclose(f);
		m->scrapes++;
		enum MHD_Result rc = reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", buf, len);
		free(buf);
		return rc;
	}
	if (strcmp(url, "/healthz") == 0) {   /* liveness: the loop answers */
		static const char ok[] = "ok\n";
		return reply(c, MHD_HTTP_OK, "text/plain; charset=utf-8", ok, sizeof(ok) - 1);
	}
	if (strcmp(url, "/") == 0) {
		static const char page[] = "<html><head><title>trainmon</title></head><body>"
					   "<a href=\"/metrics\">metrics</a></body></html>\n";
		return reply(c, MHD_HTTP_OK, "text/html; charset=utf-8", page, sizeof(page) - 1);
	}
	m->http_errors++;
	static const char nf[] = "not found: try /metrics\n";
	return reply(c, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8", nf, sizeof(nf) - 1);
}

/* --listen: "ADDR:PORT", "[V6ADDR]:PORT", or just "PORT" / ":PORT" / "localhost:PORT", which
 * mean loopback (127.0.0.1): listening on other interfaces is always spelled out. Numeric
 * addresses only, so starting never waits on DNS. */
static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256];
	const char *colon = strrchr(s, ':');
	const char *ps = colon ? colon + 1 : s;
	if (colon && (size_t)(colon - s) >= sizeof(host))
		return -1;
	snprintf(host, sizeof(host), "%.*s", colon ? (int)(colon - s) : 0, s);
	if (!host[0] || strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	char *end;
	long port = strtol(ps, &end, 10);
	if (end == ps || *end || port < 1 || port > 65535)
		return -1;
	memset(ss, 0, sizeof(*ss));
	char *h = host;
	size_t hl = strlen(h);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
		h[hl - 1] = '\0';
		h++;
	}
	struct sockaddr_in *a4 = (struct sockaddr_in *)(void *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)(void *)ss;
	if (inet_pton(AF_INET, h, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*len = sizeof(*a4);
		return 0;
	}
	if (inet_pton(AF_INET6, h, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a6);
		return 0;
	}
	return -1;
}

/* ---- connections: the header deadline, the cap, accept at the open-file limit ---- */

static uint64_t header_deadline(const struct tm_metrics *m)
{
	return m->now_ms + (uint64_t)(m->cfg.http_timeout_s * 1000);
}

/* MHD has no call to close a connection from outside its callbacks, so we shut the socket down:
 * MHD's next read sees EOF and it closes the connection (the fd stays MHD's to close). */
static void cut(struct tm_metrics *m, struct conn *k)
{
	shutdown(k->fd, SHUT_RDWR);
	k->cut = 1;
	m->ncut++;
	m->slow_clients++;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
			  enum MHD_ConnectionNotificationCode code)
{
	const struct tm_mhd_api *M = tm_mhd_api(NULL, 0);
	struct tm_metrics *m = cls;
	struct conn *k = *socket_ctx;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = M->get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		k = tm_xcalloc(1, sizeof(*k));
		k->c = c;
		k->fd = ci ? ci->connect_fd : -1;
		k->deadline_ms = header_deadline(m);
		k->waiting_ms = m->now_ms;
		k->prev = m->tail;
		*(m->tail ? &m->tail->next : &m->head) = k;
		m->tail = k;
		m->nconns++;
		*socket_ctx = k;
		return;
	}
	if (!k)
		return;
	*(k->prev ? &k->prev->next : &m->head) = k->next;
	*(k->next ? &k->next->prev : &m->tail) = k->prev;
	m->nconns--;
	m->ncut -= k->cut ? 1 : 0;
	free(k);
	*socket_ctx = NULL;
}

/* A response went out: a kept-alive connection has --http-timeout for its next request header. */
static void on_completed(void *cls, struct MHD_Connection *c, void **req, enum MHD_RequestTerminationCode toe)
{
	struct conn *k = conn_of(c);
	(void)req;
	(void)toe;
	if (k) {
		struct tm_metrics *m = cls;
		k->deadline_ms = header_deadline(m);
		k->waiting_ms = m->now_ms;
	}
}

/* Cuts every connection whose request header is late. Returns ms to the next deadline, or
 * UINT64_MAX when no header is awaited. */
static uint64_t enforce_deadlines(struct tm_metrics *m)
{
	uint64_t next = UINT64_MAX;
	for (struct conn *k = m->head; k; k = k->next) {
		if (k->cut || !k->deadline_ms)
			continue;
		if (k->deadline_ms <= m->now_ms)
			cut(m, k);
		else if (k->deadline_ms - m->now_ms < next)
			next = k->deadline_ms - m->now_ms;
	}
	return next;
}

/* Parked fds keep a few descriptors for accept() and the textfile when followed files have taken
 * every other one: at EMFILE one is closed and the call retried. Refilled after every MHD pass
 * and on the tick, before the owner retries files waiting for an fd. */
static void fill_spares(struct tm_metrics *m)
{
	for (int i = 0; i < SPARE_FDS; i++)
		if (m->spare[i] < 0)
			m->spare[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static int use_spare(struct tm_metrics *m)
{
	for (int i = 0; i < SPARE_FDS; i++)
		if (m->spare[i] >= 0) {
			close(m->spare[i]);
			m->spare[i] = -1;
			return 1;
		}
	return 0;
}

static void on_timer(void *ctx, uint64_t now_ms);

/* Runs MHD, cuts late headers, then arms the timer for whatever MHD still has to do: work it
 * cannot signal through its epoll fd (connections left ready after a pass, edge-triggered) fires
 * at once (1 ms floor, so a connection that stays ready costs a wake-up per ms, not a spin), and
 * the next connection timeout or header deadline fires on time rather than on the next tick. */
static void serve(struct tm_metrics *m)
{
	const struct tm_mhd_api *M = tm_mhd_api(NULL, 0);
	M->run(m->http);
	uint64_t next = enforce_deadlines(m);
	fill_spares(m);
	if (m->timer)
		tm_loop_timer_cancel(m->loop, m->timer);
	m->timer = 0;
	MHD_UNSIGNED_LONG_LONG ms = 0;
	if (M->get_timeout(m->http, &ms) == MHD_YES && ms < next)
		next = ms;
	if (next == UINT64_MAX)
		return;                  /* nothing pending: no timer */
	next = next < 1 ? 1 : next > 3600u * 1000u ? 3600u * 1000u : next;
	m->timer = tm_loop_timer_add(m->loop, next, 0, on_timer, m);
}

static void on_timer(void *ctx, uint64_t now_ms)
{
	struct tm_metrics *m = ctx;
	m->timer = 0;                    /* a one-shot timer is gone once it fired */
	m->now_ms = now_ms;
	serve(m);
}

static void on_http_fd(void *ctx, int fd, uint32_t events)
{
	struct tm_metrics *m = ctx;
	(void)fd;
	(void)events;
	m->now_ms = tm_loop_now(m->loop);
	serve(m);
}

static void on_accept(void *ctx, int fd, uint32_t events);

static void on_accept_rested(void *ctx, uint64_t now_ms)
{
	struct tm_metrics *m = ctx;
	(void)now_ms;
	m->accept_timer = 0;
	if (!m->accepting && tm_loop_add_fd(m->loop, m->listen_fd, EPOLLIN, on_accept, m) == 0)
		m->accepting = 1;
}

/* Accept rests for ms: new connections wait in the kernel's backlog, which costs nothing. */
static void accept_rest(struct tm_metrics *m, uint64_t ms)
{
	if (!m->accepting)
		return;
	tm_loop_del_fd(m->loop, m->listen_fd);
	m->accepting = 0;
	m->accept_timer = tm_loop_timer_add(m->loop, ms, 0, on_accept_rested, m);
}

/* No fd at all, not even a parked one: a pending connection keeps the listen socket readable, so
 * polling it now would spin. It waits in the backlog while accept rests. */
static void accept_rest_fds(struct tm_metrics *m)
{
	if (m->now_ms >= m->fd_note_due_ms) {   /* at most once an hour */
		m->view.note(m->view.ctx, "--listen: out of file descriptors: new connections wait in the "
			     "backlog (raise the open-file limit: ulimit -n, or LimitNOFILE= in the systemd unit)");
		m->fd_note_due_ms = m->now_ms + 3600u * 1000u;
	}
	accept_rest(m, ACCEPT_PAUSE_MS);
}

/* Bytes the client sent that MHD has not read yet (0 when unknown). */
static int unread(int fd)
{
	int n = 0;
	return ioctl(fd, FIONREAD, &n) == 0 ? n : 0;
}

/* Room for one more connection. At the cap, the connection that has waited longest for its
 * request header is cut (a real scrape sends its header at once; a slow client never gets ahead
 * of it), provided it had CUT_GRACE_MS to send it and has no bytes MHD has not read yet (its
 * request may be complete and only waiting for MHD's next pass). When none qualifies, accept
 * rests until the first one will (new connections wait in the backlog meanwhile): slow clients
 * that reconnect as fast as they are cut then cost at most cap accepts per CUT_GRACE_MS, not a
 * core. Returns 1 when there is room. */
static int make_room(struct tm_metrics *m)
{
	if (m->nconns - m->ncut < m->cfg.http_max_conns)
		return 1;
	uint64_t wait = CAP_WAIT_MS;
	if (m->ncut < m->cfg.http_max_conns)
		for (struct conn *k = m->head; k; k = k->next) {   /* in accept order: oldest first */
			if (k->cut || !k->deadline_ms || unread(k->fd) > 0)
				continue;
			if (k->waiting_ms + CUT_GRACE_MS <= m->now_ms) {
				cut(m, k);
				return 1;
			}
			uint64_t left = k->waiting_ms + CUT_GRACE_MS - m->now_ms;
			wait = left < wait ? left : wait;
		}
	accept_rest(m, wait ? wait : 1);
	return 0;
}

static void on_accept(void *ctx, int fd, uint32_t events)
{
	const struct tm_mhd_api *M = tm_mhd_api(NULL, 0);
	struct tm_metrics *m = ctx;
	(void)events;
	m->now_ms = tm_loop_now(m->loop);
	for (int n = 0; n < ACCEPT_BURST && make_room(m); n++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int c = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c >= 0) {
			M->add_connection(m->http, c, (const struct sockaddr *)&ss, sl);   /* closes c on failure */
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			if (use_spare(m))
				continue;
			accept_rest_fds(m);
		}
		break;                   /* EAGAIN: all taken */
	}
	serve(m);
}

int tm_metrics_new(struct tm_metrics **out, const struct tm_metrics_cfg *cfg, const struct tm_metrics_view *view,
		   struct tm_loop *loop, char *err, size_t errlen)
{
	struct tm_metrics *m = tm_xcalloc(1, sizeof(*m));
	m->cfg = *cfg;
	m->static_labels = render_static(cfg->labels, cfg->nlabels);
	m->cfg.labels = NULL;          /* borrowed for this call only */
	m->cfg.nlabels = 0;
	if (!(m->cfg.http_timeout_s > 0))
		m->cfg.http_timeout_s = 5;
	if (!m->cfg.http_max_conns)
		m->cfg.http_max_conns = 64;
	m->view = *view;
	m->loop = loop;
	m->http_epfd = m->listen_fd = -1;
	for (int i = 0; i < SPARE_FDS; i++)
		m->spare[i] = -1;
	m->start_s = wall_s();
	m->now_ms = tm_clock_now(loop ? loop->clock : tm_clock_monotonic());
	*out = m;
	fill_spares(m);
	const char *addr = cfg->listen;
	if (!addr)
		return 0;
	char why[256];
	const struct tm_mhd_api *M = tm_mhd_api(why, sizeof(why));
	if (!M) {
		snprintf(err, errlen, "--listen %s: the HTTP server needs libmicrohttpd: %s", addr, why);
		return -ELIBACC;
	}
	struct sockaddr_storage ss;
	socklen_t sl;
	if (parse_listen(addr, &ss, &sl) < 0) {
		snprintf(err, errlen, "--listen: '%s' is not [ADDR:]PORT (e.g. 127.0.0.1:9464, [::1]:9464, "
			 "0.0.0.0:9464)", addr);
		return 1;
	}
	/* bind ourselves: the error says "address in use" instead of MHD's generic failure */
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1;
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 1024) < 0) {
		int e = errno;
		snprintf(err, errlen, "--listen %s: %s", addr, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	m->listen_fd = fd;
	/* Limits. We accept, not MHD: at the open-file limit MHD's own accept() retries at once (a
	 * spin), and at its connection limit it leaves new connections in the backlog behind slow
	 * clients. So: http_max_conns connections (a new one beyond closes the one waiting longest
	 * for its header, see make_room()); a request header must be complete within http_timeout_s of
	 * connecting or of the previous response (MHD's own timeout is an idle timeout, which a
	 * client sending a byte every few seconds never reaches), and an idle connection is closed
	 * after as long; 64 KiB per request (larger headers get MHD's 431). MHD's own connection
	 * limit leaves room for the connections we shut down and MHD has not closed yet. Beyond
	 * loopback one client address may hold a quarter of the slots, so a single host cannot fill
	 * them; on loopback every client has the same address, and that limit would only refuse
	 * scrapes. */
	int loopback = ss.ss_family == AF_INET
		? (ntohl(((struct sockaddr_in *)(void *)&ss)->sin_addr.s_addr) >> 24) == 127
		: IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)(void *)&ss)->sin6_addr);
	unsigned cap = m->cfg.http_max_conns, idle = (unsigned)ceil(m->cfg.http_timeout_s);
	m->http = M->start_daemon(MHD_USE_EPOLL | MHD_USE_NO_LISTEN_SOCKET, 0, NULL, NULL, handle, m,
				   MHD_OPTION_CONNECTION_LIMIT, 2 * cap,
				   MHD_OPTION_PER_IP_CONNECTION_LIMIT, loopback ? 0u : (cap + 3) / 4,
				   MHD_OPTION_CONNECTION_TIMEOUT, idle,
				   MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
				   MHD_OPTION_NOTIFY_CONNECTION, on_connection, m,
				   MHD_OPTION_NOTIFY_COMPLETED, on_completed, m,
				   MHD_OPTION_END);
	if (!m->http) {
		snprintf(err, errlen, "--listen %s: cannot start the HTTP server", addr);
		return -EIO;
	}
	const union MHD_DaemonInfo *info = M->get_daemon_info(m->http, MHD_DAEMON_INFO_EPOLL_FD);
	int rc = info && info->epoll_fd >= 0 ? tm_loop_add_fd(loop, info->epoll_fd, EPOLLIN, on_http_fd, m) : -EBADF;
	if (rc == 0) {
		m->http_epfd = info->epoll_fd;
		rc = tm_loop_add_fd(loop, fd, EPOLLIN, on_accept, m);
	}
	if (rc < 0) {
		snprintf(err, errlen, "--listen %s: cannot register the HTTP server: %s", addr, strerror(-rc));
		return rc;
	}
	m->accepting = 1;
	return 0;
}

void tm_metrics_free(struct tm_metrics *m)
{
	if (!m)
		return;
	if (m->timer)
		tm_loop_timer_cancel(m->loop, m->timer);
	if (m->accept_timer)
		tm_loop_timer_cancel(m->loop, m->accept_timer);
	if (m->http_epfd >= 0)
		tm_loop_del_fd(m->loop, m->http_epfd);
	if (m->accepting)
		tm_loop_del_fd(m->loop, m->listen_fd);
	if (m->http)
		tm_mhd_api(NULL, 0)->stop_daemon(m->http);   /* loaded: it started m->http */   /* closes every connection (freeing our records) and its epoll fd */
	if (m->listen_fd >= 0)
		close(m->listen_fd);
	for (int i = 0; i < SPARE_FDS; i++)
		if (m->spare[i] >= 0)
			close(m->spare[i]);
	free(m->static_labels);
	free(m);
}

void tm_metrics_update(struct tm_metrics *m, uint64_t now_ms)
{
	m->now_ms = now_ms;
}

/* node_exporter's textfile collector reads *.prom files whenever it is scraped, so the file is
 * replaced whole: written beside it as PATH.tmp (ignored by the collector: wrong suffix), then
 * renamed over it. No fsync: the file is rewritten every second, and after a crash a stale or
 * empty file is no worse than none. An error is reported once, until a write succeeds again. */
static void write_textfile(struct tm_metrics *m)
{
	const char *path = m->cfg.textfile;
	char tmp[4096];
	int k = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int err = 0;
	if (k < 0 || (size_t)k >= sizeof(tmp)) {
		err = ENAMETOOLONG;
	} else {
		FILE *f = fopen(tmp, "we");
		if (!f) {
			err = errno;
		} else {
			tm_metrics_render(m, f);
			int bad = fflush(f) != 0 || ferror(f);
			if (bad)
				err = errno ? errno : EIO;
			if (fclose(f) != 0 && !err)
				err = errno ? errno : EIO;
			if (!err && rename(tmp, path) < 0)
				err = errno;
			if (err)
				unlink(tmp);
		}
	}
	char msg[4200];
	if (err && !m->textfile_failing) {
		snprintf(msg, sizeof(msg), "--textfile %s: %s (retrying every second)", path, strerror(err));
		m->view.note(m->view.ctx, msg);
	} else if (!err && m->textfile_failing) {
		snprintf(msg, sizeof(msg), "--textfile %s: written again", path);
		m->view.note(m->view.ctx, msg);
	}
	m->textfile_failing = err != 0;
}

void tm_metrics_tick(struct tm_metrics *m, uint64_t now_ms)
{
	m->now_ms = now_ms;
	/* the tick runs faster with --poll < 1; the file is still written once a second */
	if (m->cfg.textfile && (m->textfile_ms == 0 || now_ms - m->textfile_ms >= 1000)) {
		m->textfile_ms = now_ms;
		use_spare(m);            /* at the open-file limit the write still gets an fd */
		write_textfile(m);
	}
	if (m->http)
		serve(m);                /* connection timeouts, in case the timer is off; refills spares */
	else
		fill_spares(m);
}

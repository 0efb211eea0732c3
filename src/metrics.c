/* metrics.c: Prometheus exposition of the daemon's runs and of itself (see metrics.h).
 *
 * Nothing is stored twice: every scrape renders from the live runs, so a value can never be stale
 * or disagree with `analyze`. Names and units follow Prometheus conventions (base units, `_total`
 * for counters, ratios not percents); labels are run (file stem), file, framework, slurm_job_id,
 * never job or instance, which Prometheus sets. A run that ended leaves after --expire seconds.
 * libmicrohttpd runs without threads: its epoll fd sits in the daemon's epoll set.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "trainmon/cmd.h"
#include "trainmon/daemon.h"
#include "trainmon/json.h"
#include "trainmon/metrics.h"
#include "trainmon/xalloc.h"
#include "banned.h"

struct tm_metrics {
	struct tm_daemon *d;       /* borrowed: the owner */
	struct MHD_Daemon *http;   /* owned, NULL without --listen */
	int http_epfd;             /* MHD's epoll fd, registered in d->epfd */
	uint64_t now_ms;           /* of the last tick */
	uint64_t scrapes, http_errors;
};

/* ---- rendering ---- */

static void label_value(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f), fputc(*s, f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void run_labels(FILE *f, const struct tm_watched *w)
{
	const char *path = w->tail.path;
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *dot = strrchr(base, '.');
	size_t stem = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	char run[512];
	snprintf(run, sizeof(run), "%.*s", (int)(stem < 500 ? stem : 500), base);
	fputs("run=\"", f);
	label_value(f, run);
	fputs("\",file=\"", f);
	label_value(f, path);
	fputs("\",framework=\"", f);
	label_value(f, w->sum.framework ? w->sum.framework : "");
	fputs("\"", f);
	if (w->tail.feed.run.sparams[TM_P_SLURM_JOB_ID]) {
		fputs(",slurm_job_id=\"", f);
		label_value(f, w->tail.feed.run.sparams[TM_P_SLURM_JOB_ID]);
		fputs("\"", f);
	}
}

static void sample(FILE *f, const char *name, const struct tm_watched *w, const char *extra, double v)
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

static int live(const struct tm_metrics *m, const struct tm_watched *w)
{
	double exp = m->d->cfg->expire_s;
	return !w->ended_ms || (double)(m->now_ms - w->ended_ms) < exp * 1000;
}

struct family {
	const char *name, *type, *help;
};

static void header(FILE *f, const struct family *fam)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", fam->name, fam->help, fam->name, fam->type);
}

enum { F_STEP, F_STEPS, F_STEP_TIME, F_TPS, F_TPS_GPU, F_TOKENS, F_MFU, F_FLOPS, F_ETA, F_LOSS, F_EVENTS,
       F_ALERT, F_LAST_STEP, F_N };

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
};

void tm_metrics_render(struct tm_metrics *m, FILE *f)
{
	struct tm_daemon *d = m->d;
	fprintf(f, "# HELP trainmon_build_info trainmon version.\n# TYPE trainmon_build_info gauge\n"
		   "trainmon_build_info{version=\"%s\"} 1\n", TM_VERSION);
	for (int fam = 0; fam < F_N; fam++) {
		header(f, &run_families[fam]);
		for (size_t i = 0; i < d->nfiles; i++) {
			const struct tm_watched *w = d->files[i];
			const struct tm_run *r = &w->tail.feed.run;
			const struct tm_summary *s = &w->sum;
			if (!live(m, w))
				continue;
			switch (fam) {
			case F_STEP: sample(f, "trainmon_run_step", w, NULL, s->steps ? s->last_step : NAN); break;
			case F_STEPS: sample(f, "trainmon_run_steps_total", w, NULL, (double)r->nsteps); break;
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
			case F_LOSS: sample(f, "trainmon_run_loss", w, NULL, r->nsteps ? r->steps[r->nsteps - 1].loss : NAN); break;
			case F_EVENTS:
				for (int k = 0; k < TM_EV_N; k++) {
					char lab[64];
					snprintf(lab, sizeof(lab), "kind=\"%s\"", tm_event_kind_name(k));
					if (r->event_counts[k])
						sample(f, "trainmon_run_events_total", w, lab, (double)r->event_counts[k]);
				}
				break;
			case F_ALERT: {
				const struct tm_alerts *a = &w->alerts;
				sample(f, "trainmon_run_alert_active", w, "alert=\"low_mfu\"", a->low_mfu.firing);
				sample(f, "trainmon_run_alert_active", w, "alert=\"throughput_drop\"", a->drop.firing);
				sample(f, "trainmon_run_alert_active", w, "alert=\"stall\"", a->stall.firing);
				int failing = 0;
				for (int k = 0; k < TM_EV_N; k++)
					failing |= a->failure_fired[k];
				sample(f, "trainmon_run_alert_active", w, "alert=\"failure\"", failing);
				sample(f, "trainmon_run_alert_active", w, "alert=\"ended\"", a->ended);
				sample(f, "trainmon_run_alert_active", w, "alert=\"finished\"", a->finished);
				break;
			}
			case F_LAST_STEP:
				sample(f, "trainmon_run_last_step_age_seconds", w, NULL,
				       w->alerts.last_step_ms ? (double)(m->now_ms - w->alerts.last_step_ms) / 1000.0 : NAN);
				break;
			default:
				break;
			}
		}
	}
	/* about itself */
	uint64_t bytes = 0, trunc = 0, rot = 0, truncs = 0, rerr = 0;
	for (size_t i = 0; i < d->nfiles; i++) {
		const struct tm_tail *t = &d->files[i]->tail;
		bytes += t->st.bytes;
		rot += t->st.rotations;
		truncs += t->st.truncations;
		rerr += t->st.read_errors;
		trunc += t->cur.lines.truncated;
	}
	const struct { const char *name, *type, *help; double v; } self[] = {
		{ "trainmon_files_watched", "gauge", "Log files followed.", (double)d->nfiles },
		{ "trainmon_directories_watched", "gauge", "Directories watched or polled.", (double)d->ndirs },
		{ "trainmon_read_bytes_total", "counter", "Bytes read from log files.", (double)bytes },
		{ "trainmon_lines_total", "counter", "Records (lines and progress-bar redraws) read.", (double)d->st.lines },
		{ "trainmon_lines_truncated_total", "counter", "Lines longer than --line-max, cut.", (double)trunc },
		{ "trainmon_rotations_total", "counter", "Files replaced under a followed path (rotation, recreation).", (double)rot },
		{ "trainmon_truncations_total", "counter", "Followed files truncated in place.", (double)truncs },
		{ "trainmon_read_errors_total", "counter", "Failed reads of followed files.", (double)rerr },
		{ "trainmon_inotify_overflows_total", "counter", "inotify queue overflows (each followed by a full rescan).", (double)d->st.overflows },
		{ "trainmon_alerts_total", "counter", "Alert transitions sent.", (double)d->st.alerts },
		{ "trainmon_state_saves_total", "counter", "State file saves.", (double)d->st.saves },
		{ "trainmon_state_save_errors_total", "counter", "Failed state file saves.", (double)d->st.save_errors },
		{ "trainmon_reloads_total", "counter", "Successful SIGHUP reloads.", (double)d->st.reloads },
		{ "trainmon_reload_errors_total", "counter", "Rejected SIGHUP reloads.", (double)d->st.reload_errors },
		{ "trainmon_scrapes_total", "counter", "Metrics requests served.", (double)m->scrapes },
	};
	for (size_t i = 0; i < sizeof(self) / sizeof(self[0]); i++)
		fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %.0f\n", self[i].name, self[i].help, self[i].name,
			self[i].type, self[i].name, self[i].v);
	/* rule matches, summed over the files */
	const struct tm_ruleset *rs = d->rules;
	fputs("# HELP trainmon_rule_matches_total Lines matched, by rule pack and rule.\n"
	      "# TYPE trainmon_rule_matches_total counter\n", f);
	for (size_t r = 0; rs && r < rs->nrules; r++) {
		uint64_t n = 0;
		for (size_t i = 0; i < d->nfiles; i++)
			n += d->files[i]->tail.feed.m.matches ? d->files[i]->tail.feed.m.matches[r] : 0;
		fputs("trainmon_rule_matches_total{pack=\"", f);
		label_value(f, rs->packs[rs->rules[r].pack].name);
		fputs("\",rule=\"", f);
		label_value(f, rs->rules[r].name);
		fprintf(f, "\"} %llu\n", (unsigned long long)n);
	}
}

/* ---- HTTP ---- */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type, const char *body,
			     size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	enum MHD_Result rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			      const char *version, const char *upload, size_t *upload_size, void **req)
{
	struct tm_metrics *m = cls;
	(void)version;
	(void)upload;
	if (*req == NULL) {              /* first call: headers only */
		*req = m;
		return MHD_YES;
	}
	if (*upload_size) {              /* a body we do not want: drop it */
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		m->http_errors++;
		static const char msg[] = "method not allowed\n";
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8", msg, sizeof(msg) - 1);
	}
	if (strcmp(url, "/metrics") == 0) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		if (!f)
			return MHD_NO;
		tm_metrics_render(m, f);
		fclose(f);
		m->scrapes++;
		enum MHD_Result rc = reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", buf, len);
		free(buf);
		return rc;
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

static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256];
	const char *colon = strrchr(s, ':');
	if (!colon || colon == s || (size_t)(colon - s) >= sizeof(host))
		return -1;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535)
		return -1;
	memset(ss, 0, sizeof(*ss));
	char *h = host;
	if (h[0] == '[' && h[strlen(h) - 1] == ']') {
		h[strlen(h) - 1] = '\0';
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

int tm_metrics_new(struct tm_metrics **out, struct tm_daemon *d)
{
	struct tm_metrics *m = tm_xcalloc(1, sizeof(*m));
	m->d = d;
	m->http_epfd = -1;
	*out = m;
	const char *addr = d->cfg->listen;
	if (!addr)
		return TM_EXIT_OK;
	struct sockaddr_storage ss;
	socklen_t sl;
	if (parse_listen(addr, &ss, &sl) < 0) {
		fprintf(stderr, "trainmon watch: --listen: '%s' is not ADDR:PORT (e.g. 127.0.0.1:9464, [::1]:9464)\n", addr);
		return TM_EXIT_USAGE;
	}
	/* bind ourselves: the error says "address in use" instead of MHD's generic failure */
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1;
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 64) < 0) {
		fprintf(stderr, "trainmon watch: --listen %s: %s\n", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		return TM_EXIT_SYSTEM;
	}
	m->http = MHD_start_daemon(MHD_USE_EPOLL | (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0), 0, NULL, NULL,
				   handle, m,
				   MHD_OPTION_LISTEN_SOCKET, fd,
				   MHD_OPTION_CONNECTION_LIMIT, (unsigned int)64,
				   MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)32,
				   MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
				   MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
				   MHD_OPTION_END);
	if (!m->http) {
		fprintf(stderr, "trainmon watch: --listen %s: cannot start the HTTP server\n", addr);
		close(fd);
		return TM_EXIT_SYSTEM;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(m->http, MHD_DAEMON_INFO_EPOLL_FD);
	m->http_epfd = info ? info->epoll_fd : -1;
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = m->http_epfd };
	if (m->http_epfd < 0 || epoll_ctl(d->epfd, EPOLL_CTL_ADD, m->http_epfd, &ev) < 0) {
		fprintf(stderr, "trainmon watch: --listen %s: cannot register the HTTP server\n", addr);
		return TM_EXIT_SYSTEM;
	}
	return TM_EXIT_OK;
}

void tm_metrics_free(struct tm_metrics *m)
{
	if (!m)
		return;
	if (m->http)
		MHD_stop_daemon(m->http);
	free(m);
}

void tm_metrics_update(struct tm_metrics *m, struct tm_watched *w, uint64_t now_ms)
{
	(void)w;
	m->now_ms = now_ms;
}

static void write_textfile(struct tm_metrics *m)
{
	const char *path = m->d->cfg->textfile;
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "we");
	if (!f) {
		tm__sink_note(m->d, "--textfile %s: %s", tmp, strerror(errno));
		return;
	}
	tm_metrics_render(m, f);
	int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
	bad |= fclose(f) != 0;
	if (bad || rename(tmp, path) < 0) {
		tm__sink_note(m->d, "--textfile %s: %s", path, strerror(errno));
		unlink(tmp);
	}
}

void tm_metrics_tick(struct tm_metrics *m, struct tm_daemon *d, uint64_t now_ms)
{
	(void)d;
	m->now_ms = now_ms;
	if (m->http)
		MHD_run(m->http);        /* connection timeouts */
	if (m->d->cfg->textfile)
		write_textfile(m);
}

void tm_metrics_fd(struct tm_metrics *m, int fd)
{
	if (m->http && fd == m->http_epfd) {
		m->now_ms = tm_now_ms();
		MHD_run(m->http);
	}
}

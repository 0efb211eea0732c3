/* notify.c: the delivery engine behind --alertmanager and --webhook (see notify.h).
 *
 * Per sink, one request at a time. A webhook sends its queue's head and removes it on a 2xx; an
 * Alertmanager sink posts all of its active alerts in one array whenever one changed (seq past
 * the last acknowledged) and every resend_s while any remain, and forgets a resolved alert once a
 * post carrying its endsAt succeeded. Failures (no response, timeouts, 408, 429, 5xx) are retried
 * after a delay drawn uniformly from [0, min(retry_max, retry_min * 2^attempt)]: "full jitter"
 * (Marc Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog, 2015), so receivers
 * coming back are not hit by every daemon at once. Other 4xx are final: the entry is dropped,
 * counted as rejected and noted. Firing alerts carry endsAt = now + 4 x resend_s, as Prometheus
 * does (rules/alerting.go: ValidUntil = 4 x max(evaluation interval, resend delay)): a daemon that
 * dies stops renewing them and Alertmanager resolves them. Must not: block, print, or let a URL or
 * token reach a note (only the redacted name).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dynlib.h"
#include "http.h"
#include "secret.h"
#include "trainmon/json.h"
#include "trainmon/notify.h"
#include "trainmon/xalloc.h"
#include "banned.h"

#define NOTE_EVERY_MS 10000         /* ms: drops are noted at most this often per sink */

struct entry {
	char *id;                   /* owned: AM: labels JSON; webhook: Idempotency-Key */
	char *run;                  /* owned */
	char *alert;                /* owned: AM: the alert within its run ("trainmon_failure/nccl_timeout");
				       its labels may gain a value later (slurm_job_id), this never changes */
	char *body;                 /* owned: AM: annotations JSON; webhook: the request body */
	int64_t starts_ms, ends_ms, hold_ms; /* unix ms (AM) */
	uint32_t attempts;
	uint64_t seq;               /* AM: changed at this sequence number */
};

struct sink {
	struct tm_notify *n;        /* borrowed: the owner */
	int am;
	char *url;                  /* owned secret */
	char name[224];             /* redacted, unique */
	struct entry *q;            /* owned; webhook: FIFO; AM: the active alerts */
	size_t nq, capq;
	uint64_t req;               /* running request, 0 none */
	uint64_t seq, acked;        /* AM: last change; last change a successful post covered */
	uint64_t batch;             /* AM: seq when the running post was built */
	uint64_t timer;             /* loop timer (backoff or resend), 0 none */
	uint64_t not_before;        /* loop clock ms: backing off until then */
	uint64_t last_post;         /* loop clock ms of the last successful post (AM) */
	unsigned fails;             /* consecutive failed attempts */
	struct tm_notify_stats st;
	uint64_t dropped_noted, drop_note_due;
};

struct tm_notify {
	struct tm_loop *loop;       /* borrowed */
	struct tm_http *http;       /* owned */
	struct sink **sinks;        /* owned array of owned */
	size_t nsinks;
	char *bearer;               /* owned secret, NULL none */
	char *generator_url;        /* owned, NULL none: the `"generatorURL":"..."` member, escaped */
	int format;
	double resend_s, ttl_s, timeout_s, connect_s, retry_min_s, retry_max_s;
	size_t queue_max;
	uint64_t rng;               /* xorshift64 state for the jitter */
	tm_notify_note_fn note;
	void *note_ctx;             /* borrowed */
};

static void note(struct tm_notify *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct tm_notify *n, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n->note)
		n->note(n->note_ctx, msg);
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void iso(char *buf, size_t n, int64_t ms)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tmv;
	gmtime_r(&s, &tmv);
	size_t k = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tmv);
	snprintf(buf + k, n - k, ".%03dZ", (int)(ms % 1000));
}

static void entry_free(struct entry *e)
{
	free(e->id);
	free(e->run);
	free(e->alert);
	free(e->body);
}

static void entry_remove(struct sink *s, size_t i)
{
	entry_free(&s->q[i]);
	memmove(&s->q[i], &s->q[i + 1], (s->nq - i - 1) * sizeof(*s->q));
	s->nq--;
}

static const char *kind_name(const struct sink *s)
{
	return s->am ? "alertmanager" : "webhook";
}

/* ---- sending ---- */

static void kick(struct sink *s);

static void on_timer(void *ctx, uint64_t now)
{
	struct sink *s = ctx;
	(void)now;
	s->timer = 0;
	kick(s);
}

static void arm(struct sink *s, uint64_t delay_ms)
{
	if (s->timer)
		tm_loop_timer_cancel(s->n->loop, s->timer);
	s->timer = tm_loop_timer_add(s->n->loop, delay_ms, 0, on_timer, s);
}

static uint64_t rnd(struct tm_notify *n)
{
	uint64_t x = n->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return n->rng = x;
}

/* Full jitter: uniform in [0, min(cap, base * 2^attempt)], in ms. */
static uint64_t backoff_ms(struct tm_notify *n, unsigned attempt)
{
	double ceil_s = n->retry_min_s * ldexp(1.0, attempt > 60 ? 60 : (int)attempt);
	if (ceil_s > n->retry_max_s)
		ceil_s = n->retry_max_s;
	double u = (double)(rnd(n) >> 11) / 9007199254740992.0;   /* [0, 1) */
	return (uint64_t)(u * ceil_s * 1000);
}

static void on_done(void *ctx, const struct tm_http_result *r);

static void post(struct sink *s, const char *body, size_t len, const char *key)
{
	struct tm_notify *n = s->n;
	struct tm_http_post p = { .url = s->url, .body = body, .len = len, .content_type = "application/json",
				  .bearer = s->am ? n->bearer : NULL, .idempotency_key = key,
				  .timeout_s = n->timeout_s, .connect_timeout_s = n->connect_s, .done = on_done,
				  .ctx = s };
	s->req = tm_http_start(n->http, &p);
	if (!s->req) {                 /* libcurl refused it: as a failed attempt */
		struct tm_http_result res = { .transport = 1 };
		snprintf(res.error, sizeof(res.error), "the HTTP client could not start a request");
		on_done(s, &res);
	}
}

/* The array of an Alertmanager sink's alerts, each as API v2's postableAlert. */
static char *am_body(struct sink *s, size_t *len)
{
	struct tm_notify *n = s->n;
	char *p = NULL, ts[40];
	FILE *f = open_memstream(&p, len);
	if (!f)
		return NULL;
	int64_t now = wall_ms(), valid = now + (int64_t)(4 * n->resend_s * 1000);
	fputc('[', f);
	for (size_t i = 0; i < s->nq; i++) {
		const struct entry *e = &s->q[i];
		iso(ts, sizeof(ts), e->starts_ms);
		fprintf(f, "%s{\"labels\":%s,\"annotations\":%s,\"startsAt\":\"%s\"", i ? "," : "", e->id, e->body, ts);
		iso(ts, sizeof(ts), e->ends_ms ? e->ends_ms : e->hold_ms && e->hold_ms < valid ? e->hold_ms : valid);
		fprintf(f, ",\"endsAt\":\"%s\"", ts);
		if (n->generator_url)
			fprintf(f, ",%s", n->generator_url);
		fputc('}', f);
	}
	fputc(']', f);
	if (fclose(f) != 0) {
		free(p);
		return NULL;
	}
	return p;
}

/* Sends what is due, unless a request runs or the sink backs off. */
static void kick(struct sink *s)
{
	struct tm_notify *n = s->n;
	uint64_t now = tm_loop_now(n->loop);
	if (s->req || !s->nq)
		return;
	if (now < s->not_before) {
		if (!s->timer)
			arm(s, s->not_before - now);
		return;
	}
	if (!s->am) {
		post(s, s->q[0].body, strlen(s->q[0].body), s->q[0].id);
		return;
	}
	uint64_t resend = (uint64_t)(n->resend_s * 1000);
	if (s->seq == s->acked && now - s->last_post < resend) {
		if (!s->timer)
			arm(s, s->last_post + resend - now);
		return;
	}
	size_t len;
	char *body = am_body(s, &len);
	if (!body)
		return;
	s->batch = s->seq;
	post(s, body, len, NULL);
	free(body);
}

static int retryable(const struct tm_http_result *r)
{
	return r->transport || r->status == 408 || r->status == 429 || r->status >= 500 || r->status < 200;
}

static void describe(const struct tm_http_result *r, char *buf, size_t n)
{
	if (r->transport)
		snprintf(buf, n, "%s", r->error);
	else
		snprintf(buf, n, "HTTP %ld%s%s", r->status, r->error[0] ? ": " : "", r->error);
}

static void on_done(void *ctx, const struct tm_http_result *r)
{
	struct sink *s = ctx;
	struct tm_notify *n = s->n;
	uint64_t now = tm_loop_now(n->loop);
	char why[320];
	s->req = 0;
	int ok = !r->transport && r->status >= 200 && r->status < 300;
	size_t fresh = 0, again = 0;     /* AM: alerts in this post changed since the last one, or not */
	if (s->am)
		for (size_t i = 0; i < s->nq; i++) {
			fresh += s->q[i].seq > s->acked && s->q[i].seq <= s->batch;
			again += s->q[i].seq <= s->acked;
		}
	if (ok) {
		if (s->fails)
			note(n, "%s %s: delivered again after %u failed attempt%s", kind_name(s), s->name, s->fails,
			     s->fails == 1 ? "" : "s");
		s->fails = 0;
		s->not_before = 0;
		if (!s->am) {
			entry_remove(s, 0);
			s->st.delivered++;
		} else {
			s->st.delivered += fresh;
			s->st.resent += again;
			for (size_t i = s->nq; i-- > 0;)
				if (s->q[i].ends_ms && s->q[i].seq <= s->batch)
					entry_remove(s, i);
			s->acked = s->batch;
			s->last_post = now;
		}
	} else if (retryable(r)) {
		s->fails++;
		if (s->am) {
			s->st.retried += s->nq;
			for (size_t i = 0; i < s->nq; i++)
				s->q[i].attempts++;
		} else {
			s->st.retried++;
			s->q[0].attempts++;
		}
		uint64_t wait = backoff_ms(n, s->fails);
		s->not_before = now + wait;
		if (s->fails == 1) {
			describe(r, why, sizeof(why));
			note(n, "%s %s: delivery failed: %s; retrying with backoff (%zu waiting)", kind_name(s), s->name, why,
			     s->nq);
		}
	} else {
		describe(r, why, sizeof(why));
		if (!s->am) {
			note(n, "webhook %s: notification rejected (%s): dropped", s->name, why);
			entry_remove(s, 0);
			s->st.rejected++;
		} else {
			note(n, "alertmanager %s: alerts rejected (%s): resolved ones dropped, firing ones sent again in "
			     "%g s", s->name, why, n->resend_s);
			s->st.rejected += s->nq;
			for (size_t i = s->nq; i-- > 0;)
				if (s->q[i].ends_ms && s->q[i].seq <= s->batch)
					entry_remove(s, i);
			s->acked = s->batch;
			s->last_post = now;
		}
		s->fails = 0;
	}
	kick(s);
}

/* ---- queues ---- */

/* Room for one more: the oldest entry not being sent goes. */
static void make_room(struct sink *s)
{
	if (s->nq < s->n->queue_max)
		return;
	size_t i = !s->am && s->req ? 1 : 0;
	if (i < s->nq) {
		entry_remove(s, i);
		s->st.dropped++;
	}
}

static struct entry *push(struct sink *s)
{
	make_room(s);
	tm_xgrow((void **)&s->q, &s->capq, s->nq + 1, sizeof(*s->q));
	struct entry *e = &s->q[s->nq++];
	memset(e, 0, sizeof(*e));
	return e;
}

static char *pairs_json(const struct tm_notify_pair *p, size_t np)
{
	char *out = NULL;
	size_t len;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		return tm_xstrdup("{}");
	struct tm_json j;
	tm_json_init(&j, f, 0);
	tm_json_obj(&j, NULL);
	for (size_t i = 0; i < np; i++) {
		size_t k;
		for (k = 0; k < i && strcmp(p[k].k, p[i].k); k++)
			;
		if (k == i && p[i].v)       /* the first of a name wins */
			tm_json_str(&j, p[i].k, p[i].v);
	}
	tm_json_end(&j, '}');
	if (fclose(f) != 0) {
		free(out);
		return tm_xstrdup("{}");
	}
	return out;
}

/* An alert keeps the labels it fired with until it resolves (Alertmanager knows it by them);
 * a firing after a resolve that was not posted yet, with other labels, is another entry. */
static void am_alert(struct sink *s, const struct tm_notify_alert *a, const char *id, const char *ann,
		     int64_t now)
{
	struct tm_notify *n = s->n;
	struct entry *e = NULL, *same = NULL;
	for (size_t i = 0; i < s->nq; i++) {
		struct entry *x = &s->q[i];
		if (strcmp(x->run, a->run) || strcmp(x->alert, a->alert ? a->alert : ""))
			continue;
		if (!x->ends_ms)
			e = x;
		else if (strcmp(x->id, id) == 0)
			same = x;
	}
	if (!a->firing) {
		if (e) {
			e->ends_ms = now;
			e->seq = ++s->seq;
		}
		return;
	}
	if (!e && same) {                /* fires again: a new startsAt */
		e = same;
		e->starts_ms = now;
		e->ends_ms = 0;
	}
	if (!e) {
		e = push(s);
		e->id = tm_xstrdup(id);
		e->run = tm_xstrdup(a->run);
		e->alert = tm_xstrdup(a->alert ? a->alert : "");
		e->starts_ms = now;
	}
	free(e->body);
	e->hold_ms = a->one_shot && n->ttl_s > 0 ? now + (int64_t)(n->ttl_s * 1000) : 0;
	e->body = tm_xstrdup(ann);
	e->seq = ++s->seq;
}

void tm_notify_alert(struct tm_notify *n, const struct tm_notify_alert *a, int64_t now_wall)
{
	if (!n)
		return;
	char *id = NULL, *ann = NULL;
	for (size_t i = 0; i < n->nsinks; i++) {
		struct sink *s = n->sinks[i];
		if (s->am) {
			if (!id) {
				id = pairs_json(a->labels, a->nlabels);
				ann = pairs_json(a->annotations, a->nannotations);
			}
			am_alert(s, a, id, ann, now_wall);
		} else {
			struct entry *e = push(s);
			e->id = tm_xstrdup(a->key ? a->key : "");
			e->run = tm_xstrdup(a->run);
			e->alert = tm_xstrdup("");
			const char *b = n->format == TM_NF_SLACK ? a->slack : a->json;
			e->body = tm_xstrdup(b ? b : "{}");
			e->starts_ms = now_wall;
		}
		kick(s);
	}
	free(id);
	free(ann);
}

void tm_notify_run_gone(struct tm_notify *n, const char *run, int64_t now_wall)
{
	for (size_t i = 0; n && i < n->nsinks; i++) {
		struct sink *s = n->sinks[i];
		int changed = 0;
		for (size_t k = 0; s->am && k < s->nq; k++)
			if (!s->q[k].ends_ms && strcmp(s->q[k].run, run) == 0) {
				s->q[k].ends_ms = now_wall;
				s->q[k].seq = ++s->seq;
				changed = 1;
			}
		if (changed)
			kick(s);
	}
}

void tm_notify_tick(struct tm_notify *n, int64_t now_wall)
{
	uint64_t now = n ? tm_loop_now(n->loop) : 0;
	for (size_t i = 0; n && i < n->nsinks; i++) {
		struct sink *s = n->sinks[i];
		int changed = 0;
		for (size_t k = 0; s->am && k < s->nq; k++) {
			struct entry *e = &s->q[k];
			if (!e->ends_ms && e->hold_ms && now_wall >= e->hold_ms) {
				e->ends_ms = e->hold_ms;
				e->seq = ++s->seq;
				changed = 1;
			}
		}
		if (changed)
			kick(s);
		if (s->st.dropped != s->dropped_noted && now >= s->drop_note_due) {
			note(n, "%s %s: %" PRIu64 " notifications dropped since the last report (%" PRIu64 " in all; the "
			     "oldest go first when %zu wait)", kind_name(s), s->name, s->st.dropped - s->dropped_noted,
			     s->st.dropped, n->queue_max);
			s->dropped_noted = s->st.dropped;
			s->drop_note_due = now + NOTE_EVERY_MS;
		}
	}
}

/* ---- state ---- */

void tm_notify_export(const struct tm_notify *n, struct tm_state_extra *x)
{
	*x = (struct tm_state_extra){ 0 };
	size_t total = 0;
	for (size_t i = 0; n && i < n->nsinks; i++)
		total += n->sinks[i]->nq;
	if (!total)
		return;
	x->notes = tm_xcalloc(total, sizeof(*x->notes));
	for (size_t i = 0; i < n->nsinks; i++) {
		struct sink *s = n->sinks[i];
		for (size_t k = 0; k < s->nq; k++) {
			const struct entry *e = &s->q[k];
			x->notes[x->nnotes++] = (struct tm_state_note){ .sink = s->name, .am = s->am, .id = e->id,
				.run = e->run, .alert = e->alert, .body = e->body, .starts_ms = e->starts_ms, .ends_ms = e->ends_ms,
				.hold_ms = e->hold_ms, .attempts = e->attempts };
		}
	}
}

void tm_notify_import(struct tm_notify *n, struct tm_state_extra *x)
{
	size_t unknown = 0;
	for (size_t i = 0; i < x->nnotes; i++) {
		struct tm_state_note *t = &x->notes[i];
		struct sink *s = NULL;
		for (size_t k = 0; n && k < n->nsinks && !s; k++)
			if (n->sinks[k]->am == t->am && strcmp(n->sinks[k]->name, t->sink) == 0)
				s = n->sinks[k];
		if (!s) {
			unknown++;
			continue;
		}
		struct entry *e = push(s);
		*e = (struct entry){ .id = t->id, .run = t->run, .alert = t->alert, .body = t->body, .starts_ms = t->starts_ms,
				     .ends_ms = t->ends_ms, .hold_ms = t->hold_ms, .attempts = t->attempts,
				     .seq = s->am ? ++s->seq : 0 };
		t->id = t->run = t->alert = t->body = NULL;
	}
	if (unknown)
		note(n, "state: %zu saved notifications are for sinks no longer configured: dropped", unknown);
	for (size_t k = 0; n && k < n->nsinks; k++)
		kick(n->sinks[k]);
}

size_t tm_notify_finish(struct tm_notify *n, int ms)
{
	if (!n)
		return 0;
	tm_http_drain(n->http, ms);
	size_t left = 0;
	for (size_t i = 0; i < n->nsinks; i++) {
		const struct sink *s = n->sinks[i];
		for (size_t k = 0; k < s->nq; k++)     /* an Alertmanager's acknowledged alerts are not waiting */
			left += !s->am || s->q[k].seq > s->acked;
	}
	return left;
}

size_t tm_notify_nsinks(const struct tm_notify *n)
{
	return n ? n->nsinks : 0;
}

void tm_notify_get_stats(const struct tm_notify *n, size_t i, struct tm_notify_stats *out)
{
	const struct sink *s = n->sinks[i];
	*out = s->st;
	out->name = s->name;
	out->kind = kind_name(s);
	out->queued = s->nq;
}

/* ---- life ---- */

static int add_sink(struct tm_notify *n, int am, const char *spec, char *err, size_t errlen)
{
	char *url, why[256], name[192];
	const char *flag = am ? "--alertmanager" : "--webhook";
	int rc = tm_secret_read(spec, 1, &url, why, sizeof(why));
	if (rc) {
		snprintf(err, errlen, "%s: %s", flag, why);
		return rc;
	}
	/* a URL typed literally is shown up to its host only: the rest may be a secret */
	int named = tm_http_url_name(url, name, sizeof(name));
	if (named < 0) {
		if (named == -2)
			snprintf(err, errlen, "%s: %s", flag, name);
		else
			snprintf(err, errlen, "%s: not a usable URL (%s)", flag, name);
		tm_secret_free(url);
		return 1;
	}
	struct sink *s = tm_xcalloc(1, sizeof(*s));
	s->n = n;
	s->am = am;
	if (am) {                    /* the API path, unless the URL names one */
		size_t ul = strlen(url);
		const char *tail = ul && url[ul - 1] == '/' ? "api/v2/alerts" : "/api/v2/alerts";
		if (!strstr(url, "/api/v2/alerts")) {
			char *full = tm_xmalloc(ul + strlen(tail) + 1);
			memcpy(full, url, ul);
			memcpy(full + ul, tail, strlen(tail) + 1);
			tm_secret_free(url);
			url = full;
		}
	}
	s->url = url;
	int dup = 1;
	for (size_t i = 0; i < n->nsinks; i++)      /* unique per kind (the metrics label both) */
		dup += n->sinks[i]->am == am && strncmp(n->sinks[i]->name, name, strlen(name)) == 0 &&
		       (n->sinks[i]->name[strlen(name)] == '\0' || n->sinks[i]->name[strlen(name)] == '#');
	if (dup > 1)
		snprintf(s->name, sizeof(s->name), "%s#%d", name, dup);
	else
		snprintf(s->name, sizeof(s->name), "%s", name);
	n->sinks = tm_xrealloc(n->sinks, (n->nsinks + 1) * sizeof(*n->sinks));
	n->sinks[n->nsinks++] = s;
	return 0;
}

int tm_notify_new(struct tm_notify **out, const struct tm_notify_opts *o, struct tm_loop *loop,
		  tm_notify_note_fn note_fn, void *note_ctx, char *err, size_t errlen)
{
	*out = NULL;
	if (!o->alertmanager.n && !o->webhook.n)
		return 0;
	struct tm_notify *n = tm_xcalloc(1, sizeof(*n));
	n->loop = loop;
	n->note = note_fn;
	n->note_ctx = note_ctx;
	n->format = o->webhook_format;
	n->resend_s = o->resend_s;
	n->ttl_s = o->event_ttl_s;
	n->timeout_s = o->timeout_s;
	n->connect_s = o->connect_timeout_s < o->timeout_s ? o->connect_timeout_s : o->timeout_s;
	n->retry_min_s = o->retry_min_s;
	n->retry_max_s = o->retry_max_s > o->retry_min_s ? o->retry_max_s : o->retry_min_s;
	n->queue_max = o->queue_max;
	n->rng = (uint64_t)wall_ms() * 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid() << 32 ^ (uint64_t)(uintptr_t)n;
	if (!n->rng)
		n->rng = 88172645463325252ull;
	int rc = 0;
	for (size_t i = 0; !rc && i < o->alertmanager.n; i++)
		rc = add_sink(n, 1, o->alertmanager.v[i], err, errlen);
	for (size_t i = 0; !rc && i < o->webhook.n; i++)
		rc = add_sink(n, 0, o->webhook.v[i], err, errlen);
	if (!rc && o->bearer) {
		char why[256];
		rc = tm_secret_read(o->bearer, 0, &n->bearer, why, sizeof(why));
		if (rc)
			snprintf(err, errlen, "--alertmanager-bearer-token: %s", why);
	}
	if (!rc && o->generator_url) {
		struct tm_notify_pair g = { "generatorURL", o->generator_url };
		char *obj = pairs_json(&g, 1);
		size_t l = strlen(obj);
		n->generator_url = tm_xstrndup(obj + 1, l >= 2 ? l - 2 : 0);
		free(obj);
	}
	if (!rc && (rc = tm_http_new(&n->http, loop)) < 0) {
		char why[256] = "";
		if (rc == -ELIBACC)
			tm_curl_api(why, sizeof(why));
		snprintf(err, errlen, "cannot start the HTTP client (libcurl): %s", why[0] ? why : strerror(-rc));
	}
	if (rc) {
		tm_notify_free(n);
		return rc;
	}
	*out = n;
	return 0;
}

void tm_notify_free(struct tm_notify *n)
{
	if (!n)
		return;
	tm_http_free(n->http);       /* first: no callback may reach a freed sink */
	for (size_t i = 0; i < n->nsinks; i++) {
		struct sink *s = n->sinks[i];
		if (s->timer)
			tm_loop_timer_cancel(n->loop, s->timer);
		while (s->nq)
			entry_remove(s, s->nq - 1);
		free(s->q);
		tm_secret_free(s->url);
		free(s);
	}
	free(n->sinks);
	tm_secret_free(n->bearer);
	free(n->generator_url);
	free(n);
}

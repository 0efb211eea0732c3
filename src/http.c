/* http.c: libcurl's multi interface on the daemon's loop (see http.h).
 *
 * Key decision: the socket API (curl_multi_socket_action), not curl_multi_perform or a thread:
 * libcurl's sockets are ordinary loop fds and its one timeout is a one-shot loop timer, so a
 * slow, hanging or absent receiver costs the loop nothing but a few callbacks. Sockets are
 * removed from the loop before libcurl closes them (CURLOPT_CLOSESOCKETFUNCTION), so a reused fd
 * number never reaches a stale callback. Must not: block (no curl_easy_perform), print, or turn
 * TLS verification off.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dynlib.h"
#include "http.h"
#include "trainmon/xalloc.h"
#include "banned.h"

#define BODY_KEEP 200               /* bytes of a response body kept for the log */

struct req {                        /* one running POST */
	uint64_t handle;
	CURL *easy;                 /* owned */
	struct curl_slist *hdrs;    /* owned */
	char body[BODY_KEEP + 1];   /* the response's first bytes */
	size_t nbody;
	char errbuf[CURL_ERROR_SIZE];
	tm_http_done_fn done;
	void *ctx;                  /* borrowed */
};

struct sock {                       /* a socket libcurl asked us to watch */
	int fd;
	uint32_t events;            /* EPOLLIN | EPOLLOUT */
};

struct tm_http {
	struct tm_loop *loop;       /* borrowed */
	CURLM *multi;               /* owned */
	struct req **reqs;          /* owned array of owned */
	size_t nreqs, capreqs;
	struct sock *socks;         /* owned: what the loop watches for libcurl */
	size_t nsocks, capsocks;
	uint64_t timer;             /* loop timer id, 0 none */
	int64_t timer_due;          /* loop clock ms of libcurl's timeout, -1 none (for drain) */
	uint64_t next_handle;
	int global;                 /* curl_global_init succeeded (balanced in free) */
	const struct tm_curl_api *C;/* libcurl (dynlib.h) */
};

static struct sock *sock_find(struct tm_http *h, int fd)
{
	for (size_t i = 0; i < h->nsocks; i++)
		if (h->socks[i].fd == fd)
			return &h->socks[i];
	return NULL;
}

static void sock_forget(struct tm_http *h, int fd)
{
	struct sock *s = sock_find(h, fd);
	if (!s)
		return;
	tm_loop_del_fd(h->loop, fd);
	*s = h->socks[--h->nsocks];
}

static void finish_done(struct tm_http *h);

static void on_fd(void *ctx, int fd, uint32_t events)
{
	struct tm_http *h = ctx;
	int flags = 0, running;
	if (events & (EPOLLIN | EPOLLHUP))
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (events & EPOLLERR)
		flags |= CURL_CSELECT_ERR;
	h->C->multi_socket_action(h->multi, fd, flags, &running);
	finish_done(h);
}

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct tm_http *h = userp;
	(void)easy;
	(void)socketp;
	if (what == CURL_POLL_REMOVE) {
		sock_forget(h, fd);
		return 0;
	}
	uint32_t ev = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
	struct sock *s = sock_find(h, fd);
	if (s) {
		s->events = ev;
		tm_loop_mod_fd(h->loop, fd, ev);
		return 0;
	}
	if (tm_loop_add_fd(h->loop, fd, ev, on_fd, h) < 0)
		return -1;               /* libcurl fails that transfer */
	tm_xgrow((void **)&h->socks, &h->capsocks, h->nsocks + 1, sizeof(*h->socks));
	h->socks[h->nsocks++] = (struct sock){ fd, ev };
	return 0;
}

/* Close-on-exec: an --exec hook (fork + exec) must not inherit a connection. */
static curl_socket_t open_cb(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
	(void)clientp;
	(void)purpose;
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/* Out of the loop before the fd number can be reused. */
static int close_cb(void *clientp, curl_socket_t fd)
{
	sock_forget(clientp, fd);
	return close(fd);
}

static void on_timer(void *ctx, uint64_t now)
{
	struct tm_http *h = ctx;
	int running;
	(void)now;
	h->timer = 0;
	h->timer_due = -1;
	h->C->multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	finish_done(h);
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct tm_http *h = userp;
	(void)multi;
	if (h->timer)
		tm_loop_timer_cancel(h->loop, h->timer);
	h->timer = 0;
	h->timer_due = -1;
	if (timeout_ms >= 0) {
		h->timer = tm_loop_timer_add(h->loop, (uint64_t)timeout_ms, 0, on_timer, h);
		h->timer_due = (int64_t)(tm_loop_now(h->loop) + (uint64_t)timeout_ms);
	}
	return 0;
}

static size_t write_cb(char *p, size_t size, size_t n, void *userp)
{
	struct req *r = userp;
	size_t len = size * n, room = BODY_KEEP - r->nbody;
	size_t k = len < room ? len : room;
	memcpy(r->body + r->nbody, p, k);
	r->nbody += k;
	r->body[r->nbody] = '\0';
	return len;
}

int tm_http_new(struct tm_http **out, struct tm_loop *loop)
{
	*out = NULL;
	struct tm_http *h = tm_xcalloc(1, sizeof(*h));
	h->loop = loop;
	h->timer_due = -1;
	h->C = tm_curl_api(NULL, 0);
	if (!h->C) {
		free(h);
		return -ELIBACC;
	}
	h->global = h->C->global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
	h->multi = h->global ? h->C->multi_init() : NULL;
	if (!h->multi) {
		tm_http_free(h);
		return -ENOMEM;
	}
	h->C->multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	h->C->multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	h->C->multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	h->C->multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	*out = h;
	return 0;
}

static void req_free(struct tm_http *h, struct req *r)
{
	h->C->multi_remove_handle(h->multi, r->easy);
	h->C->easy_cleanup(r->easy);
	h->C->slist_free_all(r->hdrs);
	free(r);
}

static struct req *req_take(struct tm_http *h, size_t i)
{
	struct req *r = h->reqs[i];
	memmove(&h->reqs[i], &h->reqs[i + 1], (h->nreqs - i - 1) * sizeof(*h->reqs));
	h->nreqs--;
	return r;
}

void tm_http_free(struct tm_http *h)
{
	if (!h)
		return;
	while (h->nreqs)
		req_free(h, req_take(h, h->nreqs - 1));
	if (h->multi)
		h->C->multi_cleanup(h->multi);
	while (h->nsocks)
		sock_forget(h, h->socks[0].fd);
	if (h->timer)
		tm_loop_timer_cancel(h->loop, h->timer);
	if (h->global)
		h->C->global_cleanup();
	free(h->reqs);
	free(h->socks);
	free(h);
}

/* Hands every finished transfer to its callback (which may start others). */
static void finish_done(struct tm_http *h)
{
	CURLMsg *m;
	int left;
	while ((m = h->C->multi_info_read(h->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		size_t i;
		for (i = 0; i < h->nreqs && h->reqs[i]->easy != m->easy_handle; i++)
			;
		if (i == h->nreqs)
			continue;
		struct req *r = req_take(h, i);
		CURLcode rc = m->data.result;
		struct tm_http_result res = { 0 };
		if (rc == CURLE_OK) {
			h->C->easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &res.status);
			if (res.status >= 400)
				snprintf(res.error, sizeof(res.error), "%s", r->body);
		} else {
			res.transport = 1;
			res.timed_out = rc == CURLE_OPERATION_TIMEDOUT;
			snprintf(res.error, sizeof(res.error), "%s", r->errbuf[0] ? r->errbuf : h->C->easy_strerror(rc));
		}
		/* one line for the log: no control bytes from a response body */
		for (char *c = res.error; *c; c++)
			if ((unsigned char)*c < 0x20)
				*c = ' ';
		tm_http_done_fn done = r->done;
		void *ctx = r->ctx;
		req_free(h, r);
		done(ctx, &res);
	}
}

uint64_t tm_http_start(struct tm_http *h, const struct tm_http_post *p)
{
	struct req *r = tm_xcalloc(1, sizeof(*r));
	char line[4200];
	r->easy = h->C->easy_init();
	if (!r->easy) {
		free(r);
		return 0;
	}
	r->done = p->done;
	r->ctx = p->ctx;
	snprintf(line, sizeof(line), "Content-Type: %s", p->content_type ? p->content_type : "application/json");
	r->hdrs = h->C->slist_append(r->hdrs, line);
	r->hdrs = h->C->slist_append(r->hdrs, "Expect:");   /* no 100-continue round trip */
	if (p->bearer) {
		snprintf(line, sizeof(line), "Authorization: Bearer %s", p->bearer);
		r->hdrs = h->C->slist_append(r->hdrs, line);
		explicit_bzero(line, sizeof(line));
	}
	if (p->idempotency_key) {
		snprintf(line, sizeof(line), "Idempotency-Key: %s", p->idempotency_key);
		r->hdrs = h->C->slist_append(r->hdrs, line);
	}
	CURL *e = r->easy;
	h->C->easy_setopt(e, CURLOPT_URL, p->url);
	h->C->easy_setopt(e, CURLOPT_POST, 1L);
	h->C->easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)p->len);
	h->C->easy_setopt(e, CURLOPT_COPYPOSTFIELDS, p->body);
	h->C->easy_setopt(e, CURLOPT_HTTPHEADER, r->hdrs);
	h->C->easy_setopt(e, CURLOPT_USERAGENT, "trainmon/" TM_VERSION);
	h->C->easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(p->timeout_s * 1000));
	h->C->easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(p->connect_timeout_s * 1000));
	h->C->easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	h->C->easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	h->C->easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	h->C->easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	h->C->easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	h->C->easy_setopt(e, CURLOPT_WRITEDATA, r);
	h->C->easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	h->C->easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_cb);
	h->C->easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, close_cb);
	h->C->easy_setopt(e, CURLOPT_CLOSESOCKETDATA, h);
	r->handle = ++h->next_handle;
	tm_xgrow((void **)&h->reqs, &h->capreqs, h->nreqs + 1, sizeof(*h->reqs));
	h->reqs[h->nreqs++] = r;
	if (h->C->multi_add_handle(h->multi, e) != CURLM_OK) {
		req_free(h, req_take(h, h->nreqs - 1));
		return 0;
	}
	return r->handle;
}

size_t tm_http_drain(struct tm_http *h, int ms)
{
	if (!h)
		return 0;
	uint64_t end = tm_loop_now(h->loop) + (uint64_t)(ms > 0 ? ms : 0);
	struct pollfd pf[64];
	while (h->nreqs) {
		uint64_t now = tm_loop_now(h->loop);
		if (now >= end)
			break;
		int64_t wait = (int64_t)(end - now);
		if (h->timer_due >= 0)
			wait = h->timer_due > (int64_t)now ? (h->timer_due - (int64_t)now < wait ? h->timer_due - (int64_t)now : wait) : 0;
		nfds_t n = 0;
		for (size_t i = 0; i < h->nsocks && n < 64; i++, n++)
			pf[n] = (struct pollfd){ .fd = h->socks[i].fd,
						 .events = (short)((h->socks[i].events & EPOLLIN ? POLLIN : 0) |
								   (h->socks[i].events & EPOLLOUT ? POLLOUT : 0)) };
		int k = poll(pf, n, (int)(wait > 100 ? 100 : wait));
		if (k < 0 && errno != EINTR)
			break;
		for (nfds_t i = 0; k > 0 && i < n; i++) {
			if (!pf[i].revents || !sock_find(h, pf[i].fd))
				continue;
			uint32_t ev = (pf[i].revents & POLLIN ? EPOLLIN : 0) | (pf[i].revents & POLLOUT ? EPOLLOUT : 0) |
				      (pf[i].revents & POLLERR ? EPOLLERR : 0) | (pf[i].revents & POLLHUP ? EPOLLHUP : 0);
			on_fd(h, pf[i].fd, ev);
		}
		if (h->timer_due >= 0 && (int64_t)tm_loop_now(h->loop) >= h->timer_due) {
			if (h->timer)
				tm_loop_timer_cancel(h->loop, h->timer);
			on_timer(h, tm_loop_now(h->loop));
		}
	}
	return h->nreqs;
}

int tm_http_url_name(const char *url, char *out, size_t n)
{
	const struct tm_curl_api *C = tm_curl_api(out, n);
	if (!C)
		return -2;
	CURLU *u = C->url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	int rc = -1;
	if (!u) {
		snprintf(out, n, "out of memory");
		return -1;
	}
	CURLUcode uc = C->url_set(u, CURLUPART_URL, url, 0);
	if (uc != CURLUE_OK) {
		snprintf(out, n, "%s", C->url_strerror(uc));
	} else if (C->url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
		   (strcmp(scheme, "http") && strcmp(scheme, "https"))) {
		snprintf(out, n, "not an http:// or https:// URL");
	} else if (C->url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host) {
		snprintf(out, n, "no host");
	} else {
		C->url_get(u, CURLUPART_PORT, &port, 0);
		snprintf(out, n, "%s://%s%s%s", scheme, host, port ? ":" : "", port ? port : "");
		rc = 0;
	}
	C->free(scheme);
	C->free(host);
	C->free(port);
	C->url_cleanup(u);
	return rc;
}

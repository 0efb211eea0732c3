/* http_get.c: one HTTP/1.1 GET on the caller's tm_loop (http_get.h).
 *
 * States: connecting (EPOLLOUT), sending the request (EPOLLOUT), reading until the response is
 * complete or the server closes (EPOLLIN); a one-shot loop timer is the deadline. The request says
 * `Connection: close`, so each refresh is one short connection. Completion removes the fd and the
 * timer first and calls the callback last: the callback may free the request. Must not: block
 * (but for getaddrinfo, see the header), print, or keep more than max_bytes.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "trainmon/http_get.h"
#include "trainmon/appendf.h"
#include "trainmon/xalloc.h"
#include "banned.h"

struct tm_http_get {
	struct tm_loop *loop;        /* borrowed */
	int fd;                      /* owned, -1 when finished */
	uint64_t timer;              /* the deadline's timer id, 0 none */
	int connected;
	char req[1400];              /* the request */
	size_t reqlen, sent;
	char *buf;                   /* owned: the response so far */
	size_t len, cap, max;
	tm_http_done_fn fn;
	void *ctx;                   /* borrowed */
};

int tm_url_parse(const char *url, struct tm_url *u, char *err, size_t errlen)
{
	*u = (struct tm_url){ .port = "80", .path = "/metrics" };
	if (strncasecmp(url, "http://", 7) != 0)
		return tm_errf(err, errlen, "'%s': only http:// URLs are read (e.g. http://127.0.0.1:9464/metrics)", url);
	const char *h = url + 7, *slash = strchr(h, '/');
	size_t hostport = slash ? (size_t)(slash - h) : strlen(h);
	const char *hend = h + hostport, *colon = NULL;
	if (*h == '[') {                      /* [v6]:port */
		const char *rb = memchr(h, ']', hostport);
		if (!rb)
			return tm_errf(err, errlen, "'%s': unclosed '[' in the host", url);
		if (rb + 1 < hend && rb[1] != ':')
			return tm_errf(err, errlen, "'%s': ':' expected after ']'", url);
		colon = rb + 1 < hend ? rb + 1 : NULL;
		h++;
		hend = rb;
	} else {
		colon = memchr(h, ':', hostport);
		if (colon)
			hend = colon;
	}
	size_t hl = (size_t)(hend - h);
	if (hl == 0 || hl >= sizeof(u->host) || memchr(h, '@', hl))
		return tm_errf(err, errlen, "'%s': no host, or an unusable one", url);
	memcpy(u->host, h, hl);
	u->host[hl] = '\0';
	if (colon) {
		const char *p = colon + 1, *pend = (slash ? slash : p + strlen(p));
		size_t pl = (size_t)(pend - p);
		long v = 0;
		for (size_t i = 0; i < pl; i++)
			v = p[i] >= '0' && p[i] <= '9' && v < 100000 ? v * 10 + (p[i] - '0') : 100000;
		if (pl == 0 || v < 1 || v > 65535)
			return tm_errf(err, errlen, "'%s': the port is not a number from 1 to 65535", url);
		snprintf(u->port, sizeof(u->port), "%ld", v);
	}
	if (slash && slash[1]) {
		if (strlen(slash) >= sizeof(u->path))
			return tm_errf(err, errlen, "'%s': the path is too long", url);
		for (const char *c = slash; *c; c++)
			if ((unsigned char)*c <= ' ' || *c == 0x7f)
				return tm_errf(err, errlen, "'%s': a blank or control character in the path", url);
		snprintf(u->path, sizeof(u->path), "%s", slash);
	}
	return 0;
}

/* The chunked body at p (n bytes) decoded in place; returns its length, -2 incomplete, -1 bad. */
static long dechunk(char *p, size_t n)
{
	size_t in = 0, out = 0;
	for (;;) {
		char *crlf = memmem(p + in, n - in, "\r\n", 2);
		if (!crlf)
			return -2;
		size_t size = 0, digits = 0;
		for (char *c = p + in; c < crlf && *c != ';'; c++, digits++) {
			int x = *c >= '0' && *c <= '9' ? *c - '0' : (*c | 0x20) >= 'a' && (*c | 0x20) <= 'f' ? (*c | 0x20) - 'a' + 10 : -1;
			if (x < 0 || size > ((size_t)1 << 40))
				return -1;
			size = size * 16 + (size_t)x;
		}
		if (!digits)
			return -1;
		in = (size_t)(crlf - p) + 2;
		if (size == 0)
			return (long)out;   /* trailers are not needed */
		if (n - in < size + 2)
			return -2;
		if (memcmp(p + in + size, "\r\n", 2) != 0)
			return -1;
		memmove(p + out, p + in, size);
		out += size;
		in += size + 2;
	}
}

int tm_http_response(char *buf, size_t len, int eof, int *status, char **body, size_t *bodylen, char *err,
		     size_t errlen)
{
	char *hend = memmem(buf, len, "\r\n\r\n", 4);
	if (!hend) {
		if (eof)
			return tm_errf(err, errlen, "the server closed the connection before the end of the headers");
		return 1;
	}
	if (len < 12 || memcmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ' || buf[9] < '1' || buf[9] > '5' ||
	    buf[10] < '0' || buf[10] > '9' || buf[11] < '0' || buf[11] > '9')
		return tm_errf(err, errlen, "not an HTTP/1.x response");
	*status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	long clen = -1;
	int chunked = 0;
	/* the status line ends at hend at the latest: every header line is found before hend + 2 */
	for (char *l = (char *)memmem(buf, (size_t)(hend - buf) + 2, "\r\n", 2) + 2; l < hend + 2;) {
		char *e = memmem(l, (size_t)(hend + 2 - l), "\r\n", 2);
		size_t ll = (size_t)(e - l);
		if (ll > 15 && strncasecmp(l, "content-length:", 15) == 0) {
			char *c = l + 15;
			while (c < e && (*c == ' ' || *c == '\t'))
				c++;
			clen = 0;
			if (c == e)
				clen = -2;
			for (; c < e && clen >= 0; c++)
				clen = *c >= '0' && *c <= '9' && clen < (1L << 40) ? clen * 10 + (*c - '0') : -2;
			if (clen < 0)
				return tm_errf(err, errlen, "a malformed Content-Length");
		} else if (ll > 18 && strncasecmp(l, "transfer-encoding:", 18) == 0) {
			chunked = memmem(l, ll, "chunked", 7) != NULL;
		}
		l = e + 2;
	}
	char *b = hend + 4;
	size_t have = len - (size_t)(b - buf);
	*body = b;
	if (chunked) {
		long n = dechunk(b, have);
		if (n == -1)
			return tm_errf(err, errlen, "a malformed chunked body");
		if (n == -2)
			return eof ? tm_errf(err, errlen, "the server closed the connection inside a chunked body") : 1;
		*bodylen = (size_t)n;
		return 0;
	}
	if (clen >= 0) {
		if (have < (size_t)clen)
			return eof ? tm_errf(err, errlen, "the server closed the connection %zu bytes before the body's end",
					  (size_t)clen - have) : 1;
		*bodylen = (size_t)clen;
		return 0;
	}
	if (!eof)
		return 1;
	*bodylen = have;
	return 0;
}

/* Ends the request: fd and timer gone first, the callback last (it may free g). */
static void finish(struct tm_http_get *g, int status, const char *body, size_t len, const char *err)
{
	if (g->fd >= 0) {
		tm_loop_del_fd(g->loop, g->fd);
		close(g->fd);
		g->fd = -1;
	}
	if (g->timer)
		tm_loop_timer_cancel(g->loop, g->timer);
	g->timer = 0;
	g->fn(g->ctx, status, body, len, err);
}

static void on_deadline(void *ctx, uint64_t now)
{
	(void)now;
	struct tm_http_get *g = ctx;
	g->timer = 0;
	finish(g, 0, NULL, 0, "no complete response before the deadline");
}

static void on_fd(void *ctx, int fd, uint32_t events)
{
	struct tm_http_get *g = ctx;
	char err[300];
	if (!g->connected) {
		int e = 0;
		socklen_t sl = sizeof(e);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) < 0)
			e = errno;
		if (e) {
			snprintf(err, sizeof(err), "connect: %s", strerror(e));
			finish(g, 0, NULL, 0, err);
			return;
		}
		g->connected = 1;
	}
	if (g->sent < g->reqlen) {
		ssize_t n = send(fd, g->req + g->sent, g->reqlen - g->sent, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			snprintf(err, sizeof(err), "send: %s", strerror(errno));
			finish(g, 0, NULL, 0, err);
			return;
		}
		if (n > 0)
			g->sent += (size_t)n;
		if (g->sent == g->reqlen)
			tm_loop_mod_fd(g->loop, fd, EPOLLIN);
		return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	if (g->cap - g->len < 4096) {
		size_t want = g->cap ? g->cap * 2 : 65536;
		if (want > g->max + 1)
			want = g->max + 1;
		if (want <= g->len) {
			snprintf(err, sizeof(err), "the response is larger than %zu bytes", g->max);
			finish(g, 0, NULL, 0, err);
			return;
		}
		g->buf = tm_xrealloc(g->buf, want + 1);
		g->cap = want;
	}
	ssize_t n = recv(fd, g->buf + g->len, g->cap - g->len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		snprintf(err, sizeof(err), "recv: %s", strerror(errno));
		finish(g, 0, NULL, 0, err);
		return;
	}
	g->len += (size_t)n;
	int status = 0;
	char *body;
	size_t blen;
	int rc = tm_http_response(g->buf, g->len, n == 0, &status, &body, &blen, err, sizeof(err));
	if (rc == 1)
		return;
	if (rc < 0)
		finish(g, 0, NULL, 0, err);
	else
		finish(g, status, body, blen, NULL);
}

int tm_http_get_start(struct tm_http_get **out, struct tm_loop *loop, const struct tm_url *u, uint64_t timeout_ms,
		      size_t max_bytes, tm_http_done_fn fn, void *ctx, char *err, size_t errlen)
{
	*out = NULL;
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	int rc = getaddrinfo(u->host, u->port, &hints, &ai);
	if (rc) {
		snprintf(err, errlen, "%s: %s", u->host, gai_strerror(rc));
		return rc == EAI_SYSTEM ? -errno : -EHOSTUNREACH;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		int e = errno;
		freeaddrinfo(ai);
		snprintf(err, errlen, "socket: %s", strerror(e));
		return -e;
	}
	rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
	int e = errno;
	freeaddrinfo(ai);
	if (rc < 0 && e != EINPROGRESS) {
		close(fd);
		snprintf(err, errlen, "connect to %s:%s: %s", u->host, u->port, strerror(e));
		return -e;
	}
	struct tm_http_get *g = tm_xcalloc(1, sizeof(*g));
	*g = (struct tm_http_get){ .loop = loop, .fd = fd, .max = max_bytes, .fn = fn, .ctx = ctx };
	int v6 = strchr(u->host, ':') != NULL;
	g->reqlen = (size_t)snprintf(g->req, sizeof(g->req),
				     "GET %s HTTP/1.1\r\nHost: %s%s%s:%s\r\nUser-Agent: trainmon/%s\r\n"
				     "Accept: text/plain;version=0.0.4\r\nConnection: close\r\n\r\n",
				     u->path, v6 ? "[" : "", u->host, v6 ? "]" : "", u->port, TM_VERSION);
	if (g->reqlen >= sizeof(g->req)) {
		close(fd);
		free(g);
		snprintf(err, errlen, "the request is too long");
		return -EINVAL;
	}
	rc = tm_loop_add_fd(loop, fd, EPOLLOUT, on_fd, g);
	if (rc < 0) {
		close(fd);
		free(g);
		snprintf(err, errlen, "epoll: %s", strerror(-rc));
		return rc;
	}
	g->timer = tm_loop_timer_add(loop, timeout_ms, 0, on_deadline, g);
	*out = g;
	return 0;
}

void tm_http_get_free(struct tm_http_get *g)
{
	if (!g)
		return;
	if (g->fd >= 0) {
		tm_loop_del_fd(g->loop, g->fd);
		close(g->fd);
	}
	if (g->timer)
		tm_loop_timer_cancel(g->loop, g->timer);
	free(g->buf);
	free(g);
}

/* http.h (src/): HTTP POSTs through libcurl's multi interface, driven by the daemon's tm_loop.
 *
 * libcurl tells us which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to call it back
 * (CURLMOPT_TIMERFUNCTION); both become loop fds and one-shot loop timers, so a request never
 * blocks the loop: name resolution runs in libcurl's resolver thread, connects, TLS handshakes,
 * writes and reads are non-blocking. Each request has a connect and a total timeout; TLS peers
 * are verified (libcurl's defaults, never turned off here). The response body is discarded but
 * for its first bytes (for the log). Nothing here prints or reads a clock but the loop's.
 */
#ifndef TRAINMON_SRC_HTTP_H
#define TRAINMON_SRC_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "trainmon/loop.h"

struct tm_http;

struct tm_http_result {
	long status;                /* HTTP status, 0 when no response came (see error) */
	int transport;              /* 1: the request failed before a status (connect, DNS, TLS, timeout) */
	int timed_out;              /* the total or connect timeout struck */
	char error[256];            /* libcurl's message (never the URL's path or query), or the
				       response body's first bytes for a status >= 400; "" none */
};

/* Called once per request that was not cancelled, from inside a loop callback (or from
 * tm_http_drain). The request's memory is gone when it returns. */
typedef void (*tm_http_done_fn)(void *ctx, const struct tm_http_result *r);

struct tm_http_post {
	const char *url;            /* borrowed for the call (libcurl copies it) */
	const char *body;           /* copied */
	size_t len;
	const char *content_type;   /* "application/json" */
	const char *bearer;         /* "Authorization: Bearer ..." when not NULL (copied) */
	const char *idempotency_key; /* "Idempotency-Key: ..." when not NULL (copied) */
	double timeout_s, connect_timeout_s; /* s, > 0 */
	tm_http_done_fn done;
	void *ctx;                  /* borrowed: must outlive the request (or cancel it) */
};

/* Returns 0 with *out, or -errno: -ELIBACC when libcurl cannot be loaded (tm_curl_api says why),
 * -ENOMEM when it could not be initialised. loop is borrowed and must outlive the client. */
int tm_http_new(struct tm_http **out, struct tm_loop *loop);
/* Cancels every running request (no callbacks) and frees everything. NULL is a no-op. */
void tm_http_free(struct tm_http *h);

/* Starts a POST. Returns a handle > 0, or 0 when libcurl refused it (then done is never called). */
uint64_t tm_http_start(struct tm_http *h, const struct tm_http_post *p);
/* A URL's name that can be shown: "scheme://host" with ":port" when one is given; no user, password,
 * path or query (a webhook's path is its secret). Returns 0, or -1 when url is not an http or
 * https URL with a host (out then holds libcurl's reason), or -2 when libcurl cannot be loaded
 * (out says why). */
int tm_http_url_name(const char *url, char *out, size_t n);

/* At exit, after the loop stopped: drives the running requests with poll() for at most ms
 * milliseconds (their done callbacks run). Returns the number still running. */
size_t tm_http_drain(struct tm_http *h, int ms);

#endif

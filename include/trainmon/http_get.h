/* http_get.h: one plain HTTP/1.1 GET on a tm_loop, for `trainmon top --from URL` (a daemon's
 * /metrics). Non-blocking connect, write and read, a deadline for the whole request, a cap on the
 * response; Content-Length, chunked and close-delimited bodies.
 *
 * Only http:// URLs (the daemon serves no TLS). The host name is resolved with getaddrinfo(),
 * which blocks: give an address or a name in /etc/hosts. The response is parsed by a pure
 * function (tm_http_response) the unit tests call directly. Errors are values; nothing prints.
 */
#ifndef TRAINMON_HTTP_GET_H
#define TRAINMON_HTTP_GET_H

#include <stddef.h>
#include <stdint.h>

#include "trainmon/loop.h"

struct tm_url {
	char host[256];              /* without brackets for IPv6 */
	char port[8];                /* "80" when none is given */
	char path[1024];             /* "/" when none is given; query kept */
};

/* Splits http://HOST[:PORT][/PATH]; a URL without a path gets "/metrics". Returns 0, or -1 with
 * the reason in err. */
int tm_url_parse(const char *url, struct tm_url *u, char *err, size_t errlen);

/* A complete response (read to the end of its body) in buf: its status and body. A chunked body
 * is decoded in place. Returns 0, 1 when more bytes are needed (eof 0), or -1 with the reason
 * in err (a malformed response, or eof before the body ends). */
int tm_http_response(char *buf, size_t len, int eof, int *status, char **body, size_t *bodylen, char *err,
		     size_t errlen);

struct tm_http_get;

/* The result: status and body (borrowed until the callback returns) on success; err is NULL
 * then, or the reason the request failed (body NULL, status 0). */
typedef void (*tm_http_done_fn)(void *ctx, int status, const char *body, size_t len, const char *err);

/* Starts a GET of u on loop; fn is called once, from a loop callback, and the request is then
 * finished: free it from fn (once done with the body, which lives in its buffer) or later. Returns 0 or -errno (socket,
 * resolution: the reason in err). */
int tm_http_get_start(struct tm_http_get **out, struct tm_loop *loop, const struct tm_url *u, uint64_t timeout_ms,
		      size_t max_bytes, tm_http_done_fn fn, void *ctx, char *err, size_t errlen);
/* Cancels a request still running (fn is not called), and frees it. NULL is a no-op. */
void tm_http_get_free(struct tm_http_get *g);

#endif

/* test_http.c: the HTTP client's pure parts (src/http_get.c): URLs split into host, port and
 * path (IPv6 brackets, defaults, bad ports and schemes refused), and responses with
 * Content-Length, chunked and close-delimited bodies, incomplete ones asking for more bytes, and
 * malformed ones refused with a reason. The request itself is tested against a real daemon
 * (tests/top/from.sh). */
#include "tm_test.h"
#include "trainmon/http_get.h"

static void check_url(struct tm_test_state *st, const char *url, const char *host, const char *port, const char *path)
{
	struct tm_url u;
	char err[300] = "";
	int rc = tm_url_parse(url, &u, err, sizeof(err));
	TM_CHECK(st, rc == 0);
	if (rc) {
		fprintf(stderr, "  %s: %s\n", url, err);
		return;
	}
	TM_STREQ(st, u.host, host);
	TM_STREQ(st, u.port, port);
	TM_STREQ(st, u.path, path);
}

static void check_bad_url(struct tm_test_state *st, const char *url)
{
	struct tm_url u;
	char err[300] = "";
	TM_CHECK(st, tm_url_parse(url, &u, err, sizeof(err)) == -1 && err[0]);
}

/* resp parsed at eof: want_rc, and when 0 the status and body */
static void check_resp(struct tm_test_state *st, const char *resp, int eof, int want_rc, int want_status,
		       const char *want_body)
{
	char buf[512];
	size_t n = strlen(resp);
	memcpy(buf, resp, n + 1);
	int status = 0;
	char *body = NULL, err[300] = "";
	size_t blen = 0;
	int rc = tm_http_response(buf, n, eof, &status, &body, &blen, err, sizeof(err));
	TM_CHECK(st, rc == want_rc);
	if (rc != want_rc)
		fprintf(stderr, "  rc %d (%s) for %s\n", rc, err, resp);
	if (rc == -1)
		TM_CHECK(st, err[0] != '\0');
	if (rc != 0 || want_rc != 0)
		return;
	TM_CHECK(st, status == want_status);
	TM_CHECK(st, blen == strlen(want_body) && memcmp(body, want_body, blen) == 0);
}

int main(void)
{
	struct tm_test_state st = { 0 };
	check_url(&st, "http://127.0.0.1:9464/metrics", "127.0.0.1", "9464", "/metrics");
	check_url(&st, "http://localhost:9464", "localhost", "9464", "/metrics");
	check_url(&st, "HTTP://example.org/", "example.org", "80", "/metrics");
	check_url(&st, "http://example.org/x/y?z=1", "example.org", "80", "/x/y?z=1");
	check_url(&st, "http://[::1]:9464/metrics", "::1", "9464", "/metrics");
	check_url(&st, "http://[::1]", "::1", "80", "/metrics");
	check_bad_url(&st, "https://127.0.0.1:9464/metrics");
	check_bad_url(&st, "127.0.0.1:9464");
	check_bad_url(&st, "http://:9464/");
	check_bad_url(&st, "http://h:0/");
	check_bad_url(&st, "http://h:65536/");
	check_bad_url(&st, "http://h:12a/");
	check_bad_url(&st, "http://h:/");
	check_bad_url(&st, "http://[::1/");
	check_bad_url(&st, "http://[::1]x/");
	check_bad_url(&st, "http://user@h/");
	check_bad_url(&st, "http://h/a b");

	check_resp(&st, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 0, 0, 200, "hello");
	check_resp(&st, "HTTP/1.1 200 OK\r\ncontent-length:5\r\n\r\nhel", 0, 1, 0, "");
	check_resp(&st, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", 1, -1, 0, "");
	check_resp(&st, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 0, 0, 404, "");
	check_resp(&st, "HTTP/1.0 200 OK\r\n\r\nto the end", 0, 1, 0, "");
	check_resp(&st, "HTTP/1.0 200 OK\r\n\r\nto the end", 1, 0, 200, "to the end");
	check_resp(&st, "HTTP/1.1 200 OK\r\n\r\n", 1, 0, 200, "");
	check_resp(&st, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7;x=y\r\n, world\r\n0\r\n\r\n",
		   0, 0, 200, "hello, world");
	check_resp(&st, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", 0, 1, 0, "");
	check_resp(&st, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", 1, -1, 0, "");
	check_resp(&st, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 0, -1, 0, "");
	check_resp(&st, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n", 0, -1, 0, "");
	check_resp(&st, "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", 0, -1, 0, "");
	check_resp(&st, "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", 0, -1, 0, "");
	check_resp(&st, "SSH-2.0-OpenSSH\r\n\r\n", 0, -1, 0, "");
	check_resp(&st, "HTTP/1.1 200 OK\r\nContent-Le", 0, 1, 0, "");
	check_resp(&st, "HTTP/1.1 200 OK\r\nContent-Le", 1, -1, 0, "");
	check_resp(&st, "HTTP/1.1 2", 1, -1, 0, "");
	return tm_test_done(&st, "test_http");
}

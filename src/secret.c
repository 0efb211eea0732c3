/* secret.c: "env:NAME" and "file:PATH" values (see secret.h).
 *
 * A file is read through io.c's bound (64 KiB: a URL or a token, never a log); only its first line
 * counts, so a file written with `echo` works. Secrets are wiped before they are freed. Must not:
 * put a secret into err.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secret.h"
#include "trainmon/io.h"
#include "trainmon/xalloc.h"
#include "banned.h"

#define SECRET_MAX (64u << 10)

int tm_secret_read(const char *spec, int literal_ok, char **out, char *err, size_t errlen)
{
	*out = NULL;
	char *v = NULL;
	if (strncmp(spec, "env:", 4) == 0) {
		const char *e = getenv(spec + 4);
		if (!e || !*e) {
			snprintf(err, errlen, "environment variable '%s' is %s", spec + 4, e ? "empty" : "not set");
			return 1;
		}
		v = tm_xstrdup(e);
	} else if (strncmp(spec, "file:", 5) == 0) {
		size_t len;
		int rc = tm_read_small_file(spec + 5, SECRET_MAX, &v, &len);
		if (rc < 0) {
			snprintf(err, errlen, "%s: %s", spec + 5, rc == -EFBIG ? "larger than 64 KiB" : strerror(-rc));
			return rc;
		}
		v[strcspn(v, "\r\n")] = '\0';
	} else if (literal_ok) {
		v = tm_xstrdup(spec);
	} else {
		snprintf(err, errlen, "give it as env:NAME or file:PATH (a literal would show in ps and logs)");
		return 1;
	}
	size_t n = strlen(v);
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		v[--n] = '\0';
	if (!n) {
		tm_secret_free(v);
		snprintf(err, errlen, "%s is empty", strncmp(spec, "file:", 5) == 0 ? "the file's first line" : "the value");
		return 1;
	}
	*out = v;
	return 0;
}

void tm_secret_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

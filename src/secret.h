/* secret.h (src/): settings that must not appear on a command line: webhook URLs, Alertmanager
 * URLs with credentials, bearer tokens.
 *
 * One scheme: "env:NAME" is the value of the environment variable NAME, "file:PATH" the first
 * line of the file PATH (trailing whitespace removed); anything else is the value itself, where a
 * literal is allowed. The value is never part of an error message.
 */
#ifndef TRAINMON_SRC_SECRET_H
#define TRAINMON_SRC_SECRET_H

#include <stddef.h>

/* Resolves spec into *out (owned, free with tm_secret_free). literal_ok: a spec without env: or
 * file: is the value. Returns 0, 1 with a message in err for a usage error (no such variable, an
 * empty value, a literal where none is allowed), or -errno (the file cannot be read). */
int tm_secret_read(const char *spec, int literal_ok, char **out, char *err, size_t errlen);
/* Overwrites and frees. NULL is a no-op. */
void tm_secret_free(char *s);

#endif

/* runkey.c: run names and chain keys from a path alone (runkey.h).
 *
 * The chain key decides which daemon of a fleet follows a file (--shard), so it must not depend
 * on anything but the path below the watched root and the flags every daemon shares: no file
 * content, no time, no mount point. Must not: read files, allocate per call, print.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trainmon/runkey.h"
#include "banned.h"

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The start of the last path component ending before end. */
static const char *comp_start(const char *path, const char *end)
{
	const char *p = end;
	while (p > path && p[-1] != '/')
		p--;
	return p;
}

int tm_podlog_parse(const char *path, struct tm_podlog *out)
{
	const char *end = path + strlen(path);
	const char *file = comp_start(path, end);
	if (file == path)
		return 0;
	const char *cont = comp_start(path, file - 1);
	if (cont == path || cont == file - 1)
		return 0;
	const char *poddir = comp_start(path, cont - 1);
	/* <N>.log or a rotated <N>.log.<suffix> */
	const char *p = file;
	unsigned long restart = 0;
	while (p < end && is_digit(*p))
		restart = restart * 10 + (unsigned long)(*p++ - '0');
	if (p == file || p - file > 9 || strncmp(p, ".log", 4) != 0 || (p[4] && p[4] != '.'))
		return 0;
	const char *pend = cont - 1;
	const char *u1 = memchr(poddir, '_', (size_t)(pend - poddir));
	const char *u2 = pend;
	while (u2 > poddir && u2[-1] != '_')
		u2--;
	if (!u1 || u1 == poddir || u2 - 1 <= u1 + 1 || u2 == pend)
		return 0;           /* no namespace, no pod between the two '_', or no uid */
	*out = (struct tm_podlog){ .ns = poddir, .ns_len = (size_t)(u1 - poddir), .pod = u1 + 1,
				   .pod_len = (size_t)(u2 - 1 - (u1 + 1)), .uid = u2, .uid_len = (size_t)(pend - u2),
				   .container = cont, .container_len = (size_t)(file - 1 - cont), .restart = restart };
	return 1;
}

static void pod_key(const struct tm_podlog *pl, char *out, size_t n)
{
	snprintf(out, n, "%.*s/%.*s/%.*s", (int)pl->ns_len, pl->ns, (int)pl->pod_len, pl->pod, (int)pl->container_len,
		 pl->container);
}

void tm_run_name(const char *path, char *out, size_t n)
{
	struct tm_podlog pl;
	if (tm_podlog_parse(path, &pl)) {
		pod_key(&pl, out, n);
		return;
	}
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *dot = strrchr(base, '.');
	size_t stem = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	snprintf(out, n, "%.*s", (int)(stem < 4000 ? stem : 4000), base);
}

int tm_chainkey_init(struct tm_chainkey *k, const char *chain, const char *chain_by, char *err, size_t errlen)
{
	memset(k, 0, sizeof(*k));
	k->chain = chain;
	if (!chain_by)
		return 0;
	int ec;
	PCRE2_SIZE eoff;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)chain_by, PCRE2_ZERO_TERMINATED, 0, &ec, &eoff, NULL);
	if (!re) {
		PCRE2_UCHAR msg[200];
		pcre2_get_error_message(ec, msg, sizeof(msg));
		snprintf(err, errlen, "--chain-by: %s at offset %zu", (char *)msg, (size_t)eoff);
		return -1;
	}
	k->re = re;
	k->md = pcre2_match_data_create_from_pattern(re, NULL);
	return 0;
}

void tm_chainkey_release(struct tm_chainkey *k)
{
	pcre2_match_data_free(k->md);
	pcre2_code_free(k->re);
	memset(k, 0, sizeof(*k));
}

/* The job name of a file name (see tm_chainkey_of), into out. */
static void job_name(const char *name, char *out, size_t n)
{
	size_t len = strlen(name);
	const char *dot = NULL;
	/* a rotation number ("train.log.1"), then the extension */
	size_t e = len;
	while (e > 0 && is_digit(name[e - 1]))
		e--;
	if (e > 0 && e < len && name[e - 1] == '.')
		len = e - 1;
	for (size_t i = len; i > 0; i--)
		if (name[i - 1] == '.') {
			dot = name + i - 1;
			break;
		}
	if (dot && dot != name && name + len - dot <= 9)
		len = (size_t)(dot - name);
	size_t full = len;
	/* a job id ("-4417021", "_4417021"), and before an array task's "_3" the array's id */
	for (int part = 0; part < 2; part++) {
		size_t d = len;
		while (d > 0 && is_digit(name[d - 1]))
			d--;
		if (d == len || d < 2 || (name[d - 1] != '-' && name[d - 1] != '_'))
			break;
		char sep = name[d - 1];
		len = d - 1;
		if (sep != '_')
			break;
	}
	/* Slurm's default name says nothing of the job: keep the id */
	if (len == 0 || (len == 5 && strncmp(name, "slurm", 5) == 0))
		len = full;
	snprintf(out, n, "%.*s", (int)len, name);
}

enum tm_chainkey_how tm_chainkey_of(const struct tm_chainkey *k, const char *path, size_t root_len, char *out,
				    size_t n)
{
	if (k->chain) {
		snprintf(out, n, "%s", k->chain);
		return TM_CK_NAME;
	}
	if (k->re) {
		int rc = pcre2_match(k->re, (PCRE2_SPTR)path, strlen(path), 0, 0, k->md, NULL);
		if (rc >= 0) {
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(k->md);
			int g = rc > 1 && ov[2] != PCRE2_UNSET ? 1 : 0;
			snprintf(out, n, "%.*s", (int)(ov[2 * g + 1] - ov[2 * g]), path + ov[2 * g]);
			return TM_CK_REGEX;
		}
	}
	struct tm_podlog pl;
	if (tm_podlog_parse(path, &pl)) {
		pod_key(&pl, out, n);
		return TM_CK_POD;
	}
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *rel = root_len > 0 && root_len < strlen(path) && path[root_len] == '/' ? path + root_len + 1 : base;
	char job[1024];
	job_name(base, job, sizeof(job));
	snprintf(out, n, "%.*s%s", (int)(base - rel), rel, job);
	return TM_CK_JOB;
}

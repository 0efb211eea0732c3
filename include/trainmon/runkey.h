/* runkey.h: what a followed file's run is called, and the key of the chain it belongs to, both
 * from its path alone (no byte of the file read), so a daemon can decide at discovery time
 * whether a file is its share (--shard, shard.h) and every daemon of a fleet decides alike.
 *
 * Kubernetes pod logs (/var/log/pods/<namespace>_<pod>_<uid>/<container>/<restart>.log, CRI
 * format) name their run "namespace/pod/container": a container restart (0.log, then 1.log) is
 * the same run continuing. Other files are named by their file name without its extension.
 * Pure string work, no I/O, never prints.
 */
#ifndef TRAINMON_RUNKEY_H
#define TRAINMON_RUNKEY_H

#include <stddef.h>

/* The parts of a pod log path; slices of the path given (borrowed, not NUL-terminated). */
struct tm_podlog {
	const char *ns, *pod, *uid, *container;
	size_t ns_len, pod_len, uid_len, container_len;
	unsigned long restart;      /* the container's restart count: N of N.log */
};

/* 1 and *out filled when path's last three components are <ns>_<pod>_<uid>/<container>/<N>.log
 * (also a rotated <N>.log.<suffix>), else 0. Namespaces and pod names hold no '_' (DNS names),
 * so the namespace ends at the first '_' and the uid starts after the last. */
int tm_podlog_parse(const char *path, struct tm_podlog *out);

/* The run's name: "namespace/pod/container" for a pod log, else the file name without its
 * extension ("megatron-4417021" for ".../megatron-4417021.out"). Cut to n - 1 bytes. */
void tm_run_name(const char *path, char *out, size_t n);

/* How the chain key is taken from a path (tm_chainkey_of), in this order. */
enum tm_chainkey_how {
	TM_CK_NAME,                 /* --chain NAME: every file, one key */
	TM_CK_REGEX,                /* --chain-by REGEX matched the path: its first group, else the match */
	TM_CK_POD,                  /* a pod log: namespace/pod/container */
	TM_CK_JOB,                  /* default: directory below the watched root + "/" + job name */
};

struct tm_chainkey {
	const char *chain;          /* borrowed: --chain NAME, or NULL */
	void *re;                   /* owned pcre2_code of --chain-by, or NULL */
	void *md;                   /* owned pcre2_match_data for re, or NULL */
};

/* Compiles --chain-by (chain_by may be NULL; both strings must outlive k). Returns 0, or -1 with
 * PCRE2's message and offset in err. A failed init leaves k released. */
int tm_chainkey_init(struct tm_chainkey *k, const char *chain, const char *chain_by, char *err, size_t errlen);
void tm_chainkey_release(struct tm_chainkey *k);

/* The chain key of the file at path, which lies root_len bytes below the start of path in the
 * watched directory it was found under (path[root_len] == '/'; 0 when unknown), into out (cut to
 * n - 1 bytes). The default (TM_CK_JOB): the directories between the root and the file, then the
 * file name without a rotation number (".1") and its extension, and without a trailing job id
 * ("-4417021", "_12_3"): "runs/llama-70b" for "<root>/runs/llama-70b-4417021.out"; a name that is
 * only Slurm's default ("slurm-%j.out") keeps its job id, each job its own key. Relative to the
 * root so that daemons that mount one shared tree at different places agree. Returns how. */
enum tm_chainkey_how tm_chainkey_of(const struct tm_chainkey *k, const char *path, size_t root_len, char *out,
				    size_t n);

#endif

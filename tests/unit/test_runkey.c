/* test_runkey.c: run names and chain keys from paths (runkey.c), the shard of a key (shard.c)
 * and static labels put on an exposition text (labels.c). The shard function is pinned by value:
 * a fleet upgraded one daemon at a time must keep splitting its files the same way. */
#include "tm_test.h"
#include "trainmon/labels.h"
#include "trainmon/runkey.h"
#include "trainmon/shard.h"

static void podlog(struct tm_test_state *st)
{
	struct tm_podlog pl;
	TM_CHECK(st, tm_podlog_parse("/var/log/pods/ml_llama-70b-0_0f1e2d3c-aaaa-bbbb/trainer/3.log", &pl));
	char buf[200];
	snprintf(buf, sizeof(buf), "%.*s|%.*s|%.*s|%.*s|%lu", (int)pl.ns_len, pl.ns, (int)pl.pod_len, pl.pod,
		 (int)pl.uid_len, pl.uid, (int)pl.container_len, pl.container, pl.restart);
	TM_STREQ(st, buf, "ml|llama-70b-0|0f1e2d3c-aaaa-bbbb|trainer|3");
	TM_CHECK(st, tm_podlog_parse("pods/ml_p_u/c/0.log.20240101-120000", &pl));
	TM_CHECK(st, !tm_podlog_parse("/var/log/pods/ml_p_u/c/train.log", &pl));
	TM_CHECK(st, !tm_podlog_parse("/var/log/pods/mlp_u/c/0.log", &pl));     /* one '_': no pod */
	TM_CHECK(st, !tm_podlog_parse("/var/log/pods/_p_u/c/0.log", &pl));
	TM_CHECK(st, !tm_podlog_parse("0.log", &pl));
	TM_CHECK(st, !tm_podlog_parse("c/0.log", &pl));
	TM_CHECK(st, !tm_podlog_parse("/logs/a_b_c/x/0.logs", &pl));
	tm_run_name("/var/log/pods/ml_llama-70b-0_0f1e/trainer/1.log", buf, sizeof(buf));
	TM_STREQ(st, buf, "ml/llama-70b-0/trainer");
	tm_run_name("/lustre/runs/megatron-4417021.out", buf, sizeof(buf));
	TM_STREQ(st, buf, "megatron-4417021");
}

static const char *key(const struct tm_chainkey *k, const char *path, size_t root, enum tm_chainkey_how want,
		       struct tm_test_state *st)
{
	static char buf[300];
	TM_CHECK(st, tm_chainkey_of(k, path, root, buf, sizeof(buf)) == want);
	return buf;
}

static void chainkey(struct tm_test_state *st)
{
	struct tm_chainkey k;
	char err[200];
	TM_CHECK(st, tm_chainkey_init(&k, NULL, NULL, err, sizeof(err)) == 0);
	const char *root = "/mnt/lustre/logs";
	size_t rl = strlen(root);
	TM_STREQ(st, key(&k, "/mnt/lustre/logs/llama-70b-4417021.out", rl, TM_CK_JOB, st), "llama-70b");
	TM_STREQ(st, key(&k, "/mnt/lustre/logs/exp1/llama-70b_4417021_3.out", rl, TM_CK_JOB, st), "exp1/llama-70b");
	TM_STREQ(st, key(&k, "/mnt/lustre/logs/exp1/train.log.1", rl, TM_CK_JOB, st), "exp1/train");
	TM_STREQ(st, key(&k, "/mnt/lustre/logs/slurm-4417021.out", rl, TM_CK_JOB, st), "slurm-4417021");
	TM_STREQ(st, key(&k, "/mnt/lustre/logs/gpt3-1.3b-4417021.out", rl, TM_CK_JOB, st), "gpt3-1.3b");
	TM_STREQ(st, key(&k, "/mnt/lustre/logs/a/b/rank0.log", rl, TM_CK_JOB, st), "a/b/rank0");
	/* the same tree mounted elsewhere: the same keys */
	TM_STREQ(st, key(&k, "/lustre/logs/exp1/llama-70b_4417021_3.out", strlen("/lustre/logs"), TM_CK_JOB, st),
		 "exp1/llama-70b");
	TM_STREQ(st, key(&k, "/any/where/llama-7b-12.out", 0, TM_CK_JOB, st), "llama-7b");
	TM_STREQ(st, key(&k, "/var/log/pods/ml_p-0_u1/c/0.log", strlen("/var/log/pods"), TM_CK_POD, st), "ml/p-0/c");
	TM_STREQ(st, key(&k, "/host/pods/ml_p-0_u1/c/1.log", 0, TM_CK_POD, st), "ml/p-0/c");
	tm_chainkey_release(&k);
	TM_CHECK(st, tm_chainkey_init(&k, NULL, "(run[0-9]+)-seg", err, sizeof(err)) == 0);
	TM_STREQ(st, key(&k, "/x/run7-seg3.log", 2, TM_CK_REGEX, st), "run7");
	TM_STREQ(st, key(&k, "/x/other-5.log", 2, TM_CK_JOB, st), "other");
	tm_chainkey_release(&k);
	TM_CHECK(st, tm_chainkey_init(&k, "big", NULL, err, sizeof(err)) == 0);
	TM_STREQ(st, key(&k, "/var/log/pods/ml_p-0_u1/c/0.log", 0, TM_CK_NAME, st), "big");
	tm_chainkey_release(&k);
	TM_CHECK(st, tm_chainkey_init(&k, NULL, "(unclosed", err, sizeof(err)) == -1);
	TM_STREQ(st, err, "--chain-by: missing closing parenthesis at offset 9");
	tm_chainkey_release(&k);
}

static void shard(struct tm_test_state *st)
{
	struct tm_shard s = { 9, 9 };
	TM_CHECK(st, tm_shard_parse("2/3", &s) == 0 && s.index == 2 && s.count == 3);
	TM_CHECK(st, tm_shard_parse("3/3", &s) == -1 && s.index == 2);
	TM_CHECK(st, tm_shard_parse("0/0", &s) == -1);
	TM_CHECK(st, tm_shard_parse("-1/3", &s) == -1);
	TM_CHECK(st, tm_shard_parse("1/3x", &s) == -1);
	TM_CHECK(st, tm_shard_parse("1/", &s) == -1);
	TM_CHECK(st, tm_shard_parse("0/65537", &s) == -1);
	TM_CHECK(st, tm_shard_of("", 1) == 0);
	/* pinned: a change of the function moves files between the daemons of a running fleet */
	TM_CHECK(st, tm_jump_hash(0, 10) == 0);
	TM_CHECK(st, tm_jump_hash(0xcbf29ce484222325ull, 1) == 0);
	unsigned pinned[6];
	const char *keys[6] = { "llama-70b", "exp1/llama-70b", "ml/p-0/c", "slurm-4417021", "a", "b" };
	for (int i = 0; i < 6; i++)
		pinned[i] = tm_shard_of(keys[i], 3);
	char got[32];
	snprintf(got, sizeof(got), "%u%u%u%u%u%u", pinned[0], pinned[1], pinned[2], pinned[3], pinned[4], pinned[5]);
	TM_STREQ(st, got, "022120");
	/* balance and consistency: 3000 keys over 3 shards; to 4 shards only keys moving to shard 3 move */
	unsigned count[3] = { 0 }, moved = 0, wrong = 0;
	for (int i = 0; i < 3000; i++) {
		char k[32];
		snprintf(k, sizeof(k), "job-%d", i);
		unsigned a = tm_shard_of(k, 3), b = tm_shard_of(k, 4);
		count[a]++;
		moved += a != b;
		wrong += a != b && b != 3;
	}
	for (int i = 0; i < 3; i++)
		TM_CHECK(st, count[i] > 900 && count[i] < 1100);
	TM_CHECK(st, wrong == 0 && moved > 600 && moved < 900);
	struct tm_shard one = { 0, 1 }, none = { 0, 0 };
	TM_CHECK(st, tm_shard_owns(&one, "x") && tm_shard_owns(&none, "x"));
}

static void labels(struct tm_test_state *st)
{
	char err[200];
	TM_CHECK(st, tm_label_check("cluster=a", "--label", err, sizeof(err)) == 0);
	TM_CHECK(st, tm_label_check("run=a", "--label", err, sizeof(err)) == -1);
	TM_STREQ(st, err, "--label: 'run' is a label trainmon's own series carry; pick another name");
	TM_CHECK(st, tm_label_check("__x=a", "--label", err, sizeof(err)) == -1);
	TM_CHECK(st, tm_label_check("9x=a", "--label", err, sizeof(err)) == -1);
	TM_CHECK(st, tm_label_check("cluster", "--label", err, sizeof(err)) == -1);
	const char text[] = "# HELP a b\n# TYPE a gauge\na 1\nb{} 2\nc{x=\"{ }\"} 3\n\nd_total{y=\"1\"} 4";
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	tm_prom_add_labels(text, sizeof(text) - 1, "cluster=\"c\"", f);
	fclose(f);
	TM_STREQ(st, buf, "# HELP a b\n# TYPE a gauge\na{cluster=\"c\"} 1\nb{cluster=\"c\"} 2\n"
			  "c{cluster=\"c\",x=\"{ }\"} 3\n\nd_total{cluster=\"c\",y=\"1\"} 4");
	free(buf);
}

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	podlog(&st);
	chainkey(&st);
	shard(&st);
	labels(&st);
	return tm_test_done(&st, "test_runkey");
}

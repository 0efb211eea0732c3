/* vocab.c: the fixed vocabularies of rule packs: step fields (with unit-bearing group names),
 * job parameters and event kinds, and the one "unknown X 'y' (did you mean 'z'?)" message every
 * loader (rule packs, config sections, the YAML reader) uses. Names here are the public interface
 * of the rule format (docs/rules.md); adding one is an API change, renaming one breaks user packs.
 * Must not print: messages go to a struct tm_diag.
 */
#include <string.h>
#include <strings.h>

#include <stdio.h>

#include "trainmon/rules.h"
#include "trainmon/yaml.h"
#include "vocab.h"
#include "banned.h"

static const char *const field_names[TM_F_N] = {
	"step", "total_steps", "step_time", "loss", "consumed_samples", "consumed_tokens",
	"global_batch", "tflops", "mfu", "tokens_per_s", "tokens_per_s_per_gpu", "samples_per_s",
	"lr", "grad_norm", "skipped_iters", "nan_iters", "duration", "bar_s_per_it", "bar_it_per_s", "bar_train",
	"steps_per_s", "actual_seqlen", "grad_accum", "skipped_total",
	"run_runtime_s", "run_steps_per_s",
	"rank_time", "fast_rank", "fast_time", "score", "relative", "individual",
};

/* Group names a step rule may use; step_time and mfu carry their unit in the name. */
static const struct tm_group_name group_names[] = {
	{ "step", TM_F_STEP, 0 },
	{ "total_steps", TM_F_TOTAL_STEPS, 0 },
	{ "step_time_s", TM_F_STEP_TIME, 0 },
	{ "step_time_ms", TM_F_STEP_TIME, 3 },
	{ "step_time_us", TM_F_STEP_TIME, 6 },
	{ "loss", TM_F_LOSS, 0 },
	{ "consumed_samples", TM_F_CONSUMED_SAMPLES, 0 },
	{ "consumed_tokens", TM_F_CONSUMED_TOKENS, 0 },
	{ "global_batch", TM_F_GLOBAL_BATCH, 0 },
	{ "tflops", TM_F_TFLOPS, 0 },
	{ "flops_per_s_per_gpu", TM_F_TFLOPS, 12 },
	{ "mfu", TM_F_MFU, 0 },
	{ "mfu_pct", TM_F_MFU, 2 },
	{ "tokens_per_s", TM_F_TOKENS_PER_S, 0 },
	{ "tokens_per_s_per_gpu", TM_F_TOKENS_PER_S_PER_GPU, 0 },
	{ "samples_per_s", TM_F_SAMPLES_PER_S, 0 },
	{ "lr", TM_F_LR, 0 },
	{ "grad_norm", TM_F_GRAD_NORM, 0 },
	{ "skipped_iters", TM_F_SKIPPED, 0 },
	{ "nan_iters", TM_F_NAN_ITERS, 0 },
	{ "bar_s_per_it", TM_F_BAR_S_PER_IT, 0 },
	{ "bar_it_per_s", TM_F_BAR_IT_PER_S, 0 },
	{ "bar_train", TM_F_BAR_TRAIN, 0 },
	{ "steps_per_s", TM_F_STEPS_PER_S, 0 },
	{ "actual_seqlen", TM_F_ACTUAL_SEQLEN, 0 },
	{ "grad_accum", TM_F_GRAD_ACCUM, 0 },
	{ "skipped_total", TM_F_SKIPPED_TOTAL, 0 },
	{ "run_runtime_s", TM_F_RUN_RUNTIME, 0 },
	{ "run_steps_per_s", TM_F_RUN_STEPS_PER_S, 0 },
};

/* Group names a phase rule may use. */
static const struct tm_group_name phase_group_names[] = {
	{ "step", TM_F_STEP, 0 },
	{ "duration_s", TM_F_DURATION, 0 },
	{ "duration_ms", TM_F_DURATION, 3 },
};

static const char *const phase_names[TM_PH_N] = {
	"checkpoint_save", "checkpoint_load", "evaluation", "time",
};

/* Group names a rank rule may use (besides `rank` and `host`). */
static const struct tm_group_name rank_group_names[] = {
	{ "rank_time_s", TM_F_RANK_TIME, 0 },
	{ "rank_time_ms", TM_F_RANK_TIME, 3 },
	{ "fast_rank", TM_F_FAST_RANK, 0 },
	{ "fast_time_s", TM_F_FAST_TIME, 0 },
	{ "fast_time_ms", TM_F_FAST_TIME, 3 },
	{ "score", TM_F_SCORE, 0 },
	{ "relative", TM_F_REPORT_REL, 0 },
	{ "individual", TM_F_REPORT_OTHER, 0 },
};


const char *tm_phase_kind_name(enum tm_phase_kind k) { return k < TM_PH_N ? phase_names[k] : "?"; }
const char *const *tm_phase_kind_names(void) { return phase_names; }

static const struct tm_group_name *find_group(const struct tm_group_name *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return &t[i];
	return NULL;
}
#define FIND(table, name) find_group(table, sizeof(table) / sizeof(table[0]), name)

const struct tm_group_name *tm_phase_group_lookup(const char *name)
{
	return FIND(phase_group_names, name);
}

const struct tm_group_name *tm_rank_group_lookup(const char *name)
{
	return FIND(rank_group_names, name);
}

static const char *const param_names[TM_P_N] = {
	"layers", "hidden", "heads", "kv_heads", "head_dim", "ffn", "vocab", "seq_len",
	"global_batch", "micro_batch", "gpus", "nodes", "gpus_per_node", "train_iters",
	"train_samples", "log_interval", "tp", "pp", "dp", "dtype", "gpu", "slurm_job_id", "mlp",
	"save_dir", "chain_key",
};

static const char *const event_names[TM_EV_N] = {
	"nccl_timeout", "nccl_error", "cuda_oom", "host_oom", "slurm_time_limit", "slurm_cancelled",
	"slurm_node_fail", "slurm_preempted", "task_failed", "exception", "nan_loss", "skipped_step",
	"ecc_error", "xid", "gpu_lost", "segfault", "fatal_signal", "child_failed", "dataloader_died",
	"nan_grad_norm", "training_done",
};

static const char *const severity_names[] = { "info", "warning", "error", "critical" };

const char *tm_field_name(enum tm_field f) { return f < TM_F_N ? field_names[f] : "?"; }
int tm_field_is_job_value(enum tm_field f) { return f == TM_F_ACTUAL_SEQLEN || f == TM_F_GRAD_ACCUM; }
const char *tm_param_name(enum tm_param p) { return p < TM_P_N ? param_names[p] : "?"; }
const char *tm_event_kind_name(enum tm_event_kind k) { return k < TM_EV_N ? event_names[k] : "?"; }
const char *tm_ev_severity_name(enum tm_ev_severity s) { return s <= TM_EVS_CRITICAL ? severity_names[s] : "?"; }

int tm_param_lookup(const char *name, size_t len)
{
	for (int i = 0; i < TM_P_N; i++)
		if (strlen(param_names[i]) == len && memcmp(param_names[i], name, len) == 0)
			return i;
	return -1;
}

int tm_event_kind_lookup(const char *name)
{
	for (int i = 0; i < TM_EV_N; i++)
		if (strcmp(event_names[i], name) == 0)
			return i;
	return -1;
}

int tm_severity_lookup(const char *name)
{
	for (int i = 0; i <= TM_EVS_CRITICAL; i++)
		if (strcmp(severity_names[i], name) == 0)
			return i;
	return -1;
}

const struct tm_group_name *tm_group_lookup(const char *name)
{
	return FIND(group_names, name);
}

/* Levenshtein distance, capped: for "did you mean" hints on short names. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 40 || lb > 40)
		return 99;
	size_t row[41];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t sub = prev + (a[i - 1] != b[j - 1]);
			size_t del = row[j] + 1, ins = row[j - 1] + 1;
			row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
			prev = cur;
		}
	}
	return row[lb];
}

const char *tm_did_you_mean(const char *word, const char *const *cands, size_t n)
{
	const char *best = NULL;
	size_t bestd = 3;
	for (size_t i = 0; i < n; i++) {
		if (!cands[i])
			continue;
		size_t d = edit_distance(word, cands[i]);
		if (d < bestd)
			bestd = d, best = cands[i];
	}
	return best;
}

size_t tm_group_candidates(enum tm_rec rec, const char **out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; rec == TM_REC_STEP && i < sizeof(group_names) / sizeof(group_names[0]) && n < cap; i++)
		out[n++] = group_names[i].name;
	for (size_t i = 0; rec == TM_REC_PARAM && i < TM_P_N && n < cap; i++)
		out[n++] = param_names[i];
	for (size_t i = 0; rec == TM_REC_PHASE && i < sizeof(phase_group_names) / sizeof(phase_group_names[0]) && n < cap; i++)
		out[n++] = phase_group_names[i].name;
	for (size_t i = 0; rec == TM_REC_RANK && i < sizeof(rank_group_names) / sizeof(rank_group_names[0]) && n < cap; i++)
		out[n++] = rank_group_names[i].name;
	static const char *const rank_special[] = { "rank", "host" };
	for (size_t i = 0; rec == TM_REC_RANK && i < 2 && n < cap; i++)
		out[n++] = rank_special[i];
	static const char *const special[] = { "msg", "key", "value", "ts" };
	for (size_t i = 0; i < 4 && n < cap; i++)
		out[n++] = special[i];
	return n;
}

const char *const *tm_event_kind_names(void) { return event_names; }
const char *const *tm_param_names(void) { return param_names; }
const char *const *tm_severity_names(void) { return severity_names; }

int tm_diag_unknown(struct tm_diag *d, const struct tm_src *src, const struct tm_ynode *at,
		    const char *ctx, const char *what, const char *name, const char *const *known, size_t n)
{
	unsigned line = at ? at->line : 0, col = at ? at->col : 0;
	const char *hint = tm_did_you_mean(name, known, n);
	if (hint)
		return tm_diag_error(d, src, line, col, "%sunknown %s '%s' (did you mean '%s'?)", ctx ? ctx : "",
				     what, name, hint);
	if (n == 0 || n > TM_UNKNOWN_LIST_MAX)
		return tm_diag_error(d, src, line, col, "%sunknown %s '%s'", ctx ? ctx : "", what, name);
	/* few choices: name them all, "(expected a, b or c)" */
	char list[512];
	size_t len = 0;
	for (size_t i = 0; i < n && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ",
					known[i]);
	return tm_diag_error(d, src, line, col, "%sunknown %s '%s' (expected %s)", ctx ? ctx : "", what, name, list);
}

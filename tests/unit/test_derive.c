/* test_derive.c: job values tm_run_settle derives where the log prints them only indirectly:
 * seq_len from the last actual_seqlen, else from whole consumed tokens / consumed samples (a
 * fraction leaves it unknown), gpus from total batch / (per-device batch x accumulation); a
 * printed value wins; settling after every chunk (watch) ends where settling once does. */
#include "tm_test.h"
#include "trainmon/engine.h"
#include "tm_test_pack.h"

static const char pack[] =
	"framework: x\nrules:\n"
	"  - name: it\n    record: step\n"
	"    regex: 'it (?<step>\\d+) samples (?<consumed_samples>\\d+) tokens (?<consumed_tokens>\\d+)'\n"
	"    fields: {actual_seqlen: 'seqlen (\\d+)'}\n"
	"    samples: {match: ['it 1 samples 8 tokens 16384 seqlen 2048']}\n"
	"  - name: banner\n    record: param\n"
	"    regex: '(?<key>total|per-device) = (?<value>\\d+)'\n"
	"    keys: {total: global_batch, per-device: micro_batch}\n"
	"    samples: {match: ['total = 64']}\n"
	"  - name: accum\n    record: param\n    regex: 'accumulation = (?<grad_accum>\\d+)'\n"
	"    samples: {match: ['accumulation = 4']}\n"
	"  - name: seq\n    record: param\n    regex: 'seq_length = (?<seq_len>\\d+)'\n"
	"    samples: {match: ['seq_length = 4096']}\n";

static double param_after(const struct tm_ruleset *rs, const char *log, int p, size_t chunk)
{
	struct tm_feed f;
	tm_feed_init(&f, "x.log", rs, 0);
	size_t n = strlen(log);
	for (size_t at = 0; at < n; at += chunk) {
		size_t k = n - at < chunk ? n - at : chunk;
		tm_feed_bytes(&f, log + at, k, at + k == n);
		tm_run_settle(&f.run);
	}
	double v = f.run.params[p];
	tm_feed_release(&f);
	return v;
}

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	struct tm_ruleset rs;
	struct tm_diag d;
	TM_CHECK(&st, tm_test_pack(&rs, &d, pack) == 0);
	size_t whole = 1u << 20;

	/* consumed tokens / consumed samples at the last step */
	const char *ratio = "it 1 samples 8 tokens 16384\nit 2 samples 16 tokens 32768\n";
	TM_NEAR(&st, param_after(&rs, ratio, TM_P_SEQ_LEN, whole), 2048, 0);
	/* a curriculum mix: 24576 / 16 is not a whole number */
	const char *mix = "it 1 samples 8 tokens 8192\nit 2 samples 16 tokens 24584\n";
	TM_CHECK(&st, isnan(param_after(&rs, mix, TM_P_SEQ_LEN, whole)));
	/* the last actual seqlen wins over the ratio and over earlier ones; watch (a settle per
	 * chunk, the first at seqlen 512) ends at the same value */
	const char *curr = "it 1 samples 8 tokens 4096 seqlen 512\nit 2 samples 16 tokens 20480 seqlen 2048\n";
	TM_NEAR(&st, param_after(&rs, curr, TM_P_SEQ_LEN, whole), 2048, 0);
	TM_NEAR(&st, param_after(&rs, curr, TM_P_SEQ_LEN, 40), 2048, 0);
	/* a printed seq_length wins */
	const char *printed = "seq_length = 4096\nit 1 samples 8 tokens 16384 seqlen 2048\n";
	TM_NEAR(&st, param_after(&rs, printed, TM_P_SEQ_LEN, whole), 4096, 0);

	/* GPUs: 64 / (2 x 4) = 8 */
	const char *hf = "total = 64\nper-device = 2\naccumulation = 4\n";
	TM_NEAR(&st, param_after(&rs, hf, TM_P_GPUS, whole), 8, 0);
	TM_NEAR(&st, param_after(&rs, hf, TM_P_GPUS, 5), 8, 0);
	/* without the accumulation, or not a whole number: unknown */
	TM_CHECK(&st, isnan(param_after(&rs, "total = 64\nper-device = 2\n", TM_P_GPUS, whole)));
	TM_CHECK(&st, isnan(param_after(&rs, "total = 64\nper-device = 3\naccumulation = 4\n", TM_P_GPUS, whole)));

	tm_diag_release(&d);
	tm_ruleset_release(&rs);
	return tm_test_done(&st, "test_derive");
}

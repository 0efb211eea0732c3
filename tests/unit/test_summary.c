/* test_summary.c: the numbers of a run (src/summary.c) against REFERENCE.md worked examples.
 * Runs are built in memory through the real engine (rules + lines + matcher). */
#include <math.h>

#include "tm_test.h"
#include "trainmon/engine.h"
#include "trainmon/job.h"
#include "trainmon/json.h"
#include "trainmon/report.h"
#include "trainmon/summary.h"

static const char pack[] =
	"framework: pax\ndetect: 'PAX STATUS'\nrules:\n"
	"  - name: took\n    record: step\n"
	"    regex: 'train_step\\(\\) took (?<step_time_s>[0-9.]+) seconds'\n"
	"    samples: {match: ['[PAX STATUS]: train_step() took 7.47 seconds.']}\n";

static void run_log(const char *log, struct tm_job *job, struct tm_summary *s, struct tm_feed *f,
		    struct tm_ruleset *rs)
{
	struct tm_diag d;
	tm_ruleset_init(rs);
	tm_diag_init(&d);
	tm_ruleset_load_buf(rs, "pax.yaml", pack, sizeof(pack) - 1, &d);
	tm_ruleset_finish(rs, &d);
	tm_diag_release(&d);
	tm_feed_init(f, "x.out", rs, 0);
	tm_feed_bytes(f, log, strlen(log), 1);
	tm_summarize(&f->run, job, s);
}

/* Two summaries print the same JSON (every field analyze prints; padding bytes may differ). */
static int same_summary(const struct tm_summary *a, const struct tm_summary *b, const struct tm_run *r)
{
	char *text[2];
	size_t len[2];
	for (int k = 0; k < 2; k++) {
		FILE *f = open_memstream(&text[k], &len[k]);
		struct tm_json j;
		tm_json_init(&j, f, 0);
		tm_json_obj(&j, NULL);
		tm_report_json_fields(&j, k ? b : a, r);
		tm_json_end(&j, '}');
		fclose(f);
	}
	int same = len[0] == len[1] && memcmp(text[0], text[1], len[0]) == 0 && len[0] > 100;
	free(text[0]);
	free(text[1]);
	return same;
}

static void opt(struct tm_job *j, const char *name, const char *arg)
{
	char err[256];
	if (tm_job_set(j, name, arg, TM_SRC_FLAG, err, sizeof(err)))
		fprintf(stderr, "%s\n", err);
}

/* TV-01's job: GPT-3 175B (the dgxc F_seq) on 128 H100, B = 256, s = 2048. */
static void tv01_job(struct tm_job *j)
{
	tm_job_init(j);
	opt(j, "model-flops", "2.20e15");
	opt(j, "gpus", "128");
	opt(j, "global-batch", "256");
	opt(j, "seq-len", "2048");
	opt(j, "gpu", "h100-sxm");
}

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	struct tm_ruleset rs;
	struct tm_feed f;
	struct tm_summary s;
	struct tm_job job;

	/* quantiles: numpy's linear interpolation */
	double v[] = { 1, 2, 3, 4 };
	TM_NEAR(&st, tm_quantile(v, 4, 0.5), 2.5, 1e-15);
	TM_NEAR(&st, tm_quantile(v, 4, 0.1), 1.3, 1e-15);
	TM_NEAR(&st, tm_quantile(v, 4, 0.9), 3.7, 1e-15);

	/* TV-01 row 1 (seed 001): GPT-3 175B FP8 on 128 H100, B = 256, s = 2048, last step 7.47 s,
	 * F_seq = 2.20e15 (the dgxc rounded constant), peak 1979e12.
	 * tok/s = 2048*256/7.47 = 70185.809906; MFU = 256*2.20e15/7.47/128/1979e12 = 29.76366 %;
	 * days(1T) = 1e12/70185.809906/86400 = 164.90618. Tolerance 1e-9 relative (exact arithmetic). */
	tv01_job(&job);
	opt(&job, "dtype", "fp8");
	opt(&job, "basis", "last");
	opt(&job, "target-tokens", "1T");
	run_log("I0411 15:03:10 programs.py:366] [PAX STATUS]: train_step() took 40.1 seconds.\n"
		"[PAX STATUS]: train_step() took 7.52 seconds.\n"
		"[PAX STATUS]: train_step() took 7.49 seconds.\n"
		"[PAX STATUS]: train_step() took 7.47 seconds.\n", &job, &s, &f, &rs);
	TM_CHECK(&st, s.steps == 4);
	TM_CHECK(&st, s.warmup_records == 1);           /* 40.1 s > 1.5 x median of the second half */
	TM_NEAR(&st, s.tokens_per_s.v, 70185.809906, 1e-9);
	TM_NEAR(&st, s.mfu.v, 0.2976366, 1e-6);
	TM_NEAR(&st, s.days_to_target.v, 164.90618, 1e-6);
	TM_NEAR(&st, s.tflops_per_gpu.v, 256 * 2.20e15 / 7.47 / 128 / 1e12, 1e-12);
	/* tokens done = 4 steps x 256 x 2048 (step_base 1) */
	TM_NEAR(&st, s.tokens_done.v, 4.0 * 256 * 2048, 0);
	TM_NEAR(&st, s.eta_s.v, (1e12 - 4.0 * 256 * 2048) / 70185.809906, 1e-9);
	tm_feed_release(&f);
	tm_ruleset_release(&rs);

	/* unknowns are NAN with the flag that supplies them, never a guess */
	tm_job_init(&job);
	run_log("[PAX STATUS]: train_step() took 7.47 seconds.\n", &job, &s, &f, &rs);
	TM_CHECK(&st, isnan(s.tokens_per_s.v));
	TM_STREQ(&st, s.tokens_per_s.needs, "--global-batch");
	TM_CHECK(&st, isnan(s.mfu.v));
	TM_CHECK(&st, isnan(s.eta_s.v));
	TM_STREQ(&st, s.peak_tflops.needs, "--gpu or --peak-tflops");
	tm_feed_release(&f);
	tm_ruleset_release(&rs);

	/* TV-03 (seed 000) through a preset-less architecture: 18B GPT, l = 40, h = 6144, s = 1048,
	 * V = 50257, B = 512, 16 A100, 32.09 s: model FLOPs (72-form = megatron kappa 1, MHA, 4h GELU)
	 * X_model = 118.7813 TFLOP/s/GPU, MFU 38.0709 % (REFERENCE.md TV-03 last row). Tolerance 1e-6. */
	tm_job_init(&job);
	opt(&job, "layers", "40");
	opt(&job, "hidden", "6144");
	opt(&job, "heads", "48");
	opt(&job, "vocab", "50257");
	opt(&job, "seq-len", "1048");
	opt(&job, "global-batch", "512");
	opt(&job, "gpus", "16");
	opt(&job, "gpu", "a100");
	run_log("[PAX STATUS]: train_step() took 32.09 seconds.\n", &job, &s, &f, &rs);
	TM_NEAR(&st, s.tflops_per_gpu.v, 118.7813, 1e-6);
	TM_NEAR(&st, s.mfu.v, 0.380709, 1e-5);
	tm_feed_release(&f);
	tm_ruleset_release(&rs);
	/* TV-01, the whole Paxml GPT-3 175B FP8 table (seed 001): F_seq = 2.20e15, s = 2048, peak
	 * 1979e12; tokens/s, MFU and days to 1e-6 relative (REFERENCE.md prints 7 digits).
	 * TV-08, dgxc Llama 3.1 rows: BF16 with peak 989.5e12 (the tables reproduce only with it),
	 * FP8 with 1979e12, F_seq as printed; tolerance 5e-5 relative (5 printed digits). */
	static const struct { const char *fseq, *peak; double n, b, t, s, tps, mfu, days; } rows[] = {
		{ "2.20e15", "1979", 128, 256, 7.47, 2048, 70185.809906, 0.2976366, 164.90618 },
		{ "2.20e15", "1979", 256, 512, 7.58, 2048, 138334.564644, 0.2933173, 83.66726 },
		{ "2.20e15", "1979", 512, 1024, 7.60, 2048, 275941.052632, 0.2925454, 41.94401 },
		{ "2.20e15", "1979", 1024, 2048, 7.89, 2048, 531597.465146, 0.2817928, 21.77225 },
		{ "2.20e15", "1979", 2048, 4096, 8.02, 2048, 1045961.097257, 0.2772251, 11.06549 },
		{ "4.74e14", "989.5", 8, 128, 12.91, 8192, 81221.998, 0.59369, 142.499 },
		{ "4.74e14", "989.5", 128, 2048, 13.10, 8192, 1280703.511, 0.58507, 9.037 },
		{ "4.74e14", "1979", 8, 128, 9.67, 8192, 108435.988, 0.39630, 106.736 },
		{ "3.94e15", "989.5", 64, 128, 14.72, 8192, 71234.783, 0.54101, 162.478 },
		{ "3.94e15", "1979", 64, 128, 11.01, 8192, 95238.510, 0.36165, 121.527 },
		{ "2.17e16", "989.5", 576, 252, 17.20, 8192, 120022.326, 0.55782, 96.433 },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char n[32], b[32], sq[32], log[96];
		tm_job_init(&job);
		snprintf(n, sizeof(n), "%.0f", rows[i].n);
		snprintf(b, sizeof(b), "%.0f", rows[i].b);
		snprintf(sq, sizeof(sq), "%.0f", rows[i].s);
		opt(&job, "model-flops", rows[i].fseq);
		opt(&job, "peak-tflops", rows[i].peak);
		opt(&job, "gpus", n);
		opt(&job, "global-batch", b);
		opt(&job, "seq-len", sq);
		opt(&job, "target-tokens", "1T");
		snprintf(log, sizeof(log), "[PAX STATUS]: train_step() took %.2f seconds.\n", rows[i].t);
		run_log(log, &job, &s, &f, &rs);
		double tol = rows[i].s == 2048 ? 1e-6 : 5e-5;   /* the digits REFERENCE.md prints */
		TM_NEAR(&st, s.tokens_per_s.v, rows[i].tps, tol);
		TM_NEAR(&st, s.mfu.v, rows[i].mfu, tol);
		TM_NEAR(&st, s.days_to_target.v, rows[i].days, tol);
		tm_feed_release(&f);
		tm_ruleset_release(&rs);
	}

	/* tm_summary_stats then tm_summary_derive at a level is tm_summarize_at at that level, bit
	 * for bit, also from a copy already derived at another level (analyze derives twice) */
	{
		char log[4096] = "";
		for (int i = 0; i < 40; i++)
			snprintf(log + strlen(log), sizeof(log) - strlen(log),
				 "[PAX STATUS]: train_step() took %.2f seconds.\n", i < 20 ? 7.5 : 9.25);
		tv01_job(&job);
		opt(&job, "target-tokens", "1T");
		run_log(log, &job, &s, &f, &rs);
		struct tm_summary whole, base, two;
		tm_summarize_at(&f.run, &job, 9.25, &whole);
		tm_summary_stats(&f.run, &job, &base);
		two = base;
		tm_summary_derive(&f.run, &job, NAN, &two);
		TM_CHECK(&st, same_summary(&two, &s, &f.run));          /* = tm_summarize */
		two = base;
		tm_summary_derive(&f.run, &job, 9.25, &two);
		TM_CHECK(&st, same_summary(&two, &whole, &f.run));
		TM_CHECK(&st, !same_summary(&two, &s, &f.run));       /* the level shows */
		TM_CHECK(&st, two.basis_level == 1);
		TM_NEAR(&st, two.step_time.v, 9.25, 0);
		tm_feed_release(&f);
		tm_ruleset_release(&rs);
	}
	return tm_test_done(&st, "test_summary");
}

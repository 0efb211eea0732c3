/* test_plan.c: planning formulas (plan.h) and the estimate parts of model.h against
 * docs/formulas.md §1.4-§1.6 and the worked examples of docs/estimate.md. Values come from the
 * REFERENCE test vectors (TV-03..TV-07, TV-16) of the reference notes the project was built from
 * (REFERENCE.md, kept outside the repository; tests may read it); "seed NNN" names the worked
 * example a vector comes from and "§7 NNN.M" that note's list of the example's arithmetic slips,
 * which are checked both "as the example computes it" and "corrected". Other § are sections of
 * docs/formulas.md. The last argument of TM_NEAR is the relative tolerance: 0 or 1e-15 for exact
 * values, else the rounding of the printed reference value. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "trainmon/model.h"
#include "trainmon/plan.h"
#include "tm_test.h"

#define GIB 1073741824.0

static struct tm_arch preset(struct tm_test_state *st, const char *name)
{
	const struct tm_arch *p = tm_preset_find(name);
	struct tm_arch a = { 0 };
	TM_CHECK(st, p != NULL);
	if (p)
		a = *p;
	return a;
}

/* TV-03 (seed 000, 18B on 16 A100): achieved rate from the step, Narayanan eq. 4 days. */
static void test_tv03(struct tm_test_state *st)
{
	struct tm_arch a = { .layers = 40, .hidden = 6144, .heads = 48, .ffn = 4 * 6144, .vocab = 50257,
			     .seq_len = 1048, .mlp = TM_MLP_GELU };
	struct tm_flops_opts hw = { .formula = TM_FLOPS_PAXML, .kappa = 1, .recompute = 2 };
	struct tm_flops_opts mf = { .formula = TM_FLOPS_PAXML, .kappa = 1, .recompute = 0 };
	double p = tm_params_megatron(&a);
	TM_NEAR(st, p, 18437806080, 0);                                   /* TV-03 P, exact */
	double x = tm_plan_rate_from_step(512, tm_flops_per_seq(&a, &hw), 32.09, 16);
	TM_NEAR(st, x / 1e12, 157.72969, 1e-7);                           /* TV-03 X, 8 digits */
	TM_NEAR(st, x / 312e12 * 100, 50.5544, 1e-6);                     /* TV-03 HFU, 6 digits */
	double xm = tm_plan_rate_from_step(512, tm_flops_per_seq(&a, &mf), 32.09, 16);
	TM_NEAR(st, xm / 1e12, 118.7813, 1e-6);                           /* TV-03 72-form */
	TM_NEAR(st, xm / 312e12 * 100, 38.0709, 1e-6);                    /* TV-03 MFU */
	double d = tm_plan_days(tm_plan_megatron_seconds(300e9, p, 16, x, 8));
	TM_NEAR(st, d, 202.94, 5e-5);                                     /* TV-03 days, 2 decimals */
	TM_NEAR(st, round(d), 203, 0);                                    /* seed prints "203" */
	/* §7 000.1: the seed's T = 300*10e09 and /10e12 cancel; fixing one alone gives 2029.4 / 20.29 */
	TM_NEAR(st, 8 * (300 * 10e09) * p / (16 * (x / 1e12) * 10e12) / 86400, d, 1e-12);
	TM_NEAR(st, tm_plan_days(tm_plan_megatron_seconds(3000e9, p, 16, x, 8)), 2029.4, 5e-5);
	/* TV-03 with s = 1024 (what the seed's text says): 154.02 TFLOP/s, 49.37 %, 208 days */
	a.seq_len = 1024;
	p = tm_params_megatron(&a);
	TM_NEAR(st, p, 18437658624, 0);
	x = tm_plan_rate_from_step(512, tm_flops_per_seq(&a, &hw), 32.09, 16);
	TM_NEAR(st, x / 1e12, 154.02119, 1e-7);
	TM_NEAR(st, x / 312e12 * 100, 49.3658, 1e-5);
	TM_NEAR(st, tm_plan_days(tm_plan_megatron_seconds(300e9, p, 16, x, 8)), 207.83, 5e-5);
}

/* TV-04: Megatron time formula, GPT-3 175B and 1T. */
static void test_tv04(struct tm_test_state *st)
{
	TM_NEAR(st, tm_plan_days(tm_plan_megatron_seconds(300e9, 175e9, 1024, 140e12, 8)), 33.908, 2e-5);
	TM_NEAR(st, tm_plan_days(tm_plan_megatron_seconds(450e9, 1e12, 3072, 163e12, 8)), 83.211, 2e-5);
	/* the same via C = 8*N*D (6nd with full recompute) and t = C/(n*X), §1.4 */
	TM_NEAR(st, tm_plan_train_seconds(tm_plan_compute_nd(175e9, 300e9, 8), 1024, 140e12),
		tm_plan_megatron_seconds(300e9, 175e9, 1024, 140e12, 8), 1e-15);
}

/* TV-05: seed 002, LLaMA 3.1 405B: as the seed computes it (k = 1) and corrected (k = 6). */
static void test_tv05(struct tm_test_state *st)
{
	double r = tm_plan_rate(3.12e14, 0.5);
	double c1 = tm_plan_compute_nd(405e9, 15e12, 1);
	TM_NEAR(st, c1, 6.075e24, 1e-15);                                  /* TV-05 seed, exact */
	double h1 = tm_plan_gpu_hours(c1, r);
	TM_NEAR(st, h1, 1.0817e7, 5e-5);                                   /* "1.08E+07" */
	TM_NEAR(st, tm_plan_cost(h1, 1.1), 11899038.46, 5e-10);            /* cents */
	double c6 = tm_plan_compute_nd(405e9, 15e12, TM_PLAN_KAPLAN_K);
	TM_NEAR(st, c6, 3.645e25, 1e-15);                                  /* TV-05 corrected */
	TM_NEAR(st, tm_plan_gpu_hours(c6, r), 6.4904e7, 5e-5);
	TM_NEAR(st, tm_plan_cost(tm_plan_gpu_hours(c6, r), 1.1), 71394230.77, 5e-10);
	double q = tm_plan_rate(3.12e14, 0.25);                            /* §7 002.2: 0.25 */
	TM_NEAR(st, tm_plan_gpu_hours(c6, q), 1.2981e8, 5e-5);
	TM_NEAR(st, tm_plan_cost(tm_plan_gpu_hours(c6, q), 1.1), 142788461.54, 5e-10);
	TM_NEAR(st, tm_plan_compute_nd(405853388800, 15.6e12, 6), 3.7988e25, 5e-5); /* real N, D */
	/* T4 and V100 rows at k = 6, efficiency 0.5 */
	TM_NEAR(st, tm_plan_gpu_hours(c6, tm_plan_rate(8.1e12, 0.5)), 2.5e9, 1e-12);
	TM_NEAR(st, tm_plan_cost(tm_plan_gpu_hours(c6, tm_plan_rate(8.1e12, 0.5)), 0.21), 525000000.00, 1e-12);
	TM_NEAR(st, tm_plan_gpu_hours(c6, tm_plan_rate(16.4e12, 0.5)), 1.2348e9, 5e-5);
	TM_NEAR(st, tm_plan_cost(tm_plan_gpu_hours(c6, tm_plan_rate(16.4e12, 0.5)), 0.84), 1037195121.95, 5e-12);
	/* memory example: 20B, 32 GB GPUs. As the seed computes it: 2 + 1 + 12 bytes/param = 300 GB */
	struct tm_mem m;
	struct tm_mem_opts seed = { .weight_bytes = 2, .grad_bytes = 1, .optim_bytes = 12 };
	TM_CHECK(st, tm_plan_memory(NULL, 20e9, &seed, &m) == 0);
	TM_NEAR(st, m.params, 40e9, 0);                                    /* inference 40.00 GB */
	TM_NEAR(st, m.states, 300e9, 0);                                   /* "300.00 GB" */
	TM_CHECK(st, isnan(m.activations) && isnan(m.total));             /* no architecture */
	TM_NEAR(st, tm_plan_min_gpus(m.states, NAN, 32e9), 10, 0);         /* ceil(9.375), not "8.0 more" */
	TM_NEAR(st, floor((m.states - 32e9) / 32e9), 8, 0);                /* §7 002.6: what the seed printed */
	TM_NEAR(st, tm_plan_min_gpus(m.states, NAN, 32e9) * 0.84, 8.40, 1e-12); /* $8.40/h, not $7.56 */
	/* corrected: 16 bytes/param (2 + 2 + 12) = 320 GB */
	TM_CHECK(st, tm_plan_memory(NULL, 20e9, NULL, &m) == 0);
	TM_NEAR(st, m.states, 320e9, 0);
	TM_NEAR(st, tm_plan_min_gpus(m.states, NAN, 32e9), 10, 0);
}

/* TV-06: seed 003, 6PD with D = 20P, step FLOPs, FSDP communication and ideal bandwidth. */
static void test_tv06(struct tm_test_state *st)
{
	TM_NEAR(st, tm_plan_chinchilla_tokens(175e9), 3.5e12, 0);                      /* 20 * P */
	TM_NEAR(st, tm_plan_compute_nd(175e9, tm_plan_chinchilla_tokens(175e9), 6), 3.675e24, 1e-15);
	TM_NEAR(st, tm_plan_compute_nd(1e12, tm_plan_chinchilla_tokens(1e12), 6), 1.2e26, 1e-15);
	TM_NEAR(st, tm_plan_compute_nd(175e9, 300e9, 6), 3.15e23, 1e-15);
	TM_NEAR(st, tm_plan_compute_nd(174604234752, 300e9, 6), 3.1429e23, 5e-5);
	double step = 6 * 1e12 * 2048 * 4;                                             /* 6*N*s*4 */
	TM_NEAR(st, step, 4.9152e16, 0);
	double ca = tm_plan_fsdp_comm(1e12 * 4);
	TM_NEAR(st, ca / 1e9, 1.2e4, 1e-15);                                           /* 1.2e4 GB */
	TM_NEAR(st, tm_plan_ideal_bandwidth(ca, step / tm_plan_rate(384e12, 1)) / 1e9, 93.75, 1e-12);
	TM_NEAR(st, tm_plan_ideal_bandwidth(ca, step / tm_plan_rate(384e12, 0.4)) / 1e9, 37.5, 1e-12);
	TM_NEAR(st, tm_plan_ideal_bandwidth(ca, step / 1e12) / 1e9, 0.2441, 2e-4);    /* per TFLOP/s */
	/* §1.6 seed 003 FSDP memory 6*M_p/N and the DeepSpeed closed form with the stated reading
	 * M_g = M_p, M_o = 2*M_p, M_e = 2*M_p/N: M_p/(PP*TP) + M_o/DP + M_g/(PP*TP) + M_e */
	TM_NEAR(st, tm_plan_fsdp_mem(2e9, 8), 1.5e9, 0);
	double mp = 7e9, dp = 4, pp = 2, tp = 8, n = dp * pp * tp;
	TM_NEAR(st, tm_plan_deepspeed_mem(mp, dp, pp, tp, n),
		mp / (pp * tp) + 2 * mp / dp + mp / (pp * tp) + 2 * mp / n, 1e-15);
}

/* TV-07: seed 004, GPT-2 XL memory (every state in bf16) and training time. */
static void test_tv07(struct tm_test_state *st)
{
	struct tm_arch a = preset(st, "gpt2-xl");
	double n4 = tm_params_weights_only(&a);
	TM_NEAR(st, n4, 1637020800, 0);                                   /* "1.64B", exact */
	TM_NEAR(st, n4 * 4 / GIB, 6.10, 1e-3);                            /* fp32 "6.10 GiB" */
	TM_NEAR(st, n4 * 2 / GIB, 3.05, 2e-3);                            /* bf16 "3.05 GiB" */
	struct tm_act_single_dtype act;
	TM_CHECK(st, tm_plan_act_single_dtype(&a, 0, &act) == 0);
	TM_NEAR(st, act.total, 2333754368, 0);                            /* elements per sequence */
	struct tm_mem_opts o = { .weight_bytes = 2, .grad_bytes = 2, .optim_bytes = 4, .act_bytes = 2,
				 .act_model = TM_ACT_SINGLE_DTYPE };
	struct tm_mem m;
	TM_CHECK(st, tm_plan_memory(&a, n4, &o, &m) == 0);
	TM_NEAR(st, m.states, 13096166400, 0);                            /* constant, exact */
	TM_NEAR(st, m.states / GIB, 12.1968, 5e-6);                       /* "12.20" */
	TM_NEAR(st, m.act_per_seq, 4667508736, 0);
	TM_NEAR(st, m.act_per_seq / GIB, 4.3470, 5e-5);                   /* "4.35" */
	TM_NEAR(st, m.total / GIB, 16.5437, 5e-6);                        /* batch 1 "16.54" */
	TM_NEAR(st, (m.states + 15 * m.act_per_seq) / GIB, 77.4011, 5e-6); /* batch 15 "77.40" */
	TM_NEAR(st, tm_plan_max_micro_batch(m.states, m.act_per_seq, 80 * GIB), 15, 0); /* seed: 80 GiB */
	TM_NEAR(st, tm_plan_max_micro_batch(m.states, m.act_per_seq, 80e9), 14, 0);     /* 80e9 bytes */
	TM_NEAR(st, (80 * GIB - m.states) / m.act_per_seq, 15.598, 5e-5);
	/* same in fp32 (4 bytes for every state): 6 / 5 */
	o.weight_bytes = o.grad_bytes = o.act_bytes = 4;
	o.optim_bytes = 8;
	TM_CHECK(st, tm_plan_memory(&a, n4, &o, &m) == 0);
	TM_NEAR(st, tm_plan_max_micro_batch(m.states, m.act_per_seq, 80 * GIB), 6, 0);
	TM_NEAR(st, tm_plan_max_micro_batch(m.states, m.act_per_seq, 80e9), 5, 0);
	/* §7 004.5: keeping the softmax output too (+1,258,291,200 elements) -> 6.691 GiB, batch 10 */
	double act2 = (act.total + 1258291200.0) * 2;
	TM_NEAR(st, act2 / GIB, 6.691, 1e-4);
	TM_NEAR(st, tm_plan_max_micro_batch(13096166400, act2, 80 * GIB), 10, 0);
	/* recompute extensions: selective drops the scores, full keeps layer inputs + one layer */
	struct tm_act_single_dtype sel, full;
	TM_CHECK(st, tm_plan_act_single_dtype(&a, 1, &sel) == 0 && tm_plan_act_single_dtype(&a, 2, &full) == 0);
	TM_NEAR(st, sel.total, act.total - 48 * 25 * 1024.0 * 1024, 0);
	TM_NEAR(st, full.total, 48 * 1024 * 1600.0 + act.layer + act.final_norm + act.logits, 0);
	/* training time: A100 FP32 19.5e12 at 50 %, 400K steps (TV-07) */
	struct tm_flops_opts det = { .formula = TM_FLOPS_DETAILED, .kappa = 1 };
	struct tm_flops_detail d;
	TM_CHECK(st, tm_flops_detail(&a, &det, n4, &d) == 0);
	double ftok = tm_flops_per_seq(&a, &det) / 1024, r = tm_plan_rate(19.5e12, 0.5);
	double c = tm_plan_train_flops(ftok, 400e3 * 1024 * 1024, d.adamw, 400e3);     /* corrected */
	TM_NEAR(st, c, 4.3193e21, 5e-5);
	TM_NEAR(st, tm_plan_days(tm_plan_train_seconds(c, 1, r)), 5127.37, 1e-6);
	c = tm_plan_train_flops(ftok, 400e3 * 1024, d.adamw, 400e3);                   /* seed: b = 1 */
	TM_NEAR(st, c, 4.2285e18, 5e-5);
	TM_NEAR(st, c / 1e12, 4228530.76, 1e-9);                                       /* TFLOP */
	TM_NEAR(st, c / 10e12, 422853.0763, 1e-9);                  /* as the seed prints it (§7 004.2) */
	TM_NEAR(st, tm_plan_days(tm_plan_train_seconds(c, 1, r)), 5.0196, 1e-5);       /* "5.02" */
	c = tm_plan_compute_nd(n4, 400e3 * 1024 * 1024, 6);                            /* 6ND check */
	TM_NEAR(st, c, 4.1197e21, 5e-5);
	TM_NEAR(st, tm_plan_days(tm_plan_train_seconds(c, 1, r)), 4890.43, 1e-6);
	TM_CHECK(st, isnan(tm_plan_train_flops(ftok, 1e9, d.adamw, NAN)));  /* AdamW needs steps */
}

/* TV-16: planning vectors. */
static void test_tv16(struct tm_test_state *st)
{
	struct tm_arch a = preset(st, "llama3.1-405b");
	double n = tm_params_total(&a);
	TM_NEAR(st, n, 405853388800, 0);
	double c = tm_plan_compute_nd(n, 15.6e12, 6);
	TM_NEAR(st, c, 3.7988e25, 5e-5);
	double r = tm_plan_rate(989e12, 0.4);
	TM_NEAR(st, tm_plan_days(tm_plan_train_seconds(c, 16384, r)), 67.835, 1e-5);
	double h = tm_plan_gpu_hours(c, r);
	TM_NEAR(st, h, 26673883, 2e-8);                                   /* integer GPU-hours */
	TM_NEAR(st, h, 16384 * tm_plan_train_seconds(c, 16384, r) / 3600, 1e-12);  /* = n*t/3600 */
	TM_NEAR(st, tm_plan_energy_kwh(h, 700, NAN) / 1e6, 18.67, 3e-4);  /* GWh at 700 W TDP */
	TM_NEAR(st, tm_plan_energy_kwh(h, 700, 1.2), 1.2 * tm_plan_energy_kwh(h, 700, 1), 1e-15);
	/* Paxml 175B row 1 (TV-01) for 1e12 tokens: 164.906 days, 506,592 GPU-hours, 354,614 kWh */
	double fseq = 2.20e15, x = tm_plan_rate_from_step(256, fseq, 7.47, 128);
	double t = tm_plan_train_seconds(tm_plan_train_flops(fseq / 2048, 1e12, 0, NAN), 128, x);
	TM_NEAR(st, tm_plan_days(t), 164.90618, 1e-7);
	TM_NEAR(st, x / 1979e12 * 100, 29.76366, 1e-6);
	TM_NEAR(st, tm_plan_gpu_hours(tm_plan_train_flops(fseq / 2048, 1e12, 0, NAN), x), 506592, 2e-6);
	TM_NEAR(st, tm_plan_energy_kwh(128 * t / 3600, 700, NAN), 354614, 2e-6);
	/* Llama-3 70B model states, 64-way ZeRO-3/FSDP: 16N/N_d */
	a = preset(st, "llama3-70b");
	struct tm_mem m;
	struct tm_mem_opts z3 = { .zero = 3, .dp = 64 };
	TM_CHECK(st, tm_plan_memory(NULL, tm_params_total(&a), &z3, &m) == 0);
	TM_NEAR(st, m.states, 17638426624, 0);
	TM_NEAR(st, m.states / GIB, 16.43, 3e-4);
	TM_CHECK(st, tm_plan_memory(NULL, tm_params_total(&a), NULL, &m) == 0);
	TM_NEAR(st, m.states, 1.1289e12, 5e-5);                           /* unsharded */
	/* GPT-3 175B activations per layer, s = 2048, b = 1 (Korthikanti) */
	a = preset(st, "gpt3-175b");
	TM_NEAR(st, tm_plan_act_korthikanti_layer(&a, 1, 1, 0, 0), 2868903936, 0);
	TM_NEAR(st, tm_plan_act_korthikanti_layer(&a, 1, 1, 0, 0) / GIB, 2.672, 2e-4);
	TM_NEAR(st, tm_plan_act_korthikanti_layer(&a, 1, 8, 1, 0) / GIB, 0.334, 2e-4);  /* TP 8 + SP */
	TM_NEAR(st, tm_plan_act_korthikanti_layer(&a, 1, 1, 0, 2), 48 * 1048576.0, 0); /* 48 MiB */
}

/* §1.6 ZeRO stages, TP/PP, activations, max micro-batch and min GPUs: the formulas themselves. */
static void test_memory_forms(struct tm_test_state *st)
{
	double n = 1e9, nd = 8;
	struct tm_mem m;
	struct tm_mem_opts o = { .dp = nd };
	TM_CHECK(st, tm_plan_memory(NULL, n, &o, &m) == 0);
	TM_NEAR(st, m.states, 16 * n, 0);                                 /* unsharded 16N */
	TM_NEAR(st, m.params, 2 * n, 0);
	TM_NEAR(st, m.grads, 2 * n, 0);
	TM_NEAR(st, m.optimizer, 12 * n, 0);
	o.zero = 1;
	TM_CHECK(st, tm_plan_memory(NULL, n, &o, &m) == 0);
	TM_NEAR(st, m.states, 4 * n + 12 * n / nd, 0);                    /* ZeRO-1 */
	o.zero = 2;
	TM_CHECK(st, tm_plan_memory(NULL, n, &o, &m) == 0);
	TM_NEAR(st, m.states, 2 * n + 14 * n / nd, 0);                    /* ZeRO-2 */
	o.zero = 3;
	TM_CHECK(st, tm_plan_memory(NULL, n, &o, &m) == 0);
	TM_NEAR(st, m.states, 16 * n / nd, 0);                            /* ZeRO-3 / FSDP */
	o = (struct tm_mem_opts){ .tp = 4, .pp = 2 };
	TM_CHECK(st, tm_plan_memory(NULL, n, &o, &m) == 0);
	TM_NEAR(st, m.states, 16 * n / 8, 0);                             /* TP*PP divide states */
	/* Korthikanti with TP and no SP (eq. 2): s*b*h*(10 + 24/t + 5*a*s/(h*t)); selective: 34/t */
	struct tm_arch a = { .layers = 2, .hidden = 1024, .heads = 16, .seq_len = 2048 };
	double sbh = 2048.0 * 2 * 1024;
	TM_NEAR(st, tm_plan_act_korthikanti_layer(&a, 2, 4, 0, 0),
		sbh * (10 + 24.0 / 4 + 5 * 16 * 2048.0 / (1024 * 4)), 1e-15);
	TM_NEAR(st, tm_plan_act_korthikanti_layer(&a, 2, 4, 1, 1), sbh * 34 / 4, 1e-15);
	TM_NEAR(st, tm_plan_act_korthikanti_layer(&a, 2, 4, 0, 1), sbh * (10 + 24.0 / 4), 1e-15);
	TM_NEAR(st, tm_plan_act_korthikanti_layer(&a, 2, 4, 1, 2), 2 * sbh / 4, 1e-15);
	o = (struct tm_mem_opts){ .micro_batch = 3 };
	TM_CHECK(st, tm_plan_memory(&a, n, &o, &m) == 0);
	TM_NEAR(st, m.act_per_seq, 2 * tm_plan_act_korthikanti_layer(&a, 1, 1, 0, 0), 1e-15);
	TM_NEAR(st, m.activations, 3 * m.act_per_seq, 1e-15);
	TM_NEAR(st, m.total, m.states + m.activations, 1e-15);
	/* max micro-batch / min GPUs edge cases */
	TM_NEAR(st, tm_plan_max_micro_batch(100, 10, 99), 0, 0);         /* states alone do not fit */
	TM_NEAR(st, tm_plan_max_micro_batch(50, 10, 100), 5, 0);
	TM_CHECK(st, isnan(tm_plan_max_micro_batch(50, NAN, 100)));
	TM_NEAR(st, tm_plan_min_gpus(300, 10, 40), 10, 0);               /* ceil(300/30) */
	TM_CHECK(st, isinf(tm_plan_min_gpus(300, 50, 40)));              /* activations alone too big */
	TM_CHECK(st, tm_plan_memory(NULL, NAN, NULL, &m) == -1 && isnan(m.states));
}

/* Unknown inputs give NAN, never a number (plan.h contract). */
static void test_unknowns(struct tm_test_state *st)
{
	TM_CHECK(st, isnan(tm_plan_compute_nd(NAN, 1e12, 6)));
	TM_CHECK(st, isnan(tm_plan_train_seconds(1e20, NAN, 1e12)));
	TM_CHECK(st, isnan(tm_plan_train_seconds(1e20, 8, 0)));
	TM_CHECK(st, isnan(tm_plan_gpu_hours(1e20, NAN)));
	TM_CHECK(st, isnan(tm_plan_cost(NAN, 2)));
	TM_CHECK(st, isnan(tm_plan_cost(10, NAN)));
	TM_NEAR(st, tm_plan_cost(10, 0), 0, 0);                          /* free GPUs are a price */
	TM_CHECK(st, isnan(tm_plan_energy_kwh(10, NAN, 1)));
	TM_CHECK(st, isnan(tm_plan_rate(989e12, NAN)));
	TM_CHECK(st, isnan(tm_plan_rate_from_step(NAN, 1e15, 1, 8)));
	TM_CHECK(st, isnan(tm_plan_chinchilla_tokens(NAN)));
	TM_CHECK(st, isnan(tm_plan_megatron_seconds(1e12, 1e9, NAN, 1e14, 8)));
	TM_CHECK(st, isnan(tm_plan_act_korthikanti_layer(NULL, 1, 1, 0, 0)));
	struct tm_act_single_dtype act;
	TM_CHECK(st, tm_plan_act_single_dtype(NULL, 0, &act) == -1 && isnan(act.total));
}

/* model.h additions: tm_params_parts sums to the §4 count for every preset; seed 004 count. */
static void test_params_parts(struct tm_test_state *st)
{
	const struct tm_arch *p;
	for (size_t i = 0; (p = tm_preset_at(i)) != NULL; i++) {
		struct tm_params_parts q;
		TM_CHECK(st, tm_params_parts(p, &q) == 0);
		double sum = q.embedding + q.position + q.layers + q.final_norm + q.lm_head;
		TM_NEAR(st, sum, tm_params_total(p), 0);                   /* §4 "N (computed)" */
		TM_NEAR(st, q.layer, q.attention + q.mlp + q.router + q.norms, 0);
	}
	/* GPT-2 XL per component (§3 GPT-2 exact: per layer 4h^2 + 2hF + F + 9h) */
	struct tm_arch a = preset(st, "gpt2-xl");
	struct tm_params_parts q;
	TM_CHECK(st, tm_params_parts(&a, &q) == 0);
	TM_NEAR(st, q.layer, 4 * 1600.0 * 1600 + 2 * 1600.0 * 6400 + 6400 + 9 * 1600, 0);
	TM_NEAR(st, q.embedding, 50257.0 * 1600, 0);
	TM_NEAR(st, q.lm_head, 0, 0);                                     /* tied */
	TM_NEAR(st, q.total, 1557611200, 0);                              /* TV-07 HF count */
	/* TV-07 / seed 004's own components: token 80,411,200, position 1,638,400, q_k_v_o 4h^2 and
	 * ffn 2hF per layer, LM head h*V (untied) */
	TM_CHECK(st, tm_params_parts_weights_only(&a, &q) == 0);
	TM_NEAR(st, q.embedding, 80411200, 0);
	TM_NEAR(st, q.position, 1638400, 0);
	TM_NEAR(st, q.attention, 10240000, 0);
	TM_NEAR(st, q.mlp, 20480000, 0);
	TM_NEAR(st, q.lm_head, 80411200, 0);
	TM_NEAR(st, q.total, 1637020800, 0);
	a.seq_len = 16384;                                                /* TV-07 recount at s=16384 */
	TM_NEAR(st, tm_params_weights_only(&a), 1661596800, 0);
	a = preset(st, "llama3-8b");                                      /* no position table */
	TM_NEAR(st, tm_params_weights_only(&a), 2 * 128256.0 * 4096 + 32 * (2 * 4096.0 * 4096 +
		2 * 4096.0 * 1024 + 3 * 4096.0 * 14336), 0);
	a.layers = 0;
	TM_CHECK(st, isnan(tm_params_weights_only(&a)));
	TM_CHECK(st, tm_params_parts(&a, &q) == -1 && isnan(q.total));
}

int main(void)
{
	struct tm_test_state st = { 0, 0 };
	test_tv03(&st);
	test_tv04(&st);
	test_tv05(&st);
	test_tv06(&st);
	test_tv07(&st);
	test_tv16(&st);
	test_memory_forms(&st);
	test_unknowns(&st);
	test_params_parts(&st);
	return tm_test_done(&st, "test_plan");
}

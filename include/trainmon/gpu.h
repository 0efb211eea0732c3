/* gpu.h: peak dense throughput, power and memory per accelerator (docs/formulas.md §5).
 *
 * A static table keyed by device and dtype. Names are lower case with aliases
 * ("h100-sxm", "h100", "a100", "b200", "gb200", "mi300x", "tpu-v5p", ...). Dense figures only,
 * never the 2:4-sparse ones. Pure lookups: no I/O, no allocation.
 */
#ifndef TRAINMON_GPU_H
#define TRAINMON_GPU_H

#include <stddef.h>

enum tm_dtype { TM_DTYPE_FP32 = 0, TM_DTYPE_TF32, TM_DTYPE_BF16, TM_DTYPE_FP16, TM_DTYPE_FP8, TM_DTYPE_FP4, TM_DTYPE_N };

/* Parses "fp32", "tf32", "bf16", "fp16", "fp8", "fp4" (also "nvfp4", "mxfp4"); 0 or -1. */
int tm_dtype_parse(const char *s, enum tm_dtype *out);
const char *tm_dtype_name(enum tm_dtype d);

struct tm_gpu {
	const char *name;        /* canonical name, e.g. "h100-sxm" */
	const char *aliases;     /* space-separated other names */
	double peak_tflops[TM_DTYPE_N]; /* TFLOP/s dense per device; 0 = not published */
	double watts;            /* TDP / board power, 0 = unknown */
	double mem_gib;          /* memory per device in GiB, 0 = unknown */
	const char *source;      /* where the figures were read (docs/formulas.md §5) */
};

/* Finds by canonical name or alias, case-insensitive; NULL if unknown.
 *
 * Defaults are the figures of the vendor datasheet or NVIDIA's benchmark README (h100-sxm:
 * bf16 989, fp8 1979, tf32 494.5, fp32 67; a100-sxm: bf16 312, tf32 156, fp32 19.5). Known
 * disagreements are entries of their own, so a run can name the peak its framework used:
 *   h100-sxm-composer (989.5, llm-foundry; reproduces dgxc Llama-3.1 BF16 24.09),
 *   h100-sxm-secondary (989.4 / fp8 1978.9 / tf32 494.7), h100-pcie-composer (756.5),
 *   gb200-torchtitan (2500 / 5000 / 10000), gb300-torchtitan (2500), b300-secondary (fp4 13125),
 *   mi250x (per GCD 191.5, the default: one ROCm device) vs mi250x-oam (383) vs mi250x-oam-384
 *   (Yin et al. 2023), mi300x-datasheet / mi325x-datasheet (1307.4), mi355x-datasheet (2516.6),
 *   tpu-v7 (per chip 2307) vs tpu-v7-core (torchtitan 1153.5), gaudi2-835 (fp8 835),
 *   trainium1 (torchtitan 90 per NeuronCore) vs trainium1-composer (95).
 * V100 and T4 have fp16 but no bf16 figure; TPUs bf16 only. watts: TDP (upper end of a range);
 * mem_gib only where the capacity is a whole number of GiB (0 for H200, H100 NVL, Blackwell). */
const struct tm_gpu *tm_gpu_find(const char *name);
/* The table entry for a device name as drivers and frameworks print it ("NVIDIA A100-SXM4-80GB",
 * "NVIDIA H100 80GB HBM3", "AMD Instinct MI300X", "Tesla V100-SXM2-32GB"), or NULL when the name
 * does not say enough (then the peak stays unknown rather than guessed). */
const struct tm_gpu *tm_gpu_from_device_name(const char *name);
/* i-th entry, NULL past the end. */
const struct tm_gpu *tm_gpu_at(size_t i);
/* Peak FLOP/s (not TFLOP/s) for dtype; 0 when the table has no figure. */
double tm_gpu_peak_flops(const struct tm_gpu *g, enum tm_dtype d);

#endif

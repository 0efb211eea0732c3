/* gpu.c: peak dense TFLOP/s, board power and memory per accelerator (docs/formulas.md §5).
 *
 * Key design decision: one static const row per device, defaults being the datasheet or most
 * widely used figure; every known disagreement between sources is a row of its own with
 * a suffixed name ("h100-sxm-composer": 989.5) rather than a flag, so a run can name exactly the
 * peak its framework divides by. Dense figures only, never 2:4-sparse ones. 0 means "not
 * published" (or, for watts and memory, not known well enough to test against). No I/O, no state.
 */
#include <string.h>
#include <strings.h>

#include "trainmon/gpu.h"
#include "banned.h"

static const char *const dtype_names[TM_DTYPE_N] = { "fp32", "tf32", "bf16", "fp16", "fp8", "fp4" };

int tm_dtype_parse(const char *s, enum tm_dtype *out)
{
	if (!s)
		return -1;
	for (int i = 0; i < TM_DTYPE_N; i++) {
		if (strcasecmp(s, dtype_names[i]) == 0) {
			*out = (enum tm_dtype)i;
			return 0;
		}
	}
	if (strcasecmp(s, "nvfp4") == 0 || strcasecmp(s, "mxfp4") == 0) {
		*out = TM_DTYPE_FP4;
		return 0;
	}
	return -1;
}

const char *tm_dtype_name(enum tm_dtype d)
{
	return (unsigned)d < TM_DTYPE_N ? dtype_names[d] : "unknown";
}

/* Peaks in the order of enum tm_dtype: fp32 (non-tensor), tf32, bf16, fp16, fp8, fp4. Devices
 * without bf16 (V100, T4) have fp16 only; TPUs publish bf16 only. Memory is filled in only where
 * the capacity is a whole number of GiB (HBM/GDDR stacks); H200, H100 NVL and the Blackwell parts
 * are sold in decimal GB with part of the stacks reserved, so they stay 0. */
#define PEAKS(fp32, tf32, bf16, fp16, fp8, fp4) { fp32, tf32, bf16, fp16, fp8, fp4 }

static const struct tm_gpu gpus[] = {
	/* NVIDIA Volta, Turing, Ampere, Ada */
	{ "v100-sxm2", "v100 v100-sxm", PEAKS(15.7, 0, 0, 125, 0, 0), 300, 0,
	  "numbers read (Composer v100-sxm); W recalled" },
	{ "v100-pcie", "", PEAKS(14, 0, 0, 112, 0, 0), 250, 0,
	  "numbers read (Composer); W recalled; Yin et al. 2023 use it for Summit (SXM2)" },
	{ "v100s-pcie", "v100s", PEAKS(16.4, 0, 0, 130, 0, 0), 250, 0,
	  "numbers read (Composer); W recalled" },
	{ "t4", "", PEAKS(8.1, 0, 0, 65, 0, 0), 70, 16, "numbers read (Composer); W recalled" },
	{ "a10", "", PEAKS(31.2, 62.5, 125, 125, 0, 0), 150, 24,
	  "dense read (Composer); W recalled" },
	{ "a100-sxm", "a100 a100-80gb a100-sxm-80gb a100-sxm4", PEAKS(19.5, 156, 312, 312, 0, 0), 400, 80,
	  "dense read (Composer, torchtitan, nanoGPT); W recalled" },
	{ "a100-40gb", "a100-sxm-40gb a100-sxm4-40gb", PEAKS(19.5, 156, 312, 312, 0, 0), 400, 40,
	  "dense read (Composer, torchtitan, nanoGPT); W recalled" },
	{ "a100-pcie", "a100-pcie-80gb", PEAKS(19.5, 156, 312, 312, 0, 0), 300, 80,
	  "dense read; W recalled" },
	{ "a100-pcie-40gb", "", PEAKS(19.5, 156, 312, 312, 0, 0), 250, 40, "dense read; W recalled" },
	{ "a6000", "rtx-a6000", PEAKS(0, 0, 154.85, 154.85, 0, 0), 0, 48,
	  "read (torchtitan: half of the 309.7 sparse figure)" },
	{ "l40s", "", PEAKS(91.6, 183, 362, 362, 733, 0), 350, 48,
	  "BF16 read (torchtitan); rest recalled" },
	/* NVIDIA Hopper */
	{ "h100-sxm", "h100 h100-sxm5 h100-80gb h100-sxm-80gb", PEAKS(67, 494.5, 989, 989, 1979, 0), 700,
	  80, "989, 1979, 700 W read (dgxc README); FP32 67, TF32 494.5 read (Composer)" },
	{ "h100-sxm-composer", "h100-composer h100-sxm-llmfoundry", PEAKS(67, 494.5, 989.5, 989.5, 1979, 0),
	  700, 80, "Composer/llm-foundry 1.979e15/2; dgxc Llama-3.1 BF16 24.09 tables reproduce with it" },
	{ "h100-sxm-secondary", "", PEAKS(67, 494.7, 989.4, 989.4, 1978.9, 0), 700, 80,
	  "secondary table (sp: 1978.9); TF32 494.7 recalled" },
	{ "h100-pcie", "", PEAKS(51, 378, 756, 756, 1513, 0), 350, 80,
	  "BF16, TF32, FP8 read (torchtitan, Composer); FP32 and W recalled" },
	{ "h100-pcie-composer", "", PEAKS(51, 378, 756.5, 756.5, 1513, 0), 350, 80,
	  "Composer 1.513e15/2" },
	{ "h100-nvl", "", PEAKS(60, 417.5, 835, 835, 1671, 0), 400, 0,
	  "BF16 read (torchtitan); rest recalled; W 350-400 (upper bound)" },
	{ "h20", "", PEAKS(0, 0, 148, 148, 0, 0), 0, 0, "read (torchtitan)" },
	{ "h200-sxm", "h200", PEAKS(67, 494.7, 989, 989, 1979, 0), 700, 0,
	  "BF16 read (torchtitan); rest recalled" },
	{ "h200-nvl", "", PEAKS(60, 417.5, 835, 835, 1671, 0), 600, 0, "recalled" },
	{ "gh200", "", PEAKS(67, 494.7, 989, 989, 1979, 0), 0, 0,
	  "recalled (= H100 SXM compute); power is per superchip, 450-1000 W" },
	/* NVIDIA Blackwell */
	{ "b200", "b200-hgx hgx-b200 dgx-b200", PEAKS(80, 1100, 2250, 2250, 4500, 9000), 1000, 0,
	  "dense BF16/FP8/FP4 read (dgxc table; torchtitan 2.25e15); 1000 W read; FP32, TF32 recalled" },
	{ "gb200", "", PEAKS(90, 1250, 2450, 2450, 4900, 9800), 1200, 0,
	  "dgxc read; W (~1200 per GPU) and FP32/TF32 recalled" },
	{ "gb200-torchtitan", "gb200-datasheet", PEAKS(90, 1250, 2500, 2500, 5000, 10000), 1200, 0,
	  "torchtitan 2500; FP8/FP4 datasheet-derived" },
	{ "b300", "b300-hgx hgx-b300 dgx-b300", PEAKS(75, 1125, 2250, 2250, 4500, 13500), 1100, 0,
	  "dgxc read (DGX B300 1100 W); FP32/TF32 recalled" },
	{ "b300-secondary", "", PEAKS(75, 1125, 2250, 2250, 4500, 13125), 1100, 0,
	  "secondary table (FP4 13125)" },
	{ "gb300", "", PEAKS(0, 0, 2450, 2450, 4900, 14700), 1400, 0,
	  "read (dgxc README); W up to 1400 (configurable)" },
	{ "gb300-torchtitan", "", PEAKS(0, 0, 2500, 2500, 4900, 14700), 1400, 0,
	  "torchtitan BF16 2500" },
	/* AMD. MI250X: one GCD is one device as ROCm (and torchtitan) sees it; "-oam" is the package. */
	{ "mi250x", "mi250x-gcd", PEAKS(23.95, 0, 191.5, 191.5, 0, 0), 250, 64,
	  "191.5 per GCD read (torchtitan); FP32 and W are half the per-OAM figures (recalled)" },
	{ "mi250x-oam", "", PEAKS(47.9, 0, 383, 383, 0, 0), 500, 128,
	  "383 per OAM = 2 x 191.5; FP32 47.9, 500 W recalled" },
	{ "mi250x-oam-384", "", PEAKS(47.9, 0, 384, 384, 0, 0), 500, 128,
	  "Yin et al. 2023 (J. Supercomputing) write 384 per OAM" },
	{ "mi300x", "", PEAKS(163.4, 653.7, 1300, 1300, 2614.9, 0), 750, 192,
	  "1300 read (torchtitan); rest recalled" },
	{ "mi300x-datasheet", "", PEAKS(163.4, 653.7, 1307.4, 1307.4, 2614.9, 0), 750, 192,
	  "datasheet 1307.4 (recalled)" },
	{ "mi325x", "", PEAKS(163.4, 653.7, 1300, 1300, 2614.9, 0), 1000, 256,
	  "1300 read (torchtitan); rest recalled" },
	{ "mi325x-datasheet", "", PEAKS(163.4, 653.7, 1307.4, 1307.4, 2614.9, 0), 1000, 256,
	  "datasheet 1307.4 (recalled)" },
	{ "mi355x", "", PEAKS(157.3, 0, 2500, 2500, 5033, 10066), 1400, 0,
	  "2500 read (torchtitan); rest recalled" },
	{ "mi355x-datasheet", "", PEAKS(157.3, 0, 2516.6, 2516.6, 5033, 10066), 1400, 0,
	  "datasheet 2516.6 (recalled)" },
	{ "mi350x", "", PEAKS(0, 0, 2300, 2300, 4600, 9200), 1000, 0, "recalled (approximate)" },
	/* Google TPU (bf16 only) */
	{ "tpu-v4", "v4", PEAKS(0, 0, 275, 0, 0, 0), 0, 32, "read (torchtitan; PaLM uses 275)" },
	{ "tpu-v5e", "v5e v5litepod", PEAKS(0, 0, 197, 0, 0, 0), 0, 16,
	  "read (Google Cloud TPU v5e docs, torchtitan)" },
	{ "tpu-v5p", "v5p", PEAKS(0, 0, 459, 0, 0, 0), 0, 95, "read (Cloud TPU v5p docs)" },
	{ "tpu-v6e", "v6e trillium", PEAKS(0, 0, 918, 0, 0, 0), 0, 32, "read (Cloud TPU v6e docs)" },
	{ "tpu-v7", "v7 ironwood", PEAKS(0, 0, 2307, 0, 4614, 0), 0, 0,
	  "BF16 per chip read (torchtitan comment); FP8 recalled" },
	{ "tpu-v7-core", "", PEAKS(0, 0, 1153.5, 0, 0, 0), 0, 0,
	  "torchtitan: per device (TensorCore), half a chip" },
	/* Intel Gaudi, AWS Trainium */
	{ "gaudi2", "", PEAKS(0, 0, 432, 432, 865, 0), 600, 96,
	  "432 and 600 W read (Intel Hot Chips 2024); FP8 865 recalled" },
	{ "gaudi2-835", "", PEAKS(0, 0, 432, 432, 835, 0), 600, 96, "FP8 835 (one stored page)" },
	{ "gaudi3", "", PEAKS(0, 0, 1835, 1835, 1835, 0), 900, 128,
	  "read (Intel Hot Chips 2024); 900 W air-cooled OAM" },
	{ "trainium1", "trn1", PEAKS(0, 0, 90, 90, 0, 0), 0, 0, "read (torchtitan, per NeuronCore)" },
	{ "trainium1-composer", "trn1-composer", PEAKS(0, 0, 95, 95, 0, 0), 0, 0,
	  "read (Composer trn1: 190/2)" },
	{ "trainium2", "trn2", PEAKS(0, 0, 158, 158, 0, 0), 0, 0,
	  "read (torchtitan, logical device LNC=2 = 2 x 79)" },
};

/* 1 when name is one of the space-separated words of list (case-insensitive). */
static int in_list(const char *list, const char *name, size_t len)
{
	const char *p = list;
	while (*p) {
		while (*p == ' ')
			p++;
		size_t w = strcspn(p, " ");
		if (w == len && w > 0 && strncasecmp(p, name, len) == 0)
			return 1;
		p += w;
	}
	return 0;
}

const struct tm_gpu *tm_gpu_find(const char *name)
{
	if (!name || !*name)
		return NULL;
	size_t len = strlen(name);
	for (size_t i = 0; i < sizeof(gpus) / sizeof(gpus[0]); i++)
		if (strcasecmp(gpus[i].name, name) == 0)
			return &gpus[i];
	for (size_t i = 0; i < sizeof(gpus) / sizeof(gpus[0]); i++)
		if (in_list(gpus[i].aliases, name, len))
			return &gpus[i];
	return NULL;
}

const struct tm_gpu *tm_gpu_at(size_t i)
{
	return i < sizeof(gpus) / sizeof(gpus[0]) ? &gpus[i] : NULL;
}

double tm_gpu_peak_flops(const struct tm_gpu *g, enum tm_dtype d)
{
	if (!g || (unsigned)d >= TM_DTYPE_N)
		return 0;
	return g->peak_tflops[d] * 1e12;
}

/* Case-insensitive substring test. */
static int has(const char *hay, const char *needle)
{
	return strcasestr(hay, needle) != NULL;
}

const struct tm_gpu *tm_gpu_from_device_name(const char *name)
{
	const struct tm_gpu *g = tm_gpu_find(name);
	if (g)
		return g;
	/* most specific first: "GB200" contains "B200", "H100 NVL" contains "H100" */
	static const struct { const char *a, *b, *entry; } map[] = {
		{ "GB300", NULL, "gb300" }, { "GB200", NULL, "gb200" }, { "B300", NULL, "b300" },
		{ "B200", NULL, "b200" }, { "GH200", NULL, "gh200" }, { "H200", "NVL", "h200-nvl" },
		{ "H200", NULL, "h200-sxm" }, { "H100", "NVL", "h100-nvl" }, { "H100", "PCIe", "h100-pcie" },
		{ "H100", NULL, "h100-sxm" }, { "H20", NULL, "h20" }, { "A100", "PCIe-40", "a100-pcie-40gb" },
		{ "A100", "PCIe", "a100-pcie" }, { "A100", "40GB", "a100-40gb" }, { "A100", NULL, "a100-sxm" },
		{ "L40S", NULL, "l40s" }, { "A6000", NULL, "a6000" }, { "A10", NULL, "a10" },
		{ "V100S", NULL, "v100s-pcie" }, { "V100", "PCIE", "v100-pcie" }, { "V100", NULL, "v100-sxm2" },
		{ "T4", "Tesla", "t4" }, { "MI355X", NULL, "mi355x" }, { "MI350X", NULL, "mi350x" },
		{ "MI325X", NULL, "mi325x" }, { "MI300X", NULL, "mi300x" }, { "MI250X", NULL, "mi250x" },
		{ "Gaudi3", NULL, "gaudi3" }, { "Gaudi2", NULL, "gaudi2" }, { "Gaudi 3", NULL, "gaudi3" },
		{ "Gaudi 2", NULL, "gaudi2" },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (has(name, map[i].a) && (!map[i].b || has(name, map[i].b)))
			return tm_gpu_find(map[i].entry);
	return NULL;
}

#!/usr/bin/env python3
"""gen_megatron.py: writes a Megatron-LM log whose loss is one function of the tokens consumed.

usage: gen_megatron.py --global-batch B --iters N [--loss-offset X] [--step-ms MS] [--seed S] [--job ID]
                       [--log-interval K] [--spike-at STEP --spike-factor F]

The loss printed at each logged iteration is 2 + 8 * exp(-tokens / 2e8) + offset, where tokens =
consumed samples * 2048, so two runs with different global batch sizes have the same loss at the
same tokens and different losses at the same step number. The step time is step-ms (default 1040
for B = 512, scaled by B / 512) with +-1 % noise from a seeded generator: the output depends only
on the arguments. --spike-at makes that one logged step F times slower. The format is Megatron's (arguments dump, iteration lines, Slurm prologue).
"""
import argparse
import calendar
import math
import random
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--global-batch", type=int, required=True)
ap.add_argument("--iters", type=int, required=True)
ap.add_argument("--loss-offset", type=float, default=0.0)
ap.add_argument("--step-ms", type=float, default=None)
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--job", default="5550001")
ap.add_argument("--log-interval", type=int, default=10)
ap.add_argument("--spike-at", type=int, default=-1)
ap.add_argument("--spike-factor", type=float, default=1.0)
a = ap.parse_args()

gbs, seq, interval = a.global_batch, 2048, a.log_interval
step_ms = a.step_ms if a.step_ms is not None else 1040.0 * gbs / 512
rng = random.Random(a.seed)
out = sys.stdout
out.write("SLURM_JOB_ID=%s\nSLURM_NNODES=8\n" % a.job)
out.write("using world size: 64, data-parallel-size: 64, tensor-model-parallel size: 1, "
          "pipeline-model-parallel size: 1 \n")
out.write("------------------------ arguments ------------------------\n")
args = {
    "bf16": "True", "data_parallel_size": "64", "ffn_hidden_size": "8192", "global_batch_size": str(gbs),
    "hidden_size": "2048", "log_interval": str(interval), "micro_batch_size": str(gbs // 64),
    "num_attention_heads": "16", "num_layers": "24", "seq_length": str(seq), "swiglu": "False",
    "tensor_model_parallel_size": "1", "pipeline_model_parallel_size": "1", "train_iters": str(a.iters),
    "world_size": "64",
}
for k in sorted(args):
    out.write("  %s %s %s\n" % (k, "." * (48 - len(k)), args[k]))
out.write("-------------------- end of arguments ---------------------\n")
out.write(" > padded vocab (size: 50257) with 47 dummy tokens (new size: 50304)\n")
t = calendar.timegm((2025, 3, 11, 9, 0, 0, 0, 0, 0))
for it in range(interval, a.iters + 1, interval):
    consumed = it * gbs
    tokens = consumed * seq
    loss = 2.0 + 8.0 * math.exp(-tokens / 2e8) + a.loss_offset
    ms = step_ms * (1 + rng.uniform(-0.01, 0.01))
    if it == a.spike_at:
        ms *= a.spike_factor
    t += ms * interval / 1000
    out.write(" [%s] iteration %8d/%8d | consumed samples: %12d | elapsed time per iteration (ms): %.1f | "
              "learning rate: 1.500000E-04 | global batch size: %5d | lm loss: %E | loss scale: 1.0 | "
              "grad norm: 1.000 | number of skipped iterations:   0 | number of nan iterations:   0 |\n"
              % (time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t)), it, a.iters, consumed, ms, gbs, loss))

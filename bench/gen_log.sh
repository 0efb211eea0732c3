#!/usr/bin/env bash
# gen_log.sh OUT SIZE_MB [NOISE [STEPS]]: writes a realistic Megatron-LM Slurm .out of about SIZE_MB
# megabytes (or of STEPS iteration lines, when that comes first):
# the arguments dump, then per iteration a Megatron iteration line (printed by the last rank,
# srun -l prefixed) among NOISE (default 12) rank-prefixed NCCL INFO lines, Python warnings,
# timers and memory lines.
# Deterministic (fixed seed), written by awk so it needs nothing beyond Debian's base tools.
set -euo pipefail
out=${1:?usage: gen_log.sh OUT SIZE_MB}
mb=${2:-300}
case $out in *[!0-9]*) ;; *) echo "gen_log.sh: '$out' looks like a size; the output file comes first" >&2; exit 2 ;; esac
noise=${3:-12}
steps=${4:-0}
awk -v target=$((mb * 1024 * 1024)) -v noise="$noise" -v steps="$steps" 'BEGIN {
  srand(42);
  print "using world size: 512, data-parallel-size: 64, tensor-model-parallel size: 8, pipeline-model-parallel size: 1 ";
  print "------------------------ arguments ------------------------";
  print "  global_batch_size ............................... 512";
  print "  hidden_size ..................................... 8192";
  print "  num_attention_heads ............................. 64";
  print "  num_layers ...................................... 80";
  print "  num_query_groups ................................ 8";
  print "  ffn_hidden_size ................................. 28672";
  print "  seq_length ...................................... 4096";
  print "  swiglu .......................................... True";
  print "  train_iters ..................................... 500000";
  print "  world_size ...................................... 512";
  print "-------------------- end of arguments ---------------------";
  print " > padded vocab (size: 128256) with 0 dummy tokens (new size: 128256)";
  bytes = 0; it = 0;
  while (bytes < target && (steps == 0 || it < steps)) {
    it++;
    for (k = 0; k < noise; k++) {
      r = int(rand() * 512);
      kind = int(rand() * 4);
      if (kind == 0)
        line = sprintf("%3d: gpu-node-%03d:%d:%d [%d] NCCL INFO Channel %02d/32 : %d[%d] -> %d[%d] via P2P/IPC/read", r, int(r / 8), 100000 + r, 100100 + r, r % 8, k, r, r % 8, (r + 1) % 512, (r + 1) % 8);
      else if (kind == 1)
        line = sprintf("%3d: [rank%d]:/usr/local/lib/python3.10/dist-packages/torch/distributed/c10d_logger.py:83: UserWarning: `torch.distributed._reduce_scatter_base` is a private function and will be deprecated. Please use `torch.distributed.reduce_scatter_tensor` instead.", r, r);
      else if (kind == 2)
        line = sprintf("%3d: [Rank %d] (after %d iterations) memory (MB) | allocated: %.1f | max allocated: %.1f | reserved: %.1f | max reserved: %.1f", r, r, it, 30000 + rand() * 1000, 52000 + rand() * 500, 60000, 61000);
      else
        line = sprintf("%3d:     forward-backward ...............................: (%.2f, %.2f)", r, 4000 + rand() * 100, 4100 + rand() * 100);
      print line; bytes += length(line) + 1;
    }
    t = 4650 + rand() * 80 - 40;
    line = sprintf("511:  [2025-06-01 10:%02d:%02d] iteration %8d/  500000 | consumed samples: %12d | elapsed time per iteration (ms): %.1f | throughput per GPU (TFLOP/s/GPU): %.1f | learning rate: %.6E | global batch size:   512 | lm loss: %.6E | loss scale: 1.0 | grad norm: %.3f | number of skipped iterations:   0 | number of nan iterations:   0 |", int(it / 60) % 60, it % 60, it, it * 512, t, 423.8 * 4650 / t, 1.5e-4, 2 + 8 * exp(-it / 3000), 0.8 + rand() * 0.2);
    print line; bytes += length(line) + 1;
  }
}' > "$out"

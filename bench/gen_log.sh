#!/usr/bin/env bash
# gen_log.sh OUT SIZE_MB [NOISE [STEPS]]: writes a realistic Megatron-LM Slurm .out of about SIZE_MB
# megabytes (or of STEPS iteration lines, when that comes first):
# the arguments dump, then per iteration a Megatron iteration line (printed by the last rank,
# srun -l prefixed) among 0 to 2*NOISE (default 12, so NOISE on average) rank-prefixed NCCL INFO
# lines, Python warnings, timers and memory lines. The iteration lines' timestamps advance by the
# step times they print (from 2025-06-01 10:00:00, across days and months), as a real run's do.
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
  split("31 28 31 30 31 30 31 31 30 31 30 31", mdays, " ");
  clock = 10 * 3600;             # seconds since 2025-06-01 00:00:00
  while (bytes < target && (steps == 0 || it < steps)) {
    it++;
    nk = int(rand() * (2 * noise + 1));
    for (k = 0; k < nk; k++) {
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
    clock += t / 1000;
    sec = int(clock); day = int(sec / 86400); mon = 6; yr = 2025;
    while (day >= mdays[mon]) { day -= mdays[mon]; mon++; if (mon > 12) { mon = 1; yr++ } }
    stamp = sprintf("%04d-%02d-%02d %02d:%02d:%02d", yr, mon, day + 1, int(sec % 86400 / 3600), int(sec % 3600 / 60), sec % 60);
    line = sprintf("511:  [%s] iteration %8d/  500000 | consumed samples: %12d | elapsed time per iteration (ms): %.1f | throughput per GPU (TFLOP/s/GPU): %.1f | learning rate: %.6E | global batch size:   512 | lm loss: %.6E | loss scale: 1.0 | grad norm: %.3f | number of skipped iterations:   0 | number of nan iterations:   0 |", stamp, it, it * 512, t, 423.8 * 4650 / t, 1.5e-4, 2 + 8 * exp(-it / 3000), 0.8 + rand() * 0.2);
    print line; bytes += length(line) + 1;
  }
}' > "$out"

#!/usr/bin/env bash
# report_demo.sh OUT.png [LOG]: the picture of `trainmon report` in README (docs/report.png).
# Writes a synthetic Megatron-LM log (LOG, default a temporary file; written here, never kept in
# the repository): 8 nodes, a 1.3B GPT, iteration lines every 10 steps with a time prefix, a
# checkpoint save every 2000 steps (slow steps), a node that slows the job by 7 % from step 9000,
# a loss spike at step 6200, then an NCCL watchdog timeout and the Slurm step cancelled. Renders
# its report in headless Chromium (1400 px wide, light scheme) and shrinks the PNG when
# pngquant is there. Needs the built binary (TRAINMON, default build/trainmon) and chromium.
set -euo pipefail
out=${1:?usage: report_demo.sh OUT.png [LOG]}
case $out in /*) ;; *) out=$PWD/$out ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
trainmon=${TRAINMON:-$root/build/trainmon}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
log=${2:-$tmp/gpt3-1.3b-5120733.out}
{
cat <<'HEAD'
SLURM_JOB_ID=5120733
using world size: 64, data-parallel-size: 64, tensor-model-parallel size: 1, pipeline-model-parallel size: 1
------------------------ arguments ------------------------
  ffn_hidden_size ................................. 8192
  global_batch_size ............................... 512
  hidden_size ..................................... 2048
  log_interval .................................... 10
  num_attention_heads ............................. 16
  num_layers ...................................... 24
  seq_length ...................................... 2048
  train_iters ..................................... 20000
  world_size ...................................... 64
-------------------- end of arguments ---------------------
 > padded vocab (size: 50257) with 47 dummy tokens (new size: 50304)
HEAD
awk 'BEGIN {
  srand(3); t = 1741684390;
  for (i = 10; i <= 14500; i += 10) {
    ms = (i == 10 ? 3871 : (i < 9000 ? 1041 : 1115)) + rand() * 18;
    if (i % 2000 == 0) ms += 420;                       # checkpoint saves
    t += ms / 100;
    loss = 2.2 + 8.4 * exp(-i / 2600) + rand() * 0.05;
    if (i == 6200) loss += 1.4;
    s = int(t); d = int(s / 86400); r = s - d * 86400;
    printf " [2025-03-%02d %02d:%02d:%02d] iteration %8d/   20000 | consumed samples: %12d | elapsed time per iteration (ms): %.1f | global batch size:   512 | lm loss: %.6E | loss scale: 1.0 | number of skipped iterations:   0 | number of nan iterations:   0 |\n",
      11 + int((s - 1741651200) / 86400), int(r / 3600) % 24, int(r % 3600 / 60), r % 60, i, i * 512, ms, loss;
  }
}'
cat <<'TAIL'
 3: [rank3]:[E1206 04:06:01.715302079 ProcessGroupNCCL.cpp:607] [Rank 3] Watchdog caught collective operation timeout: WorkNCCL(SeqNum=88213, OpType=ALLREDUCE, NumelIn=1, NumelOut=1, Timeout(ms)=600000) ran for 600043 milliseconds before timing out.
srun: error: gpu-node-03: task 3: Aborted (core dumped)
slurmstepd: error: *** STEP 5120733.0 ON gpu-node-00 CANCELLED AT 2025-03-12T04:17:33 ***
TAIL
} >"$log"
cd "$(dirname "$log")"
"$trainmon" report --gpu a100 --min-mfu 0.4 -o "$tmp/report.html" "$(basename "$log")"
chromium --no-sandbox --headless=new --disable-gpu --hide-scrollbars --no-first-run --disable-background-networking \
	--disable-component-update --host-resolver-rules="MAP * ~NOTFOUND" --user-data-dir="$tmp/profile" \
	--window-size=1400,1350 --screenshot="$out" "file://$tmp/report.html" 2>/dev/null
if command -v pngquant >/dev/null; then
	pngquant --force --skip-if-larger --output "$out" -- "$out" || true
fi
echo "$out: $(wc -c <"$out") bytes"

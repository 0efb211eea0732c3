#!/usr/bin/env bash
# run.sh [SIZE_MB]: throughput and peak memory of `trainmon analyze` (all shipped packs loaded)
# beside rg and awk doing the same extraction (the step-time field of Megatron iteration lines)
# on the same file, page cache warm, in the same run. Prints MB/s and ratios.
# Needs ripgrep and GNU time (apt-get install ripgrep time); mtail is run too when installed.
set -euo pipefail
cd "$(dirname "$0")/.."
mb=${1:-300}
bin=${TRAINMON:-build/trainmon}
[ -x "$bin" ] || { echo "build trainmon first (scripts/run-sample.sh)" >&2; exit 2; }
for t in rg /usr/bin/time; do command -v $t >/dev/null || { echo "missing $t (apt-get install ripgrep time)" >&2; exit 2; }; done
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
log=$dir/bench.out
bench/gen_log.sh "$log" "$mb"
size=$(stat -c %s "$log")
cat "$log" >/dev/null   # warm the page cache
export TRAINMON_PATTERNS=$PWD/patterns

# best of 3 wall-clock seconds and the peak RSS (KiB) of one command
measure() {
  local best=999999 rss=0 s
  for _ in 1 2 3; do
    /usr/bin/time -q -f '%e %M' -o "$dir/time" "$@" >"$dir/out" 2>/dev/null || true
    read -r s r <"$dir/time"
    best=$(awk -v a="$s" -v b="$best" 'BEGIN { print (a < b) ? a : b }')
    rss=$r
  done
  echo "$best $rss"
}

printf '%-34s %9s %10s %10s\n' "command ($((size / 1048576)) MB log)" "seconds" "MB/s" "peak RSS"
row() {
  local name=$1; shift
  read -r s rss < <(measure "$@")
  local mbs
  mbs=$(awk -v b="$size" -v s="$s" 'BEGIN { printf "%.0f", (s > 0) ? b / 1048576 / s : 0 }')
  printf '%-34s %9s %10s %8s MB\n' "$name" "$s" "$mbs" "$((rss / 1024))"
  eval "${name//[^a-z]/_}_s=$s"
}
row "trainmon analyze (all packs)" "$bin" analyze --format json "$log"
row "rg -o step time" rg -o 'elapsed time per iteration \(ms\): [0-9.]+' "$log"
row "awk step time" awk '/elapsed time per iteration/ { if (match($0, /elapsed time per iteration \(ms\): [0-9.]+/)) n++ } END { print n }' "$log"
if command -v mtail >/dev/null; then echo "(mtail installed: not wired into this script yet)"; fi
steps=$("$bin" analyze --format json "$log" | awk -F': ' '/"steps"/ { gsub(",", "", $2); print $2; exit }')
echo "trainmon found $steps step records"
awk -v t="$trainmon_analyze__all_packs__s" -v r="$rg__o_step_time_s" -v a="$awk_step_time_s" 'BEGIN {
  printf "trainmon / rg time: %.2fx   trainmon / awk time: %.2fx\n", t / r, t / a }'
# memory: it grows with the number of step records (88 bytes each), not with the bytes around
# them: the same file size with 4x the noise per step, and a quarter of the size
bench/gen_log.sh "$dir/small.out" $((mb / 4))
bench/gen_log.sh "$dir/noisy.out" "$mb" 48
read -r _ rss_small < <(measure "$bin" analyze --format json "$dir/small.out")
read -r _ rss_big < <(measure "$bin" analyze --format json "$log")
read -r _ rss_noisy < <(measure "$bin" analyze --format json "$dir/noisy.out")
steps_noisy=$("$bin" analyze --format json "$dir/noisy.out" | awk -F': ' '/"steps"/ { gsub(",", "", $2); print $2; exit }')
echo "peak RSS: $((rss_small / 1024)) MB at $((mb / 4)) MB of log; $((rss_big / 1024)) MB at $mb MB ($steps steps);" \
     "$((rss_noisy / 1024)) MB at $mb MB with 4x the noise ($steps_noisy steps)"

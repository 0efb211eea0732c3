#!/usr/bin/env bash
# issue10.sh: the "Done when" figures of issue #10, with its tolerances, from the real binary over
# sample_logs/chains (written by gen.py): wasted_progress 230 s +-1, checkpoint_save 30 s,
# checkpoint_load 60 s, recovery 2700 s +-1, buckets summing to the wall time +-1 s, one
# interruption (initiating nccl_timeout, category network), tokens counted once; and the NaN chain's
# recurrence 3. The golden cases in tests/golden/chains pin the whole output; this one states the
# numbers the issue asks for, so a regenerated golden cannot silently change them.
set -u
: "${TRAINMON:?set TRAINMON}"
logs=$(cd "$(dirname "$0")/../../sample_logs/chains" && pwd)
fail=0
check() {   # name got want tolerance
  if awk -v g="$2" -v w="$3" -v t="$4" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(g != "" && d <= t) }'; then
    echo "ok   $1 = $2"
  else
    echo "FAIL $1 = '$2', want $3 +- $4"; fail=1
  fi
}
out=$("$TRAINMON" analyze "$logs/slurm-101.out" "$logs/slurm-102.out") || { echo "FAIL analyze exit $?"; exit 1; }
ledger() { printf '%s\n' "$out" | awk -v b="$1" '$1 == b && $2 ~ /^[0-9.]+$/ { print $2; exit } $1 == "ledger" && $2 == b { print $3; exit }'; }
check wasted_progress "$(ledger wasted_progress)" 230 1
check checkpoint_save "$(ledger checkpoint_save)" 30 0.05
check checkpoint_load "$(ledger checkpoint_load)" 60 0.05
check recovery "$(ledger recovery)" 2700 1
wall=$(printf '%s\n' "$out" | sed -n 's/^  wall clock .*(\([0-9.]*\) s)$/\1/p')
sum=0
for b in productive startup checkpoint_load checkpoint_save evaluation wasted_progress recovery stall other; do
  v=$(ledger "$b"); [ -n "$v" ] || { echo "FAIL bucket $b unknown"; fail=1; v=0; }
  sum=$(awk -v a="$sum" -v b="$v" 'BEGIN { print a + b }')
done
check "sum of buckets - wall" "$(awk -v a="$sum" -v w="$wall" 'BEGIN { print a - w }')" 0 1
check interruptions "$(printf '%s\n' "$out" | sed -n 's/^  interruptions \([0-9]*\) (network 1);.*/\1/p')" 1 0
printf '%s\n' "$out" | grep -q 'slurm-101.out .*failed: nccl_timeout (network)$' && echo "ok   initiating nccl_timeout (network)" ||
  { echo "FAIL initiating event"; fail=1; }
json=$("$TRAINMON" analyze --format json "$logs/slurm-101.out" "$logs/slurm-102.out")
# each of steps 1..1990 once, 512 sequences of 2048 tokens (the chain's is the last tokens_done:
# chains come after the runs); the two runs' own counts add up to 1230 + 990 steps
check tokens_done "$(printf '%s\n' "$json" | sed -n '/"chains": \[/,$ s/^ *"tokens_done": \([0-9.e+]*\),$/\1/p')" $((1990 * 512 * 2048)) 0
nan=$("$TRAINMON" analyze "$logs"/nan-20*.out)
check recurrence "$(printf '%s\n' "$nan" | sed -n 's/.*; recurrence \([0-9]*\)$/\1/p')" 3 0
exit $fail

#!/usr/bin/env bash
# steps_counter.sh: trainmon_run_steps_total is a counter, so it never goes down: with
# --max-steps 100 the daemon lets the oldest step records go (keeping the newest half when over
# the cap), and the counter still counts every step read (250), not the records kept.
# Usage: TRAINMON=path/to/trainmon steps_counter.sh SOURCE_DIR
set -euo pipefail
. "$(dirname "$0")/lib.sh"
mkdir "$tmp/logs"
for s in $(seq 1 250); do
	printf ' iteration %8d/     1000 | consumed samples: %12d | elapsed time per iteration (ms): 1000.0 | lm loss: 2.0E+00 |\n' "$s" $((s * 8))
done >"$tmp/logs/train.log"
start_trainmon --quiet --max-steps 100 "$tmp/logs"
deadline=$((SECONDS + 10))
until [ "$(curl -s -m 2 "$base/metrics" | awk '/^trainmon_run_steps_total\{/ { print $2 }')" = 250 ]; do
	[ $SECONDS -lt $deadline ] || fail "trainmon_run_steps_total is '$(curl -s "$base/metrics" | grep '^trainmon_run_steps_total')', not 250"
	sleep 0.2
done
echo "PASS: 250 steps counted with 100 records kept at most"

#!/usr/bin/env bash
# run_split.sh: every golden `analyze` case again with the split read forced on (8 chunks)
# (TRAINMON_SPLIT_MIN=1), the front reading only the first (TRAINMON_SPLIT_FRONT=1: every other
# chunk is read into the lead's run or a feed of its own, and joined), and the anomaly search's
# loss and grad-norm part on its own thread (TRAINMON_SPIKES_THREAD_MIN=1): the output must be
# byte for byte what one pass gives.
set -u
here=$(cd "$(dirname "$0")" && pwd)
cases=()
for cmd in $(find "$here" -name cmd | sort); do
  grep -q '^analyze' "$cmd" && cases+=("$(dirname "$cmd")")
done
TRAINMON_SPLIT_MIN=1 TRAINMON_SPLIT_FRONT=1 TRAINMON_SPIKES_THREAD_MIN=1 exec "$here/run_golden.sh" "${cases[@]}"

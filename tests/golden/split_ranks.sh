#!/usr/bin/env bash
# split_ranks.sh: the split read on rank-prefixed step lines (srun -l), cut at many points: one
# rank printing (the second half appends, a's open step collection below three ranks being
# closed by b's next step), and four ranks printing (a step's ranks straddle the middle: the
# second half is read again). Either way the output is byte for byte one pass's. The front reads
# only the first chunk (TRAINMON_SPLIT_FRONT=1): every other chunk is read by the other threads
# (into the lead's run from the middle, or on its own) and joined.
set -euo pipefail
bin=${TRAINMON:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# log RANKS STEPS: STEPS Megatron iteration lines per rank, each rank's under its srun -l prefix
log() {
	awk -v ranks="$1" -v steps="$2" 'BEGIN {
		for (s = 1; s <= steps; s++)
			for (r = 0; r < ranks; r++)
				printf "%3d:  [2025-06-01 10:%02d:%02d] iteration %8d/    5000 | consumed samples: %12d | elapsed time per iteration (ms): %.1f | learning rate: 1.500000E-04 | global batch size:   512 | lm loss: %.6E | loss scale: 1.0 | grad norm: 0.962 | number of skipped iterations:   0 | number of nan iterations:   0 |\n",
				       511 - r, int(s / 60) % 60, s % 60, s, 512 * s, 1000 + (s * 7 + r * 13) % 50 + (r == 1 && s % 20 < 8) * 400, 10 - s * 0.001
	}'
}
fails=0
for ranks in 1 4; do
	log "$ranks" 120 >"$work/full.log"
	for n in 7 40 41 42 43 101 200 333 479; do
		head -n "$n" "$work/full.log" >"$work/cut.log"
		"$bin" analyze --format json "$work/cut.log" >"$work/one.json"
		TRAINMON_SPLIT_MIN=1 TRAINMON_SPLIT_FRONT=1 "$bin" analyze --format json "$work/cut.log" >"$work/two.json"
		if ! cmp -s "$work/one.json" "$work/two.json"; then
			echo "FAIL: $ranks rank(s), $n lines: the split read differs from one pass" >&2
			diff "$work/one.json" "$work/two.json" | head -20 >&2
			fails=$((fails + 1))
		fi
	done
done
[ "$fails" = 0 ] && echo "ok: split read = one pass on rank-prefixed step lines"
[ "$fails" = 0 ]

#!/usr/bin/env bash
# split_sweep.sh: the split read with its cuts swept across each shipped sample log. Forced on a
# small file (TRAINMON_SPLIT_MIN=1) it cuts it into 8 chunks at a line end just past each
# eighth; neutral lines before or after the sample move the cuts, 2 * SWEEP + 1 placings on
# each side (at odd ones the front reads only the first chunk, TRAINMON_SPLIT_FRONT=1, so the
# other chunks are read by the other threads, the lead's run from the middle and the rest on
# their own, and joined; at even ones it reads on as far as it gets).
# At each the output must be byte for byte one pass's. Cuts used to differ: a Levanter
# run lost its steps (a chunk's progress bars came before any line of it claimed the file), a
# fallback rule's event made before a chunk's claim counted twice, a host-OOM event's rank was
# lost when its two lines fell on either side of a cut, DeepSpeed's skipped-step total restarted
# after a chunk that had been joined.
set -euo pipefail
bin=${TRAINMON:?}
samples=${SAMPLES:?}
sweep=${SWEEP:-12}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0 runs=0
for s in "$samples"/*.out; do
	size=$(wc -c <"$s")
	# a filler line of about size / (2 * sweep) bytes: k of them move the middle by k / 2 of it
	width=$((size / (2 * sweep) + 1))
	filler=$(printf '%*s' "$width" '' | tr ' ' 'x')
	for side in before after; do
		for k in $(seq 0 $((2 * sweep))); do
			{
				[ "$side" = before ] && for ((i = 0; i < k; i++)); do echo "$filler"; done
				cat "$s"
				[ "$side" = after ] && for ((i = 0; i < k; i++)); do echo "$filler"; done
				true
			} >"$work/cut.log"
			"$bin" analyze --format json "$work/cut.log" >"$work/one.json" 2>"$work/one.err" || true
			# odd placings: the front reads the first chunk only, the others are joined
			front=$((k % 2 ? 1 : 0))
			TRAINMON_SPLIT_MIN=1 TRAINMON_SPLIT_FRONT=$front "$bin" analyze --format json "$work/cut.log" >"$work/two.json" 2>"$work/two.err" || true
			runs=$((runs + 1))
			differs=0
			cmp -s "$work/one.json" "$work/two.json" && cmp -s "$work/one.err" "$work/two.err" || differs=1
			if [ "$differs" = 1 ]; then
				echo "FAIL: $(basename "$s"), $k filler lines $side it: the split read differs from one pass" >&2
				diff "$work/one.json" "$work/two.json" | head -10 >&2 || true
				fails=$((fails + 1))
			fi
		done
	done
done
echo "$runs cuts, $fails differing"
[ "$fails" = 0 ]

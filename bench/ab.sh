#!/usr/bin/env bash
# ab.sh OLD NEW LOG [ROUNDS] [CPU]: two trainmon binaries on one log in interleaved rounds (old,
# new, old, new...), so that a VM's drift over minutes falls on both alike: each binary's
# `analyze --format json` times, sorted, as it is run (both threads) and on one thread pinned to
# CPU (default 0; TRAINMON_SPLIT_MIN past the log's size). A change of a few percent is believed
# only when both lines move together on every CPU. Prints wall and CPU (user + system) seconds.
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: bench/ab.sh OLD NEW LOG [ROUNDS] [CPU]" >&2; exit 2; }
old=$1 new=$2 log=$3 rounds=${4:-7} cpu=${5:-0}
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)" >&2; exit 2; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for ((i = 0; i < rounds; i++)); do
	for which in old new; do
		bin=$old
		[ "$which" = new ] && bin=$new
		/usr/bin/time -f "$which threads %e %U %S" "$bin" analyze --format json "$log" 2>>"$out" >/dev/null
		TRAINMON_SPLIT_MIN=999999999999 taskset -c "$cpu" /usr/bin/time -f "$which one-cpu$cpu %e %U %S" \
			"$bin" analyze --format json "$log" 2>>"$out" >/dev/null
	done
done
for which in old new; do
	for how in threads "one-cpu$cpu"; do
		wall=$(awk -v w="$which" -v h="$how" '$1 == w && $2 == h { print $3 }' "$out" | sort -n | tr '\n' ' ')
		cpus=$(awk -v w="$which" -v h="$how" '$1 == w && $2 == h { print $4 + $5 }' "$out" | sort -n | tr '\n' ' ')
		printf '%-4s %-9s wall: %s| CPU: %s\n' "$which" "$how" "$wall" "$cpus"
	done
done

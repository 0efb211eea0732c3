#!/usr/bin/env bash
# pgo-train.sh BIN: the training run of a profile-generating trainmon (scripts/build.sh): every
# shipped sample log, each doubled up to 2-4 MB so that the profile is the lines' and not the
# start's (loading the packs), analysed as text, JSON and CSV; then the packs checked. Only the
# project's own sample logs: never the benchmark's log.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export TRAINMON_PATTERNS=$PWD/patterns
find sample_logs -type f -name '*.out' | sort | while read -r f; do
	[ -s "$f" ] || continue
	out=$dir/$(basename "$f")
	cp "$f" "$out"
	while [ "$(stat -c %s "$out")" -lt $((2 << 20)) ]; do   # doubled up to 2 MB
		cat "$out" "$out" >"$dir/twice"
		mv "$dir/twice" "$out"
	done
	for fmt in text json csv; do
		rc=0
		"$bin" analyze --format "$fmt" "$out" >/dev/null 2>&1 || rc=$?
		# 1: a log with nothing to report (a failure-only sample); anything else (a usage or
		# system error, a crash) would leave a profile of something else
		[ "$rc" -le 1 ] || { echo "pgo-train.sh: analyze --format $fmt $f: exit $rc" >&2; exit 1; }
	done
	rm -f "$out"
done
"$bin" rules check >/dev/null

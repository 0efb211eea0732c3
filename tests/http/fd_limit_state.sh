#!/usr/bin/env bash
# fd_limit_state.sh: saved positions survive a start at the open-file limit. 120 files are read
# and saved; a line is appended to each; the daemon starts again under a limit of 64 fds, so most
# files wait for an fd while state saves run (their saved positions must be written again, not
# dropped); it stops; a third start with no limit resumes every file where it was: every line of
# every file is read exactly once over the three runs (line records of --trace-lines).
# Usage: TRAINMON=path/to/trainmon fd_limit_state.sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"
command -v prlimit >/dev/null || { echo "SKIP: prlimit not installed (util-linux)"; exit 77; }
command -v jq >/dev/null || { echo "SKIP: jq not installed (scripts/deps.sh --test)"; exit 77; }

mkdir "$tmp/logs"
it() { printf 'iteration %8d/     100 | consumed samples: %12d | elapsed time per iteration (ms): 100.0 | lm loss: 1.0E+00 |\n' "$1" $(($1 * 8)); }
for i in $(seq 120); do { it 1; it 2; } >"$tmp/logs/f$i.log"; done
args=(--quiet --gpu a100 --state "$tmp/state" --state-every 1 --jsonl "$tmp/lines.jsonl" --trace-lines "$tmp/logs")
nlines() { jq -r 'select(.type == "line") | .file' "$tmp/lines.jsonl" 2>/dev/null | wc -l; }
wait_lines() {   # wait_lines N SECONDS
	local deadline=$((SECONDS + $2))
	until [ "$(nlines)" -ge "$1" ]; do
		[ $SECONDS -lt $deadline ] || fail "$(nlines) line records, want $1 (after $2 s)"
		sleep 0.2
	done
}
start_trainmon "${args[@]}"
wait_lines 240 20
stop_trainmon
echo "ok: run 1 read 240 lines and saved"

for i in $(seq 120); do it 3 >>"$tmp/logs/f$i.log"; done
PREFIX="prlimit --nofile=64:64" start_trainmon "${args[@]}"
deadline=$((SECONDS + 20))
until [ "$(curl -s "$base/metrics" | awk '$1 == "trainmon_state_saves_total" { print $2 }')" -ge 3 ] 2>/dev/null; do
	[ $SECONDS -lt $deadline ] || fail "no 3 state saves at the fd limit"
	sleep 0.2
done
waiting=$(curl -s "$base/metrics" | awk '$1 == "trainmon_files_waiting" { print $2 }')
[ "${waiting:-0}" -gt 0 ] || fail "no file waits for an fd (the limit did not bite)"
stop_trainmon
echo "ok: run 2 at 64 fds: $waiting files waited while 3 or more saves ran"

PREFIX="" start_trainmon "${args[@]}"
wait_lines 360 20
sleep 1                       # lines read twice would arrive now: a pause, then the count
stop_trainmon
n=$(nlines)
[ "$n" = 360 ] || fail "$n line records over three runs, want 360: saved positions lost at the fd limit"
dups=$(jq -r 'select(.type == "line") | "\(.file) \(.line)"' "$tmp/lines.jsonl" | sort | uniq -d | wc -l)
[ "$dups" = 0 ] || fail "$dups lines read twice"
echo "PASS: 360 lines over three runs, each once; positions kept while files waited for an fd"

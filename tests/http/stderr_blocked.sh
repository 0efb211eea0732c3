#!/usr/bin/env bash
# stderr_blocked.sh: the daemon's stderr is a pipe whose reader never reads (a wrapper that
# stopped draining it). 2 000 symlinks pointing outside the watched directory each give a note
# under --no-follow-outside, far more than a pipe holds: the daemon must not block on stderr. It
# keeps answering /metrics, keeps reading a log that grows meanwhile, counts what stderr could not
# take (trainmon_sink_dropped_total{sink="stderr"} or still queued), and exits on SIGTERM.
# Usage: TRAINMON=path/to/trainmon stderr_blocked.sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 not installed (scripts/deps.sh --test)"; exit 77; }

mkdir "$tmp/logs" "$tmp/outside"
: >"$tmp/outside/target.log"
python3 -c 'import os, sys
for i in range(1, 2001):
    os.symlink(sys.argv[1], "%s/link-with-a-long-name-to-fill-the-pipe-%d.log" % (sys.argv[2], i))' "$tmp/outside/target.log" "$tmp/logs"
it() { printf 'iteration %8d/     100 | consumed samples: %12d | elapsed time per iteration (ms): 100.0 | lm loss: 1.0E+00 |\n' "$1" $(($1 * 8)); }
it 1 >"$tmp/logs/train.log"
mkfifo "$tmp/errpipe"
sleep 600 <"$tmp/errpipe" &        # holds the read end open and never reads
helpers+=($!)
ERR_TO=$tmp/errpipe start_trainmon --no-follow-outside --quiet --gpu a100 "$tmp/logs"
scrape() { curl -s -m 2 "$base/metrics"; }
deadline=$((SECONDS + 20))
until scrape | grep -q '^trainmon_files_watched'; do
	kill -0 "$pid" 2>/dev/null || fail "trainmon exited"
	[ $SECONDS -lt $deadline ] || fail "/metrics never answered with stderr blocked"
	sleep 0.2
done
echo "ok: /metrics answers while stderr is not read"
for s in $(seq 2 20); do it "$s" >>"$tmp/logs/train.log"; done
deadline=$((SECONDS + 10))
until scrape | grep -qE '^trainmon_run_steps_total\{run="train".*\} 20$'; do
	[ $SECONDS -lt $deadline ] || fail "the log's 20 steps never showed with stderr blocked"
	sleep 0.2
done
echo "ok: the log kept being read (20 steps)"
held=$(scrape | awk '/^trainmon_sink_(dropped_total|queued_bytes)\{sink="stderr"\}/ { n += $2 } END { print n + 0 }')
[ "$held" -gt 0 ] || fail "nothing dropped or queued for stderr: the notes did not fill the pipe? $(scrape | grep stderr)"
echo "ok: what stderr could not take is counted ($held)"
kill -TERM "$pid"
deadline=$((SECONDS + 10))
while kill -0 "$pid" 2>/dev/null; do
	[ $SECONDS -lt $deadline ] || fail "no exit within 10 s of SIGTERM with stderr blocked"
	sleep 0.1
done
wait "$pid" || true
pid=
echo "PASS: stderr that nobody reads blocks nothing"

#!/usr/bin/env bash
# fd_limit.sh: the open-file limit (64, hard and soft) below the number of files (120). The daemon
# must not spin: the files that cannot be opened wait (trainmon_files_waiting), one note names them
# and the remedy, CPU stays near zero, /metrics answers (also 8 scrapes at once: accept uses
# parked fds, then rests instead of spinning), state saves succeed; when followed files are deleted
# their fds are released after --rotate-wait and the waiting files are read, every line once. A test of the reliability issue's "open-file limit" item; it fails without the fix.
# Usage: TRAINMON=path/to/trainmon fd_limit.sh SOURCE_DIR
set -euo pipefail
. "$(dirname "$0")/lib.sh"
command -v prlimit >/dev/null || { echo "SKIP: prlimit not installed (util-linux)"; exit 77; }

mkdir "$tmp/logs"
line='iteration        1/     100 | consumed samples:            8 | elapsed time per iteration (ms): 100.0 | lm loss: 1.0E+00 |'
for i in $(seq 120); do printf '%s\n%s\n' "$line" "${line/ 1\// 2/}" >"$tmp/logs/f$i.log"; done
PREFIX="prlimit --nofile=64:64" start_trainmon --quiet --gpu a100 --state "$tmp/state" --state-every 1 \
	--rotate-wait 1 "$tmp/logs"

wait_metric() {   # wait_metric NAME TEST VALUE SECONDS: until the sample passes [ v TEST VALUE ]
	local v deadline=$((SECONDS + $4))
	while :; do
		v=$(metric "$1")
		[ -n "$v" ] && [ "$v" "$2" "$3" ] && return 0
		[ $SECONDS -lt $deadline ] || fail "$1 is '$v', want $2 $3 (after $4 s)"
		sleep 0.2
	done
}
wait_metric trainmon_files_watched -eq 120 10
wait_metric trainmon_files_waiting -gt 0 10
waiting=$(metric trainmon_files_waiting)
echo "ok: 120 files followed, $waiting wait for a file descriptor"

# no spin: CPU over 3 s (utime + stime from /proc), with the daemon at the limit all along
hz=$(getconf CLK_TCK)
t0=$(cpu_ticks "$pid")
start=$SECONDS
while [ $((SECONDS - start)) -lt 3 ]; do
	code=$(curl -s -m 2 -o /dev/null -w '%{http_code}' "$base/metrics" || true)
	[ "$code" = 200 ] || fail "/metrics at the fd limit: HTTP $code"
	sleep 0.5
done
t1=$(cpu_ticks "$pid")
[ $(( (t1 - t0) * 100 )) -lt $(( hz * (SECONDS - start) * 15 )) ] ||
	fail "daemon used $((t1 - t0)) ticks in $((SECONDS - start)) s at the fd limit (a spin?)"
echo "ok: /metrics answers at the fd limit; daemon CPU $((t1 - t0)) ticks in $((SECONDS - start)) s (${hz}/s)"

# 8 scrapes at once: more than the parked fds
for i in $(seq 8); do curl -s -m 8 -o /dev/null -w '%{http_code}\n' "$base/metrics" >>"$tmp/codes" 2>/dev/null & done
deadline=$((SECONDS + 15))
while [ "$(jobs -pr | grep -vc "^$pid\$" || true)" -gt 0 ] && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
[ "$(grep -c '^200$' "$tmp/codes" || true)" = 8 ] || fail "8 scrapes at once: $(sort "$tmp/codes" | uniq -c | tr '\n' ' ')"
echo "ok: 8 scrapes at once all answered"

n=$(grep -c 'files wait for a file descriptor' "$tmp/err" || true)
[ "$n" = 1 ] || fail "$n notes about waiting files, want exactly 1"
grep -q 'ulimit -n' "$tmp/err" || fail "the note does not say how to raise the limit"
echo "ok: one note: $(grep -m1 'files wait for a file descriptor' "$tmp/err" | cut -c1-120)..."
wait_metric trainmon_state_saves_total -ge 2 10
[ "$(metric trainmon_state_save_errors_total)" = 0 ] || fail "state saves failed at the fd limit"
echo "ok: state saves succeed at the fd limit"

# deleted files release their fds after --rotate-wait: the 20 left, waiting or not, are all read,
# every line once (a file deleted while it waited was never read: nothing can read it now)
for i in $(seq 100); do rm "$tmp/logs/f$i.log"; done
wait_metric trainmon_files_waiting -eq 0 20
deadline=$((SECONDS + 10))
while :; do
	n=$(curl -s -m 5 "$base/metrics" | grep -cE '^trainmon_run_steps_total\{run="f(10[1-9]|11[0-9]|120)",.*\} 2$' || true)
	[ "$n" = 20 ] && break
	[ $SECONDS -lt $deadline ] || fail "$n of the 20 files left show their 2 steps"
	sleep 0.2
done
grep -q 'every file waiting for a file descriptor is open now' "$tmp/err" || fail "no note when the wait ended"
echo "ok: after deleting 100 files the 20 left were read, 2 steps each"

stop_trainmon
! grep -q "cannot save state" "$tmp/err" || fail "a state save failed"
echo "PASS"

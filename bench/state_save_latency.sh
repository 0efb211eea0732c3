#!/usr/bin/env bash
# state_save_latency.sh inotify: how long a state save stalls the loop (a benchmark, not a CTest
# case: a latency bound measures the machine too). Run as TRAINMON=build/trainmon
# TRAINMON_PATTERNS=patterns bench/state_save_latency.sh inotify. RUNS files of STEPS Megatron iterations
# each (default 10 x 200000, the daemon's default --max-steps: a state file of about 150 MB) are
# followed with --listen and --state-every 3600, so the only saves are the one at start and those
# after a drained rotation. Once every step is read, /metrics is scraped in a loop
# (curl -w '%{time_total}'): first BASE scrapes with no save running (the baseline: what this
# machine's load alone does to a scrape), then while SAVES rotations each start a save, until
# those saves have completed. The slowest scrape during the saves must stay within BOUND_MS
# (default 50) of the slowest baseline scrape. Prints the figures (max and median latency,
# peak RSS, state size). Env: STATE_RUNS, STATE_STEPS, STATE_SAVES, STATE_BOUND_MS. Slow.
. "$(dirname "$0")/../tests/tail/lib.sh"
[ "$BACKEND" = inotify ] || skip "one backend is enough: the saves do not depend on it"
command -v curl >/dev/null || skip "curl is not installed"
RUNS=${STATE_RUNS:-10}
STEPS=${STATE_STEPS:-200000}
SAVES=${STATE_SAVES:-3}
BOUND_MS=${STATE_BOUND_MS:-50}
for ((r = 1; r <= RUNS; r++)); do
	awk -v n="$STEPS" 'BEGIN { for (i = 1; i <= n; i++)
		printf " iteration %8d/  200000 | consumed samples: %12d | elapsed time per iteration (ms): %6d.%d | learning rate: 1.500000E-05 | global batch size:   512 | lm loss: %d.%06dE+00 |\n",
			i, i * 512, 1000 + i % 97, i % 10, 1 + i % 9, i * 7919 % 1000000 }' >"$D/run$r.log"
done
want=$((RUNS * STEPS))
metric() { # metric NAME: the sum of a metric's samples in the last scrape
	awk -v m="$1" '$1 == m || index($1, m "{") == 1 { s += $NF } END { printf "%d\n", s }' "$SCR/metrics"
}
scrape() { curl -s -o "$SCR/metrics" -w '%{time_total}\n' "http://127.0.0.1:$PORT/metrics"; }
PORT=""
for _ in $(seq 20); do
	p=$((20000 + RANDOM % 30000))
	"$TRAINMON" watch --quiet --state "$STATE" --state-every 3600 --rotate-wait 1 --listen "127.0.0.1:$p" "$D" 2>"$SCR/err.1" &
	TM_PID=$!
	deadline=$(($(now_ms) + 60000 * TM_SCALE))
	while alive && [ "$(now_ms)" -lt "$deadline" ]; do
		if curl -sf -o /dev/null "http://127.0.0.1:$p/metrics"; then PORT=$p; break 2; fi
		sleep 0.1
	done
	alive && fail "no answer on port $p"
	wait "$TM_PID" 2>/dev/null
	TM_PID=""
done
[ -n "$PORT" ] || fail "no free port found"
steps_read() { scrape >/dev/null && [ "$(metric trainmon_run_steps_total)" -ge "$want" ]; }
wait_for "all $want steps read" 120 steps_read
saves0=$(metric trainmon_state_saves_total)
[ "$saves0" -ge 1 ] || fail "no state saved at start"
: >"$SCR/base"
for ((i = 0; i < ${STATE_BASE:-100}; i++)); do scrape >>"$SCR/base" || fail "scrape failed"; done
[ "$(metric trainmon_state_saves_total)" = "$saves0" ] || fail "a save ran during the baseline"
: >"$SCR/lat"
for ((k = 1; k <= SAVES; k++)); do
	mv "$D/run$k.log" "$D/run$k.log.1"       # a rotation: once drained, the daemon saves
	echo " iteration $((STEPS + 1))/  200000 | lm loss: 1.0E+00 |" >"$D/run$k.log"
	deadline=$(($(now_ms) + 120000 * TM_SCALE))
	while [ $(($(metric trainmon_state_saves_total) - saves0)) -lt "$k" ]; do
		scrape >>"$SCR/lat" || fail "scrape failed"
		[ "$(now_ms)" -lt "$deadline" ] || fail "no save within 120 s of rotation $k"
		alive || fail "the daemon died"
	done
done
errors=$(metric trainmon_state_save_errors_total)
maxof() { sort -g "$1" | tail -n 1 | awk '{ printf "%.1f", $1 * 1000 }'; }
medof() { sort -g "$1" | awk -v n="$(wc -l <"$1")" 'NR == int((n + 1) / 2) { printf "%.1f", $1 * 1000 }'; }
n=$(wc -l <"$SCR/lat")
max_ms=$(maxof "$SCR/lat")
med_ms=$(medof "$SCR/lat")
base_ms=$(maxof "$SCR/base")
hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$TM_PID/status")
log "$SAVES saves of a $(($(stat -c %s "$STATE") / 1048576)) MB state; $n scrapes: max $max_ms ms," \
	"median $med_ms ms (baseline without a save: max $base_ms ms, median $(medof "$SCR/base") ms);" \
	"peak RSS $((hwm / 1024)) MB"
[ "$errors" = 0 ] || fail "$errors failed saves"
kill -TERM "$TM_PID"                  # the final save of ~150 MB is synchronous: a longer deadline
deadline=$(($(now_ms) + 120000 * TM_SCALE))
while alive; do
	[ "$(now_ms)" -lt "$deadline" ] || fail "the daemon did not exit within 120 s of SIGTERM"
	sleep 0.1
done
wait "$TM_PID" || fail "the daemon exited with status $? after SIGTERM"
TM_PID=""
awk -v m="$max_ms" -v z="$base_ms" -v b="$BOUND_MS" 'BEGIN { exit !(m < z + b) }' ||
	fail "a scrape took $max_ms ms during a save (baseline max $base_ms ms, bound $BOUND_MS ms more)"
pass "state saves stalled /metrics by less than $BOUND_MS ms (max $max_ms ms, baseline max $base_ms ms)"

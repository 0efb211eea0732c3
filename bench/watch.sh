#!/usr/bin/env bash
# watch.sh [LOG_MB] [LATENCY_LINES]: figures for `trainmon watch`, each from the real daemon:
#  1. alert latency: from the write(2) of an NCCL watchdog-timeout line to its alert object
#     arriving on --jsonl (a FIFO read by this script: no polling), median and p99 over
#     LATENCY_LINES lines (default 200; one followed file per line, since failure fires once per
#     kind per run); inotify and --poll 0.2;
#  2. idle CPU: IDLE_FILES (default 1000; issue 15's target is for 10000) followed files that do
#     not change, CPU time (utime+stime, /proc/PID/stat) the daemon uses in 10 s once it has read
#     them all (at most a tick of CPU in half a second); inotify, and --poll 1 for comparison;
#  3. memory: VmHWM (peak RSS) while following a LOG_MB (default 1024) Megatron log made by
#     gen_log.sh, appended in 64 MiB chunks (cut anywhere, so lines are split across writes) while
#     the daemon runs; "caught up" is the daemon's read offset (/proc/PID/fdinfo) reaching the
#     file's size, so no sleep decides anything;
#  4. keeping up: the same log written at RATE MB/s (default 200, issue 15's target) in 1 MiB
#     writes, the daemon's /metrics scraped meanwhile: the age of the oldest step line written and
#     not yet counted (bench/watch_lag.py; skipped without python3).
# Needs bash >= 5 (EPOCHREALTIME) and nothing beyond Debian's base tools (python3 for 4).
set -euo pipefail
cd "$(dirname "$0")/.."
mb=${1:-1024}
nlat=${2:-200}
nidle=${IDLE_FILES:-1000}
bin=${TRAINMON:-build/trainmon}
[ -x "$bin" ] || { echo "build trainmon first (or set TRAINMON)" >&2; exit 2; }
[ -n "${EPOCHREALTIME:-}" ] || { echo "needs bash >= 5 (EPOCHREALTIME)" >&2; exit 2; }
export TRAINMON_PATTERNS=$PWD/patterns
work=$(mktemp -d)
pid=""
cleanup() {
	if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	exec 5<&- 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
hz=$(getconf CLK_TCK)
now_us() { local t=$EPOCHREALTIME; echo $((10#${t/./})); }

# start DIR ARGS...: the daemon in the background, quiet, stderr to $work/err
start() {
	local dir=$1
	shift
	"$bin" watch --quiet "$@" "$dir" 2>>"$work/err" &
	pid=$!
}
stop() {
	kill -TERM "$pid"
	wait "$pid" || true
	pid=""
}
# cpu_ticks: utime + stime of the daemon, in clock ticks
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat"; }
# wait_until SECONDS CMD...: polls CMD every 20 ms (setup only: no figure depends on this)
wait_until() {
	local end=$(($(now_us) + $1 * 1000000))
	shift
	until "$@"; do
		[ "$(now_us)" -lt "$end" ] || { echo "timed out: $*" >&2; tail "$work/err" >&2; exit 1; }
		sleep 0.02
	done
}
# open_count_is DIR N: the daemon holds N descriptors on files in DIR (one find, not a readlink
# per descriptor: with 10000 files a bash loop took longer than the deadline)
open_count_is() {
	[ "$(find "/proc/$pid/fd" -lname "$1/*" 2>/dev/null | wc -l)" -eq "$2" ]
}
percentile() { sort -n | awk -v p="$1" '{ v[NR] = $1 } END { i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; print v[i] }'; }

nccl='[rank3]:[E0210 09:15:02.118342077 ProcessGroupNCCL.cpp:616] [PG ID 0 PG GUID 0(default_pg) Rank 3] Watchdog caught collective operation timeout: WorkNCCL(SeqNum=8, OpType=ALLREDUCE, NumelIn=1048576, NumelOut=1048576, Timeout(ms)=600000) ran for 600013 milliseconds before timing out.'

# ---- 1. latency ----
latency() {
	local label=$1 n=$2
	shift 2
	local d=$work/lat
	rm -rf "$d" && mkdir -p "$d"
	local i
	for ((i = 1; i <= n; i++)); do echo "job $i started" >"$d/job$i.out"; done
	rm -f "$work/fifo" && mkfifo "$work/fifo"
	exec 5<>"$work/fifo"                   # read-write: opening never blocks
	start "$d" --jsonl "$work/fifo" "$@"
	local line t0 t1 lat=()
	wait_until 30 open_count_is "$d" "$n"       # the first scan has opened every file
	for ((i = 1; i <= n; i++)); do
		t0=$(now_us)
		printf '%s\n' "$nccl" >>"$d/job$i.out"
		while read -r -t 10 -u 5 line; do
			case $line in *'"type":"alert"'*) break ;; esac
		done || { echo "no alert for line $i" >&2; exit 1; }
		t1=$(now_us)
		lat+=($((t1 - t0)))
	done
	stop
	exec 5<&-
	local med p99
	med=$(printf '%s\n' "${lat[@]}" | percentile 50)
	p99=$(printf '%s\n' "${lat[@]}" | percentile 99)
	printf '  %-24s median %8.3f ms   p99 %8.3f ms   (%d lines)\n' "$label" \
		"$(awk -v v="$med" 'BEGIN { print v / 1000 }')" "$(awk -v v="$p99" 'BEGIN { print v / 1000 }')" "$n"
}

# harness: the same write and FIFO read with no daemon (this script echoes an alert-sized JSON
# line itself): the part of the figures above that is bash's, not the daemon's
harness() {
	local n=$1 i t0 t1 line lat=() fake
	fake=$(printf '{"type":"alert","message":"%0500d"}' 0)
	rm -f "$work/fifo" && mkfifo "$work/fifo"
	exec 5<>"$work/fifo"
	: >"$work/h.out"
	for ((i = 1; i <= n; i++)); do
		t0=$(now_us)
		printf '%s\n' "$nccl" >>"$work/h.out"
		printf '%s\n' "$fake" >&5
		read -r -u 5 line
		t1=$(now_us)
		lat+=($((t1 - t0)))
	done
	exec 5<&-
	printf '  %-24s median %8.3f ms   (the write and the FIFO read alone, no daemon)\n' "harness floor" \
		"$(awk -v v="$(printf '%s\n' "${lat[@]}" | percentile 50)" 'BEGIN { print v / 1000 }')"
}

# settled: the daemon's CPU per half second is steady (at most a tick, or within a tenth of the
# half second before: --poll stats every file every period), so its first read of every file is
# over (with 10 000 files that takes seconds after the last one is open)
prev_ticks=-1
settled() {
	local a b d
	a=$(cpu_ticks)
	sleep 0.5
	b=$(cpu_ticks)
	d=$((b - a))
	if [ "$d" -le 1 ] || { [ "$prev_ticks" -ge 0 ] && [ $(((d - prev_ticks) * 10)) -le "$d" ] &&
		[ $(((prev_ticks - d) * 10)) -le "$d" ]; }; then
		prev_ticks=-1
		return 0
	fi
	prev_ticks=$d
	return 1
}

# ---- 2. idle CPU ----
idle_cpu() {
	local label=$1
	shift
	local d=$work/idle
	rm -rf "$d" && mkdir -p "$d"
	local i
	for ((i = 1; i <= nidle; i++)); do
		printf ' [2025-03-11 09:13:10] iteration %8d/    2000 | elapsed time per iteration (ms): 1047.5 |\n' 10 >"$d/job$i.out"
	done
	start "$d" "$@"
	wait_until 60 open_count_is "$d" "$nidle"
	wait_until 60 settled                 # the first reads of every file are over
	local c0 c1 t0 t1
	c0=$(cpu_ticks)
	t0=$(now_us)
	sleep 10
	c1=$(cpu_ticks)
	t1=$(now_us)
	local rss
	rss=$(awk '/VmRSS/ { print $2 }' "/proc/$pid/status")
	stop
	awk -v c=$((c1 - c0)) -v hz="$hz" -v us=$((t1 - t0)) -v l="$label" -v rss="$rss" 'BEGIN {
		printf "  %-24s %.2f s CPU in %.1f s = %.2f%% of one core   (RSS %.1f MiB)\n", l, c / hz, us / 1e6, 100 * c / hz / (us / 1e6), rss / 1024 }'
}

# ---- 3. memory while following a big log ----
memory() {
	local src=$work/src.out d=$work/big
	echo "  generating a ${mb} MB log with bench/gen_log.sh ..." >&2
	bench/gen_log.sh "$src" "$mb"
	local size chunk=$((64 << 20)) k=0
	size=$(stat -c %s "$src")
	rm -rf "$d" && mkdir -p "$d"
	: >"$d/train.out"
	start "$d" --gpu h100
	local t0 t1 fd=""
	t0=$(now_us)
	while [ $((k * chunk)) -lt "$size" ]; do
		dd if="$src" of="$d/train.out" bs=1M skip=$((k * 64)) count=64 oflag=append conv=notrunc status=none
		k=$((k + 1))
	done
	# the descriptor the daemon reads train.out through, and its position
	wait_until 10 eval 'fd=$(for f in /proc/$pid/fd/*; do [ "$(readlink "$f")" = "$d/train.out" ] && basename "$f"; done | head -n 1); [ -n "$fd" ]'
	wait_until 600 eval '[ "$(awk "/^pos:/ { print \$2 }" /proc/$pid/fdinfo/$fd)" -ge "$size" ]'
	t1=$(now_us)
	local hwm rss
	hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")
	rss=$(awk '/VmRSS/ { print $2 }' "/proc/$pid/status")
	stop
	awk -v s="$size" -v us=$((t1 - t0)) -v hwm="$hwm" -v rss="$rss" 'BEGIN {
		printf "  %.0f MiB followed in %.1f s (%.0f MiB/s, appending included)\n", s / 1048576, us / 1e6, s / 1048576 / (us / 1e6)
		printf "  VmHWM %.1f MiB, VmRSS at the end %.1f MiB\n", hwm / 1024, rss / 1024 }'
}

echo "trainmon watch benchmark ($(nproc) CPUs, $(uname -r), $bin)"
echo "1. latency, NCCL timeout line written -> alert on --jsonl:"
latency "inotify" "$nlat"
latency "--poll 0.2" $((nlat / 4)) --poll 0.2
harness "$nlat"
echo "2. idle CPU, $nidle followed files, 10 s:"
idle_cpu "inotify"
idle_cpu "--poll 1" --poll 1
echo "3. memory following a ${mb} MB log appended in 64 MiB chunks:"
memory
rate=${RATE:-200}
echo "4. keeping up with the ${mb} MB log written at $rate MB/s:"
if command -v python3 >/dev/null; then
	TRAINMON=$bin python3 bench/watch_lag.py "$work/src.out" "$rate"
else
	echo "  skipped: needs python3"
fi

#!/usr/bin/env bash
# scale.sh [SECONDS] [COUNTS]: sizing figures for a fleet (docs/scaling.md), each from the real
# daemon (`trainmon watch --recursive --listen`), SECONDS (default 20) per measurement:
#  1. per followed file: for each N of COUNTS (default "0 1000 5000") Megatron logs of 12 steps,
#     the daemon's CPU (utime+stime, /proc/PID/stat, % of one core) and RSS (VmRSS) while idle,
#     then while every file gets one new iteration line a second (N lines/s); the series on
#     /metrics and its size, and the time a scrape takes;
#  2. per 10 000 lines/s: 100 files getting 10 000 lines a second in all, as a training log has
#     them: an iteration line among 12 lines of NCCL, warnings and timers (gen_log.sh's mix);
#  3. polling (Lustre, GPFS; --poll 2): 1000 idle files.
# The writer (Python) runs beside the daemon; only the daemon's CPU is counted. Prints one line
# per measurement and a summary table (Markdown) at the end. Nothing else may run for the
# figures to mean anything; the machine's CPUs and load are printed with them.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
counts=${2:-0 1000 5000}
bin=${TRAINMON:-build/trainmon}
[ -x "$bin" ] || { echo "build trainmon first (or set TRAINMON)" >&2; exit 2; }
command -v python3 >/dev/null && command -v curl >/dev/null || { echo "needs python3 and curl" >&2; exit 2; }
export TRAINMON_PATTERNS=$PWD/patterns
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d)
pid="" wpid="" port=""
cleanup() {
	for p in $wpid $pid; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
hz=$(getconf CLK_TCK)
results=()

# mktree DIR N: N logs of 12 iterations each, 100 to a directory
mktree() {
	python3 - "$1" "$2" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
head = ("  global_batch_size ............................... 512\n  seq_length ...................................... 2048\n"
        "  num_layers ...................................... 24\n  hidden_size ..................................... 2048\n"
        "  num_attention_heads ............................. 16\n  padded_vocab_size ............................... 50304\n"
        "  world_size ...................................... 64\n")
for i in range(n):
    d = os.path.join(root, "d%03d" % (i // 100))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "job%05d-%d.out" % (i, 1000000 + i)), "w") as f:
        f.write(head)
        for s in range(1, 13):
            f.write(" iteration %8d/  500000 | consumed samples: %12d | elapsed time per iteration (ms): 1047.5 | "
                    "learning rate: 1.000E-04 | global batch size:   512 | lm loss: 3.25E+00 | loss scale: 1.0 | "
                    "grad norm: 0.350 | number of skipped iterations:   0 | number of nan iterations:   0 |\n"
                    % (s * 10, s * 10 * 512))
PY
}

# writer DIR RATE [NOISE]: appends RATE lines a second, round robin over the files of DIR: each
# file gets an iteration line, then NOISE (default 0) lines of NCCL and warning chatter, and so on
writer() {
	python3 - "$1" "$2" "${3:-0}" <<'PY' &
import os, sys, time
root, rate, noise = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
chatter = [b"gpu-node-03:12345:12399 [3] NCCL INFO Channel 02/0 : 3[3] -> 4[4] via P2P/CUMEM/read\n",
           b"/usr/lib/python3/dist-packages/torch/utils/checkpoint.py:91: UserWarning: None of the inputs have requires_grad=True\n",
           b"(min, max) time across ranks (ms):\n", b"    forward-backward ...............................: (1021.38, 1022.87)\n"]
files = sorted(os.path.join(r, f) for r, _, fs in os.walk(root) for f in fs)
fds = [os.open(f, os.O_WRONLY | os.O_APPEND) for f in files]
step = [120] * len(files)
left = [0] * len(files)
i, t0, sent = 0, time.monotonic(), 0
while True:
    due = int((time.monotonic() - t0) * rate)
    while sent < due:
        k = i % len(fds)
        if left[k]:
            left[k] -= 1
            os.write(fds[k], chatter[left[k] % len(chatter)])
            i += 1
            sent += 1
            continue
        left[k] = noise
        step[k] += 10
        os.write(fds[k], (" iteration %8d/  500000 | consumed samples: %12d | elapsed time per iteration (ms): 1047.5 | "
                          "learning rate: 1.000E-04 | global batch size:   512 | lm loss: 3.25E+00 | loss scale: 1.0 | "
                          "grad norm: 0.350 | number of skipped iterations:   0 | number of nan iterations:   0 |\n"
                          % (step[k], step[k] * 512)).encode())
        i += 1
        sent += 1
    time.sleep(0.01)
PY
	wpid=$!
}

# start DIR ARGS...: the daemon on a free loopback port (exit status 3 = port in use: another)
start() {
	local dir=$1 p
	shift
	for _ in $(seq 20); do
		p=$((20000 + RANDOM % 30000))
		"$bin" watch --quiet --recursive --gpu h100-sxm --listen "127.0.0.1:$p" "$@" "$dir" 2>>"$work/err" &
		pid=$!
		for _ in $(seq 200); do
			kill -0 "$pid" 2>/dev/null || break
			if curl -s -o /dev/null "http://127.0.0.1:$p/healthz"; then port=$p; return 0; fi
			sleep 0.05
		done
		wait "$pid" 2>/dev/null || true
	done
	echo "trainmon did not start" >&2
	tail "$work/err" >&2
	exit 1
}
stop() {
	kill -TERM "$pid"
	wait "$pid" || true
	pid=""
}
# metric NAME: an unlabelled sample's value; a failed or cut scrape (a busy daemon) is retried
metric() {
	local v=
	for _ in 1 2 3 4 5; do
		v=$(curl -s -m 60 "http://127.0.0.1:$port/metrics" | awk -v n="$1" '$1 == n { print $2 }') || true
		[ -n "$v" ] && break
		sleep 0.5
	done
	echo "$v"
}
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat"; }
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$pid/status"; }
# cpu_pct: % of one core the daemon uses over $secs seconds
cpu_pct() {
	local a b
	a=$(cpu_ticks)
	sleep "$secs"
	b=$(cpu_ticks)
	awk -v a="$a" -v b="$b" -v s="$secs" -v hz="$hz" 'BEGIN { printf "%.1f", (b - a) * 100 / (s * hz) }'
}
wait_files() {
	local n=$1 deadline=$((SECONDS + 600))
	until [ "$(metric trainmon_files_watched)" = "$n" ]; do
		[ $SECONDS -lt $deadline ] || { echo "the daemon follows $(metric trainmon_files_watched) files, not $n" >&2; exit 1; }
		sleep 0.2
	done
	# and has read them: the lines it counts stop growing
	local l1=-1 l2
	while l2=$(metric trainmon_lines_total); [ "$l1" != "$l2" ]; do l1=$l2; sleep 1; done
}
report() { echo "$*"; results+=("$*"); }

echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg); $secs s per figure"
for n in $counts; do
	rm -rf "$work/tree"
	mkdir -p "$work/tree"
	mktree "$work/tree" "$n"
	start "$work/tree"
	wait_files "$n"
	idle=$(cpu_pct)
	rss=$(rss_kb)
	curl -s "http://127.0.0.1:$port/metrics" >"$work/m"
	series=$(grep -vc '^#' "$work/m" || true)
	bytes=$(wc -c <"$work/m")
	t=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port/metrics")
	active=- arss=- rate=-
	if [ "$n" -gt 0 ]; then
		writer "$work/tree" "$n"
		sleep 2
		l0=$(metric trainmon_lines_total)
		active=$(cpu_pct)
		arss=$(rss_kb)
		rate=$(( ($(metric trainmon_lines_total) - l0) / secs ))
		kill "$wpid"; wait "$wpid" 2>/dev/null || true; wpid=""
	fi
	stop
	report "| $n files | idle CPU $idle % | idle RSS $((rss / 1024)) MB | 1 line/s per file ($rate lines/s read): CPU $active % | RSS $([ "$arss" = - ] && echo - || echo $((arss / 1024))) MB | $series series, $((bytes / 1024)) KiB, scrape ${t}s |"
done

# 10 000 lines/s over 100 files (scrapes answered meanwhile: timed)
rm -rf "$work/tree"
mkdir -p "$work/tree"
mktree "$work/tree" 100
start "$work/tree"
wait_files 100
l0=$(metric trainmon_lines_total)
writer "$work/tree" 10000 12
sleep 2
cpu=$(cpu_pct)
rss=$(rss_kb)
t=$(curl -s -m 60 -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port/metrics")
l1=$(metric trainmon_lines_total)
kill "$wpid"; wait "$wpid" 2>/dev/null || true; wpid=""
stop
report "| 10 000 lines/s over 100 files | CPU $cpu % | RSS $((rss / 1024)) MB | $(( (l1 - l0) / (secs + 2) )) lines/s read | scrape ${t}s |"

# polling: 1000 idle files under --poll 2 (as Lustre and GPFS directories are)
rm -rf "$work/tree"
mkdir -p "$work/tree"
mktree "$work/tree" 1000
start "$work/tree" --poll 2
wait_files 1000
cpu=$(cpu_pct)
rss=$(rss_kb)
stop
report "| 1000 idle files, --poll 2 | CPU $cpu % | RSS $((rss / 1024)) MB |"

echo
printf '%s\n' "${results[@]}"

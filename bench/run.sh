#!/usr/bin/env bash
# run.sh [--quick] [SIZE_MB]: issue 15's benchmark, every figure from whole processes in one run.
#
# One generated Megatron log (bench/gen_log.sh, default 1024 MB with NOISE=5 noise lines per
# iteration line: about a million steps), page cache warm, and on that same file:
#   trainmon analyze --format json, every shipped pack loaded (as installed: patterns/);
#   the same on one thread (TRAINMON_SPLIT_MIN past the file's size: the CPU time of the work
#   alone; a second thread on a vCPU that shares a core, or a slower one, is charged more);
#   rg -o the step-time field; mawk and gawk extracting and averaging it; mtail (--one_shot, a
#   one-regex program) on the first 100 MB, compared by throughput.
# Each command runs RUNS (default 5) times, in rounds (each command once a round); the table shows
# the medians of wall time, CPU time (user + system) and peak RSS (GNU time), then every ratio the
# issue sets a target for.
# Then memory: peak RSS at two step counts (bytes per step record), and at one step count with
# four times the noise (flat in noise bytes); and many files: the same log cut at line ends
# into 1 MiB files, analysed in one command, against the one file in rounds with it (wall ratio,
# output order). Last, whether the second CPU is a core of its own: one thread's CPU time on
# one CPU, alone and beside a busy loop on another.
# A peer that is missing is installed with apt-get when we are root (BENCH_NO_INSTALL=1: never),
# else skipped with a note. --quick: 16 MB, one run, no installs (CTest's smoke test: it checks
# that the script works, never a time).
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
if [ "${1:-}" = "--quick" ]; then
	quick=1
	shift
fi
mb=${1:-$([ $quick = 1 ] && echo 16 || echo 1024)}
runs=${RUNS:-$([ $quick = 1 ] && echo 1 || echo 5)}
noise=${NOISE:-5}
bin=${TRAINMON:-build/trainmon}
[ -x "$bin" ] || { echo "build trainmon first (scripts/run-sample.sh)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time): skipped" >&2; exit 77; }
export TRAINMON_PATTERNS=$PWD/patterns LC_ALL=C

# have CMD PACKAGE: CMD is there, installed with apt-get if it can be
have() {
	command -v "$1" >/dev/null && return 0
	if [ $quick = 0 ] && [ "${BENCH_NO_INSTALL:-0}" != 1 ] && [ "$(id -u)" = 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null 2>&1 || true
	fi
	command -v "$1" >/dev/null && return 0
	echo "note: $1 is not installed (apt-get install $2): its row is skipped"
	return 1
}

dir=$(mktemp -d)
busy=""                                  # a busy loop of the CPU section below, killed on any exit
trap '[ -z "$busy" ] || kill "$busy" 2>/dev/null; rm -rf "$dir"' EXIT
log=$dir/bench.out
bench/gen_log.sh "$log" "$mb" "$noise"
size=$(stat -c %s "$log")
cat "$log" >/dev/null   # warm the page cache

# timed FILE CMD...: one run of CMD under GNU time, its output in $dir/out; wall, user, system
# and peak RSS appended to FILE
timed() {
	local file=$1
	shift
	/usr/bin/time -f '%e %U %S %M' -o "$dir/time" "$@" >"$dir/out" 2>"$dir/err" || {
		echo "failed: $*" >&2
		tail -3 "$dir/err" >&2
		exit 1
	}
	cat "$dir/time" >>"$file"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# medians FILE: M_WALL M_CPU (s) M_RSS (KiB), the medians of the runs in FILE
medians() {
	M_WALL=$(awk '{ print $1 }' "$1" | median)
	M_CPU=$(awk '{ print $2 + $3 }' "$1" | median)
	M_RSS=$(awk '{ print $4 }' "$1" | median)
}
# measure CMD...: RUNS runs in a row, then their medians
measure() {
	local i
	: >"$dir/times"
	for ((i = 0; i < runs; i++)); do
		timed "$dir/times" "$@"
	done
	medians "$dir/times"
}
# row LABEL BYTES: prints the last measure's medians as a table row
row() {
	awk -v l="$1" -v b="$2" -v w="$M_WALL" -v c="$M_CPU" -v r="$M_RSS" 'BEGIN {
		printf "%-44s %8.2f %8.2f %9.1f %9.0f\n", l, w, c, r / 1024, (w > 0) ? b / 1048576 / w : 0 }'
}
ratio() { awk -v a="$2" -v b="$3" -v t="$4" -v l="$1" 'BEGIN { printf "  %-52s %6.2f   %s\n", l, (b > 0) ? a / b : 0, t ~ /^\(/ ? t : "(target " t ")" }'; }
steps_of() { awk -F': ' '/"steps":/ { gsub(",", "", $2); print $2; exit }' "$1"; }

echo "trainmon benchmark, $(date -u +%Y-%m-%d), $(nproc) CPUs, $(uname -r), $bin"
echo "log: $((size / 1048576)) MiB, $(wc -l <"$log") lines, $noise noise lines per iteration line; medians of $runs runs"
printf '%-44s %8s %8s %9s %9s\n' "command" "wall s" "CPU s" "RSS MiB" "MiB/s"

# the field averaged, as a user would type it
awkprog='{ i = index($0, "elapsed time per iteration (ms): "); if (i) { s += substr($0, i + 33) + 0; n++ } } END { printf "%d %.4f\n", n, s / n }'
peers="tm tm1"
have rg ripgrep && peers="$peers rg"
have mawk mawk && peers="$peers mawk"
have gawk gawk && peers="$peers gawk"
mt_mb=$((mb < 100 ? mb : 100))
if have mtail mtail; then
	peers="$peers mtail"
	mkdir -p "$dir/progs"
	cat >"$dir/progs/step.mtail" <<'EOF2'
counter iterations
gauge step_ms
/elapsed time per iteration \(ms\): (?P<ms>[0-9.]+)/ {
  iterations++
  step_ms = $ms
}
EOF2
	head -c $((mt_mb << 20)) "$log" >"$dir/mtail.out"
fi
# run1 NAME: one run of that command, its times appended to $dir/times.NAME, its output kept
run1() {
	local name=$1
	case $name in
	tm) set -- "$bin" analyze --format json "$log" ;;
	tm1) set -- env TRAINMON_SPLIT_MIN=18446744073709551615 "$bin" analyze --format json "$log" ;;
	rg) set -- rg -o 'elapsed time per iteration \(ms\): [0-9.]+' "$log" ;;
	mawk) set -- mawk "$awkprog" "$log" ;;
	gawk) set -- gawk "$awkprog" "$log" ;;
	mtail) set -- mtail --one_shot --one_shot_format prometheus --logtostderr --progs "$dir/progs" --logs "$dir/mtail.out" ;;
	esac
	timed "$dir/times.$name" "$@"
	mv "$dir/out" "$dir/out.$name"
}
# Round robin: every command once a round, RUNS rounds, so that a machine whose speed drifts
# (a virtual machine's neighbours) slows every command alike and the ratios hold.
for ((r = 0; r < runs; r++)); do
	for p in $peers; do
		run1 "$p"
	done
done
medians "$dir/times.tm"
row "trainmon analyze --format json (all packs)" "$size"
t_wall=$M_WALL t_cpu=$M_CPU t_rss=$M_RSS
steps=$(steps_of "$dir/out.tm")
cp "$dir/out.tm" "$dir/one.json"

rg_wall="" mawk_wall="" mtail_mbs=""
for p in $peers; do
	case $p in
	tm1)
		medians "$dir/times.tm1"; row "trainmon, the same on one thread" "$size"; t1_cpu=$M_CPU
		cmp -s "$dir/out.tm1" "$dir/one.json" || echo "  (its output differs from the threaded run's: a bug)" ;;
	rg) medians "$dir/times.rg"; row "rg -o 'elapsed time per iteration...' (mmap)" "$size"; rg_wall=$M_WALL rg_cpu=$M_CPU ;;
	mawk) medians "$dir/times.mawk"; row "mawk, the field extracted and averaged" "$size"; mawk_wall=$M_WALL mawk_cpu=$M_CPU ;;
	gawk) medians "$dir/times.gawk"; row "gawk, the same program" "$size"; gawk_wall=$M_WALL gawk_cpu=$M_CPU ;;
	mtail)
		medians "$dir/times.mtail"
		row "mtail --one_shot, one regex (first $mt_mb MiB)" $((mt_mb << 20))
		mtail_mbs=$(awk -v w="$M_WALL" -v m="$mt_mb" 'BEGIN { print m / w }')
		rm -f "$dir/mtail.out" ;;
	esac
done

echo "trainmon: $steps step records"
echo "ratios (trainmon / peer):"
if [ -n "$rg_wall" ]; then
	ratio "wall / rg -o wall" "$t_wall" "$rg_wall" "<= 1"
	ratio "CPU / rg -o CPU" "$t_cpu" "$rg_cpu" "<= 2"
fi
if [ -n "$mawk_wall" ]; then
	ratio "wall / mawk wall" "$t_wall" "$mawk_wall" "< 1"
	ratio "CPU / mawk CPU" "$t_cpu" "$mawk_cpu" "< 1"
	# no target: what a CPU of this machine does, free of the second thread's (a vCPU sharing a
	# core, or a slower one, charges more CPU time for the same work)
	ratio "one thread: CPU / mawk CPU" "$t1_cpu" "$mawk_cpu" "(no target)"
fi
if [ -n "${gawk_wall:-}" ]; then
	ratio "wall / gawk wall" "$t_wall" "$gawk_wall" "< 1"
	ratio "CPU / gawk CPU" "$t_cpu" "$gawk_cpu" "< 1"
fi
if [ -n "$mtail_mbs" ]; then
	ratio "throughput / mtail throughput" "$(awk -v s="$size" -v w="$t_wall" 'BEGIN { print s / 1048576 / w }')" "$mtail_mbs" ">= 30"
fi

# ---- memory: bytes per step record, and flat in noise ----
echo "memory (peak RSS, medians of $runs):"
bench/gen_log.sh "$dir/quarter.out" $((mb / 4)) "$noise"
measure "$bin" analyze --format json "$dir/quarter.out"
q_rss=$M_RSS
q_steps=$(steps_of "$dir/out")
per=$(awk -v a="$t_rss" -v b="$q_rss" -v s="$steps" -v q="$q_steps" 'BEGIN { printf "%.0f", (a - b) * 1024 / (s - q) }')
printf '  %d steps: %.1f MiB; %d steps: %.1f MiB; %s bytes per step record (target <= 40)\n' \
	"$q_steps" "$(awk -v r="$q_rss" 'BEGIN { print r / 1024 }')" "$steps" "$(awk -v r="$t_rss" 'BEGIN { print r / 1024 }')" "$per"
# the store's own count (its columns' capacity): RSS rounds a column's last page up, 2 MiB for
# the columns of 256 KiB or more (tm_xpages), so the difference above can read low or high
TRAINMON_DEBUG_STATS=1 "$bin" analyze --format json "$log" >/dev/null 2>"$dir/stats" || true
awk '/ step records in / { for (i = 1; i < NF; i++) if ($(i + 1) == "step" && $(i + 2) == "records") n = $i;
	for (i = 1; i < NF; i++) if ($(i + 1) == "bytes" && $(i + 2) == "of") b = $i }
	END { if (n > 0) printf "  the step store'"'"'s own count: %d bytes in columns for %d records, %.1f bytes per step record\n", b, n, b / n }' "$dir/stats"
printf '  peak RSS at %d steps: %.1f MiB (target <= 64 MiB at 1 M steps)\n' "$steps" "$(awk -v r="$t_rss" 'BEGIN { print r / 1024 }')"
rm -f "$dir/quarter.out"
# the quarter's step count with four times the noise per step
bench/gen_log.sh "$dir/noisy.out" $((mb * 8)) $((noise * 4)) "$q_steps"
measure "$bin" analyze --format json "$dir/noisy.out"
n_size=$(stat -c %s "$dir/noisy.out")
printf '  %d steps among %d MiB (4x the noise): %.1f MiB, %.2fx the RSS of the same steps among %d MiB\n' \
	"$(steps_of "$dir/out")" $((n_size >> 20)) "$(awk -v r="$M_RSS" 'BEGIN { print r / 1024 }')" \
	"$(awk -v a="$M_RSS" -v b="$q_rss" 'BEGIN { print a / b }')" $((mb / 4))
rm -f "$dir/noisy.out"

# ---- many files: the same bytes cut into 1 MiB files ----
mkdir "$dir/parts"
split -C 1048576 -d -a 5 "$log" "$dir/parts/part-"
nparts=$(ls "$dir/parts" | wc -l)
# in rounds with the one file again, as the peers above: the ratio compares runs of one window
: >"$dir/times.one" && : >"$dir/times.many"
for ((r = 0; r < runs; r++)); do
	timed "$dir/times.one" "$bin" analyze --format json "$log"
	timed "$dir/times.many" "$bin" analyze --format json "$dir"/parts/part-*
done
medians "$dir/times.one"
one_wall=$M_WALL
medians "$dir/times.many"
echo "many files (in rounds with the one file: its wall $one_wall s there):"
row "trainmon analyze, $nparts files of <= 1 MiB" "$size"
ratio "wall of $nparts files / wall of the one file" "$M_WALL" "$one_wall" "<= 1.2"
grep '^      "file":' "$dir/out" | sed 's/.*"file": "\(.*\)",*/\1/' >"$dir/order"
if ls "$dir"/parts/part-* | cmp -s - "$dir/order"; then
	echo "  output order: the input order ($nparts runs)"
else
	echo "  output order: NOT the input order" >&2
	exit 1
fi

# ---- the machine: is the second CPU a core of its own? ----
# One thread's CPU time for the same bytes on one CPU, alone and with a busy loop pinned to
# another: on a VM whose vCPUs share a physical core the second slows the first, and a threaded
# run is charged up to twice the CPU for the same work (the CPU ratios above read with it).
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
	read -r c1 c2 < <(awk '/^Cpus_allowed_list/ { n = split($2, r, ","); k = 0
		for (i = 1; i <= n && k < 2; i++) { m = split(r[i], b, "-"); lo = b[1]; hi = m > 1 ? b[2] : b[1]
			for (c = lo; c <= hi && k < 2; c++) { printf "%s%d", k ? " " : "", c; k++ } } print "" }' /proc/self/status)
	head -c $((mb < 128 ? mb << 20 : 128 << 20)) "$log" >"$dir/probe.out"
	: >"$dir/times.alone" && : >"$dir/times.shared"
	for ((r = 0; r < runs; r++)); do
		TRAINMON_SPLIT_MIN=18446744073709551615 timed "$dir/times.alone" taskset -c "$c1" "$bin" analyze --format json "$dir/probe.out"
		taskset -c "$c2" sh -c 'while :; do :; done' &
		busy=$!
		TRAINMON_SPLIT_MIN=18446744073709551615 timed "$dir/times.shared" taskset -c "$c1" "$bin" analyze --format json "$dir/probe.out"
		kill "$busy"
		wait "$busy" 2>/dev/null || true
		busy=""
	done
	medians "$dir/times.alone"
	alone=$M_CPU
	medians "$dir/times.shared"
	awk -v a="$alone" -v s="$M_CPU" -v c1="$c1" -v c2="$c2" 'BEGIN {
		printf "CPUs: one thread on cpu%d, %.3f s of CPU alone, %.3f s with cpu%d busy: %.2fx (%s)\n", c1, a, s, c2,
			(a > 0) ? s / a : 0, (a < 0.1) ? "too short to tell" : (s / a > 1.25) ? "they share a core: a threaded run is charged for it" : "cores of their own" }'
	rm -f "$dir/probe.out"
fi

#!/usr/bin/env bash
# churn_dirs: with --recursive, 300 job directories (one with a subdirectory of its own) are made,
# each with a log, and removed again, in three batches. Every removed directory must be forgotten:
# trainmon_directories_watched and trainmon_files_watched (--textfile) return to the live counts and
# the daemon's descriptors to their baseline; a directory made again under an old name is followed.
. "$(dirname "$0")/lib.sh"
BATCH=100
PROM=$SCR/metrics.prom
DAEMON_ARGS=(--recursive)
start_daemon --rotate-wait 0.2 --expire 1 --textfile "$PROM"
gauge() { [ -f "$PROM" ] && awk -v n="$1" '$1 == n { print $2 }' "$PROM"; }
gauge_is() { [ "$(gauge "$1")" = "$2" ]; }
nfds() { ls /proc/"$TM_PID"/fd | wc -l; }
# on a failure: the gauges as last written, what is left on disk, the daemon's descriptors
on_fail() {
	echo "directories_watched $(gauge trainmon_directories_watched), files_watched $(gauge trainmon_files_watched)"
	echo "left under $D: $(find "$D" -mindepth 1 -type d | wc -l) directories, $(find "$D" -type f | wc -l) files"
	[ -n "$TM_PID" ] && echo "descriptors: $(ls /proc/"$TM_PID"/fd 2>/dev/null | wc -l) (baseline ${FDS0:-?})"
	return 0
}
wait_for "the start counted" 10 gauge_is trainmon_directories_watched 1
FDS0=$(nfds)
for ((b = 1; b <= 3; b++)); do
	for ((i = 0; i < BATCH; i++)); do
		mkdir -p "$D/job-$b-$i/sub"
		printf 'loss=1.0 job %d %d\n' "$b" "$i" >"$D/job-$b-$i/train.log"
	done
	printf 'loss=1.0 nested %d\n' "$b" >"$D/job-$b-0/sub/deep.log"
	wait_for "the $((2 * BATCH)) directories of batch $b watched" 20 \
		gauge_is trainmon_directories_watched $((1 + 2 * BATCH))
	wait_for "their $((BATCH + 1)) files followed" 20 gauge_is trainmon_files_watched $((BATCH + 2))
	rm -rf "$D"/job-"$b"-*
	wait_for "the directories of batch $b forgotten" 20 gauge_is trainmon_directories_watched 1
	wait_for "their files released" 20 gauge_is trainmon_files_watched 1
done
fds_back() { [ "$(nfds)" -le "$FDS0" ]; }
wait_for "descriptors back to the baseline ($FDS0)" 10 fds_back
# an old name made again is a new directory, followed
mkdir -p "$D/job-1-7/sub"
emit_gen "$D/job-1-7/sub/again.log" again 1 20
again_read() { [ "$(texts | grep -c ' again 0')" -ge 20 ]; }
wait_for "a file in a directory made again under an old name" 10 again_read
stop_daemon
[ "$(texts | grep ' again 0' | sort)" = "$(sort "$EXPECTED")" ] || fail "again.log not read exactly once each line"
pass "$((3 * 2 * BATCH)) directories made and removed: forgotten, fds back to $FDS0, a remade one followed"

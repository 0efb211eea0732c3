#!/usr/bin/env bash
# churn_files: 20 000 small files are created, written twice and deleted in batches of 2 000
# (BATCHES, default 10: a Slurm directory of job logs that come and go), with --rotate-wait 0.2 and
# --expire 1. Every file of a batch is followed before the batch is deleted, so each batch has the
# same 2 000 files in flight. After each batch the daemon must release every deleted file:
# trainmon_files_watched (--textfile) returns to the live count and its descriptors to their
# baseline. The lower VmRSS of the last two batches must be within 1 MiB of what it was after the
# second: the first two batches grow the heap to its working size (the second fills the kept
# segments of gone files, docs/design.md "Live chains"), later ones must reuse it. Later batches
# move RSS by -100..+130 kB, but once in a few dozen runs one batch jumps by about 1 MiB and stays
# (likely glibc keeping freed heap below its trim threshold, which it raises once a large block,
# such as a file's 1 MiB read buffer, is freed: not traced) and failed a last-batch-only bound
# (CI, and once under a local -j2 run); a leak raises every batch, so
# the lower of the last two still shows it. 1 MiB then catches a leak of 73 bytes a file over 10
# batches, 171 over 6 (the bug this guards against kept 9.5 KB a file). New files are followed
# afterwards.
. "$(dirname "$0")/lib.sh"
BATCHES=${BATCHES:-10}
BATCH=2000
RSS_SLACK_KB=${RSS_SLACK_KB:-1024}
PROM=$SCR/metrics.prom
start_daemon --rotate-wait 0.2 --expire 1 --textfile "$PROM"
emit_gen "$D/keep.log" keep 1 5
LIVE=2                          # ready.log and keep.log
gauge() { [ -f "$PROM" ] && awk -v n="$1" '$1 == n { print $2 }' "$PROM"; }
gauge_is() { [ "$(gauge "$1")" = "$2" ]; }
nfds() { ls /proc/"$TM_PID"/fd | wc -l; }
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' /proc/"$TM_PID"/status; }
wait_for "keep.log followed" 10 gauge_is trainmon_files_watched $LIVE
FDS0=$(nfds)
churn() {   # churn N: one batch of files created, written twice, deleted
	local i
	for ((i = 0; i < BATCH; i++)); do
		printf 'loss=1.0 step %d of batch %d\n' "$i" "$1" >"$D/slurm-$1-$i.out"
		printf 'loss=0.9 step %d done\n' "$i" >>"$D/slurm-$1-$i.out"
	done
	wait_for "the $BATCH files of batch $1 followed" 30 gauge_is trainmon_files_watched $((LIVE + BATCH))
	rm -f "$D"/slurm-"$1"-*.out
	wait_for "the files of batch $1 released (trainmon_files_watched back to $LIVE, have $(gauge trainmon_files_watched))" \
		30 gauge_is trainmon_files_watched $LIVE
}
RSS2=
for ((b = 1; b <= BATCHES; b++)); do
	churn "$b"
	rss=$(rss_kb)
	[ "$b" = 2 ] && RSS1=$rss
	# the lower of the last two batches' (BATCHES >= 4)
	[ "$b" -ge $((BATCHES - 1)) ] && { [ -z "$RSS2" ] || [ "$rss" -lt "$RSS2" ]; } && RSS2=$rss
	log "batch $b: RSS $rss kB"
done
log "RSS after batch 2: $RSS1 kB, the lower of batches $((BATCHES - 1)) and $BATCHES: $RSS2 kB ($((RSS2 - RSS1)) kB more, bound $RSS_SLACK_KB kB)"
[ $((RSS2 - RSS1)) -le "$RSS_SLACK_KB" ] || fail "RSS grew by $((RSS2 - RSS1)) kB over $(((BATCHES - 2) * BATCH)) deleted files"
fds_back() { [ "$(nfds)" -le "$FDS0" ]; }
wait_for "descriptors back to the baseline ($FDS0, have $(nfds))" 10 fds_back
emit_gen "$D/keep.log" keep 6 10
emit_gen "$D/after.log" after 1 20
# the churned files' lines are not checked (a file deleted before the daemon opened it is never
# read); the followed ones are: every line of keep.log and after.log, once
kept_read() { [ "$(texts | grep -c -e ' keep 0' -e ' after 0')" -ge "$(nexpected)" ]; }
wait_for "a new file and the kept one still followed" 10 kept_read
stop_daemon
[ "$(texts | grep -e ' keep 0' -e ' after 0' | sort)" = "$(sort "$EXPECTED")" ] ||
	fail "keep.log and after.log not read exactly once each line"
pass "$((BATCHES * BATCH)) files created and deleted: released, RSS +$((RSS2 - RSS1)) kB, fds back to $FDS0"

#!/usr/bin/env bash
# restart_corrupt_state: the state file is damaged while the daemon is stopped (one byte changed;
# then cut short; then garbage). Expected, documented behaviour: the daemon says so on stderr and
# starts without state, so files are read from the start: each run after a damaged state reads
# every line of the file once more. The check therefore expects, per run, the whole file as it is
# at that start (lines written since the last run included once): a line written before run k is
# read once by each run from k on. The last run's state is good again: the next restart resumes.
. "$(dirname "$0")/lib.sh"
DAEMON_ARGS=(--state "$STATE")
emit_gen "$D/train.log" a 1 100
start_daemon
wait_for "100 lines" 10 all_expected
stop_daemon
for damage in flip cut garbage; do
	case $damage in
	flip) printf 'X' | dd of="$STATE" bs=1 seek=40 conv=notrunc status=none ;;
	cut) truncate -s $(($(stat -c %s "$STATE") / 2)) "$STATE" ;;
	garbage) head -c 300 /dev/urandom >"$STATE" ;;
	esac
	cat "$D/train.log" >>"$EXPECTED"             # read again from the start
	start_daemon
	wait_for "the whole file again after a $damage state file" 10 all_expected
	stderr_has "starting without it" || fail "the $damage state file was not reported"
	stop_daemon
	check_multiset
	log "$damage state file: reported, every line read once more from the start"
	gen "after-$damage" 1 10 >>"$D/train.log"    # counted by the next run's whole-file read
done
tail -n 10 "$D/train.log" >>"$EXPECTED"          # after-garbage: read once by the resumed run
start_daemon                                     # the state saved by the last run is good
wait_for "the last lines" 10 all_expected
stop_daemon
check_multiset
pass "corrupt state (flipped byte, cut short, garbage) reported; fresh start; then exact resume"

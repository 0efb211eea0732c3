#!/usr/bin/env bash
# restart_state: the daemon saves its state on SIGTERM and resumes from it. While it is stopped,
# train.log grows, a second file appears, and a third is deleted. Over both runs every line is read
# exactly once: nothing lost, nothing read twice.
. "$(dirname "$0")/lib.sh"
DAEMON_ARGS=(--state "$STATE" --state-every 1)
emit_gen "$D/train.log" a 1 100
emit_gen "$D/gone.log" g 1 10
start_daemon
emit_gen "$D/train.log" a 101 200
wait_for "200 + 10 lines in the first run" 10 all_expected
stop_daemon
[ -s "$STATE" ] || fail "no state file after SIGTERM"
emit_gen "$D/train.log" a 201 300                # while stopped
emit_gen "$D/new.log" n 1 40
rm "$D/gone.log"
start_daemon
wait_for "the lines written while stopped" 10 all_expected
emit_gen "$D/train.log" a 301 350
wait_for "lines after the restart" 10 all_expected
stop_daemon
check_multiset
# a second restart with nothing new reads nothing
start_daemon
stop_daemon
check_multiset
pass "restart resumes exactly where it stopped (3 runs)"

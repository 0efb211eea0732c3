#!/usr/bin/env bash
# state_released: a deleted file, once closed and released, leaves the state file (or it would
# grow for ever), and a file made again under its name after a restart is a new file: read from 0
# into a new run, with nothing of the old run (its steps) resurrected.
. "$(dirname "$0")/lib.sh"
DAEMON_ARGS=(--state "$STATE" --state-every 1 --rotate-wait 0.2)
start_daemon
emit_gen "$D/gone.log" old 1 30
emit_gen "$D/keep.log" keep 1 5
wait_for "both files read" 10 all_expected
# the state file names a file by its path in hex
in_state() { [ -f "$STATE" ] && grep -qxF "tail $(printf '%s' "$D/$1" | od -An -tx1 | tr -d ' \n')" "$STATE"; }
wait_for "gone.log saved in the state" 10 in_state gone.log
rm "$D/gone.log"
not_in_state() { ! in_state gone.log && in_state keep.log; }
wait_for "gone.log out of the state file once released" 10 not_in_state
stop_daemon
emit_gen "$D/gone.log" new 1 10
start_daemon
wait_for "the new gone.log read" 10 all_expected
stop_daemon
check_multiset
pass "a released file left the state file; its name made again after a restart is a new file"

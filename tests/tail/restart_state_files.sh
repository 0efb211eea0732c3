#!/usr/bin/env bash
# restart_state_files: the state file's life around the lines. At start the temp files of saves a
# killed daemon never finished (STATE.tmp.PID, PID dead) are removed, a live process's is kept;
# the state is written right after the first scan (not only after --state-every); a state file
# that cannot be written at start ends the daemon with exit status 3, as --help says; a save that
# fails later is reported and retried, and the daemon keeps running.
. "$(dirname "$0")/lib.sh"
[ "$BACKEND" = inotify ] || skip "one backend is enough: saves do not depend on it"
sleep 0 & dead=$!
wait "$dead"                                     # a pid that is surely not alive now
: >"$STATE.tmp.$dead"
: >"$STATE.tmp.$$"                                # this shell: alive, its file is kept
emit_gen "$D/train.log" a 1 20
DAEMON_ARGS=(--state "$STATE" --state-every 3600)
start_daemon
[ -s "$STATE" ] || fail "no state written after the first scan"
[ ! -e "$STATE.tmp.$dead" ] || fail "stale temp file of dead pid $dead not removed"
[ -e "$STATE.tmp.$$" ] || fail "the temp file of a live process was removed"
stderr_has "removed 1 temp file" || fail "no note about the removed temp file"
stop_daemon
rm -f "$STATE.tmp.$$"
log "stale temp file removed, a live one kept, state written at start"
# cannot be written at start: exit status 3 with the reason
"$TRAINMON" watch --quiet --state "$SCR/no/such/dir/state" "$D" 2>"$SCR/err.unwritable" &
pid=$!
deadline=$(($(now_ms) + 10000 * TM_SCALE))
while kill -0 "$pid" 2>/dev/null && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.05; done
kill -0 "$pid" 2>/dev/null && { kill -KILL "$pid"; fail "kept running with a state file it cannot write"; }
rc=0
wait "$pid" || rc=$?
[ "$rc" = 3 ] || fail "exit status $rc with an unwritable state file (--help promises 3)"
grep -q "cannot write the state file" "$SCR/err.unwritable" || fail "no reason given: $(cat "$SCR/err.unwritable")"
log "unwritable at start: exit 3"
# fails later: reported, retried, the daemon goes on
mkdir "$SCR/sd"
mapfile -t again < <(gen a 1 20)
expect "${again[@]}"                             # a new state file: train.log is read from 0 again
DAEMON_ARGS=(--state "$SCR/sd/state" --state-every 1)
start_daemon
rm -rf "$SCR/sd"
wait_for "a failed save to be reported" 10 stderr_has "cannot save state"
emit_gen "$D/train.log" a 21 30
wait_for "lines read after the failed save" 10 all_expected
mkdir "$SCR/sd"
wait_for "a save to succeed again" 10 test -s "$SCR/sd/state"
stop_daemon
check_multiset
pass "stale temp files removed; state saved at start; exit 3 when unwritable at start; later failures retried"

#!/usr/bin/env bash
# restart_truncated: while the daemon is stopped, train.log is truncated and rewritten: (1) shorter
# than the saved offset, (2) longer than it (only the saved marker can tell), (3) in place with
# copytruncate while a writer appends. Expected, documented behaviour: the new content is read
# from the start, once, with a note "truncated while stopped"; no old line is read again.
. "$(dirname "$0")/lib.sh"
DAEMON_ARGS=(--state "$STATE")
emit_gen "$D/train.log" a 1 200
start_daemon
wait_for "200 lines" 10 all_expected
stop_daemon
: >"$D/train.log"
emit_gen "$D/train.log" short 1 20
start_daemon
wait_for "the shorter new content" 10 all_expected
stderr_has "truncated while stopped" || fail "no note about the truncation"
stop_daemon
log "(1) shorter: ok"
: >"$D/train.log"
emit_gen "$D/train.log" long 1 400
start_daemon
wait_for "the longer new content" 10 all_expected
stop_daemon
[ "$(grep -c 'truncated while stopped' "$SCR/err.3")" = 1 ] || fail "no note about the second truncation"
log "(2) longer than the saved offset: ok"
exec 3>>"$D/train.log"
cp "$D/train.log" "$D/train.log.1"
truncate -s 0 "$D/train.log"
emit_gen /dev/fd/3 copytrunc 1 50
exec 3>&-
start_daemon
wait_for "the content after copytruncate" 10 all_expected
stop_daemon
check_multiset
pass "truncated while stopped (shorter, longer, copytruncate): new content read once from 0"

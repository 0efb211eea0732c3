#!/usr/bin/env bash
# restart_megatron: a Megatron log truncated and rewritten while the daemon is stopped, the new
# content at least as long as the saved offset with a line ending exactly there: every iteration
# line has the same last 33 bytes, so the saved marker matches. The saved identity (head and window
# hashes, birth time) must not: documented behaviour is "truncated while stopped", the new
# content read from the start, once. Then (3) a copytruncate with a writer keeping its fd.
. "$(dirname "$0")/lib.sh"
DAEMON_ARGS=(--state "$STATE")
emit_megatron "$D/train.log" 09:13:10 1 100
start_daemon
wait_for "100 lines" 10 all_expected
stop_daemon
# (1) longer than the saved offset, (2) as long as it; each with a line ending exactly there
for case in "1 10:20:30" "2 11:00:00"; do
	set -- $case
	: >"$D/train.log"
	emit_megatron "$D/train.log" "$2" 1 150
	start_daemon
	wait_for "the new content of case ($1)" 10 all_expected
	stop_daemon
	[ "$(grep -c 'truncated while stopped' "$SCR/err.$TM_RUN")" = 1 ] || fail "case ($1): no note about the truncation"
	log "($1) same last bytes at the saved offset: ok"
done
exec 3>>"$D/train.log"
cp "$D/train.log" "$D/train.log.1"
truncate -s 0 "$D/train.log"
emit_megatron /dev/fd/3 12:00:00 1 300
exec 3>&-
start_daemon
wait_for "the content after copytruncate" 10 all_expected
# untouched while stopped: resumed where it left off, nothing read twice
stop_daemon
emit_megatron "$D/train.log" 12:00:00 301 320
start_daemon
wait_for "the lines appended while stopped" 10 all_expected
stop_daemon
[ "$(grep -c 'truncated while stopped' "$SCR/err.5")" = 0 ] || fail "an untouched log was taken as truncated"
check_multiset
pass "Megatron log truncated while stopped, same last bytes at the saved offset: new content read once from 0"

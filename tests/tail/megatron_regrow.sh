#!/usr/bin/env bash
# megatron_regrow: copytruncate of a Megatron log noticed only after it regrew (the daemon is held
# by SIGSTOP between polls). Every iteration line has the same length and the same last 33 bytes,
# so the rewritten log has a line ending exactly at the old read position with the same bytes
# before it: the marker alone passes it as "not truncated" and skips everything before the old
# position. The file's identity (hashes of its head and of a window before the position) must
# catch it: the new content is read from 0, once. Cases: regrown past the old position, regrown
# to exactly it, and a writer that keeps its O_APPEND descriptor (copytruncate).
. "$(dirname "$0")/lib.sh"
start_daemon
emit_megatron "$D/train.log" 09:13:10 1 100
wait_for "100 lines" 10 all_expected
a=$(tail -c 33 "$D/train.log" | od -An -tx1)
kill -STOP "$TM_PID"
: >"$D/train.log"
emit_megatron "$D/train.log" 10:20:30 1 150       # line 100 ends at the old read position
[ "$(head -c "$((100 * $(head -n 1 "$D/train.log" | wc -c)))" "$D/train.log" | tail -c 33 | od -An -tx1)" = "$a" ] ||
	fail "test setup: the bytes before the old position differ, so the marker alone would see it"
kill -CONT "$TM_PID"
wait_for "150 lines after truncate + regrow past the old offset" 10 all_expected
log "regrown past the old offset, same last bytes: ok"
kill -STOP "$TM_PID"
: >"$D/train.log"
emit_megatron "$D/train.log" 11:00:00 1 150       # exactly as long as before
kill -CONT "$TM_PID"
wait_for "150 lines after a same-size rewrite" 10 all_expected
log "same-size rewrite, same last bytes: ok"
exec 3>>"$D/train.log"
kill -STOP "$TM_PID"
cp "$D/train.log" "$D/train.log.1"
truncate -s 0 "$D/train.log"
emit_megatron /dev/fd/3 12:00:00 1 200
kill -CONT "$TM_PID"
wait_for "200 lines after copytruncate with a writer keeping its fd" 10 all_expected
exec 3>&-
stop_daemon
check_multiset
pass "Megatron log truncated and regrown to a line ending at the old position: new content read once"

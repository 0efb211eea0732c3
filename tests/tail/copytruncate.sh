#!/usr/bin/env bash
# copytruncate: logrotate's copytruncate. The trainer writes with O_APPEND and never reopens; the
# file is copied to train.log.1 (not followed: no matching name) and truncated in place; the
# trainer's next writes land at offset 0. Lines read before the truncation are not read again, the
# new ones are read from 0. Twice: once with small regrowth (size below the old offset), once
# with the daemon stopped (SIGSTOP) while the file regrows past the old offset, which only the
# marker check can catch.
. "$(dirname "$0")/lib.sh"
start_daemon
exec 3>>"$D/train.log"
emit_gen /dev/fd/3 before 1 200
wait_for "200 lines before the copytruncate" 10 all_expected
cp "$D/train.log" "$D/train.log.1"
truncate -s 0 "$D/train.log"
emit_gen /dev/fd/3 after 1 10
wait_for "10 lines after the first copytruncate" 10 all_expected
log "copytruncate with short regrowth: ok so far"
emit_gen /dev/fd/3 more 1 100
wait_for "100 more lines" 10 all_expected
kill -STOP "$TM_PID"
cp "$D/train.log" "$D/train.log.2"
truncate -s 0 "$D/train.log"
emit_gen /dev/fd/3 regrow 1 400                 # longer than everything before
kill -CONT "$TM_PID"
wait_for "400 lines after the second copytruncate" 10 all_expected
exec 3>&-
stop_daemon
check_multiset
pass "copytruncate with O_APPEND writer, short regrowth and regrowth past the old offset"

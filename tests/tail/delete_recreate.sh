#!/usr/bin/env bash
# delete_recreate: train.log is deleted and a new one created under the same name (a restarted job
# reusing its log name), once while the daemon runs and once while it is held by SIGSTOP so that
# it sees deletion and creation only after both happened. The new file is read from 0; nothing of
# the old one is read again.
. "$(dirname "$0")/lib.sh"
start_daemon --rotate-wait 1
emit_gen "$D/train.log" first 1 200
wait_for "200 lines of the first file" 10 all_expected
rm "$D/train.log"
emit_gen "$D/train.log" second 1 50
wait_for "50 lines of the recreated file" 10 all_expected
kill -STOP "$TM_PID"
rm "$D/train.log"
emit_gen "$D/train.log" third 1 300
kill -CONT "$TM_PID"
wait_for "300 lines of the file recreated while the daemon was held" 10 all_expected
# deleted, and recreated only after the daemon has seen it gone
rm "$D/train.log"
emit_gen "$D/other.log" marker 1 1
wait_for "a line of another file (the deletion has been handled)" 10 all_expected
emit_gen "$D/train.log" fourth 1 10
wait_for "10 lines of the file recreated later" 10 all_expected
stop_daemon
check_multiset
pass "delete + recreate: live, while held, and after the deletion was seen"

#!/usr/bin/env bash
# symlink: the watched directory holds train.log -> ../real/run-1.txt (a name no glob matches, in
# a directory that is not watched). Writes to the target are followed; then the link is pointed at
# a new target (the job restarted), whose lines are read from 0; and writes to the new target
# after the retarget are followed too.
. "$(dirname "$0")/lib.sh"
mkdir "$SCR/real"
emit_gen "$SCR/real/run-1.txt" t1 1 50
ln -s ../real/run-1.txt "$D/train.log"
start_daemon --rotate-wait 1
wait_for "50 lines through the link" 10 all_expected
emit_gen "$SCR/real/run-1.txt" t1 51 100
wait_for "lines appended to the target" 10 all_expected
emit_gen "$SCR/real/run-2.txt" t2 1 30
ln -sfn ../real/run-2.txt "$D/train.log"
wait_for "the new target's lines after the retarget" 10 all_expected
emit_gen "$SCR/real/run-2.txt" t2 31 60
wait_for "lines appended to the new target" 10 all_expected
# once the old target is closed (no rotate_wait grace left), nothing but the new target's own
# changes can tell the daemon about its writes
wait_for "the daemon to close the old target" 10 not_open run-1.txt
emit_gen "$SCR/real/run-2.txt" t2 61 70
wait_for "lines appended to the new target after the old one was closed" 10 all_expected
stop_daemon
check_multiset
pass "symlink followed, retargeted, new target followed"

#!/usr/bin/env bash
# rotate_glob: rename rotation where the rotated name matches a glob too (--glob '*.log*', so
# train.log.1 is followed as a file of its own). The rotated file must not be read again from 0:
# its new name takes the inode over where train.log's tail left off, and the lines the trainer
# writes through its old fd after the rename are read once (under the new name). Twice in a row,
# the second time with the daemon held (SIGSTOP) across rename, late writes and re-creation.
. "$(dirname "$0")/lib.sh"
start_daemon --glob '*.log*' --rotate-wait 2
exec 3>>"$D/train.log"
emit_gen /dev/fd/3 gen0 1 300
wait_for "300 lines before the rotation" 10 all_expected
mv "$D/train.log" "$D/train.log.1"
emit_gen /dev/fd/3 old1 1 100
exec 4>>"$D/train.log"
emit_gen /dev/fd/4 new1 1 100
wait_for "rotation 1: old and new lines" 10 all_expected
emit_gen /dev/fd/3 late1 1 20
wait_for "rotation 1: late lines through the old fd" 10 all_expected
exec 3>&- 3>&4 4>&-
kill -STOP "$TM_PID"
mv "$D/train.log" "$D/train.log.2"
emit_gen /dev/fd/3 old2 1 50
exec 4>>"$D/train.log"
emit_gen /dev/fd/4 new2 1 50
kill -CONT "$TM_PID"
wait_for "rotation 2" 10 all_expected
emit_gen /dev/fd/3 late2 1 20
emit_gen /dev/fd/4 new2 51 60
wait_for "rotation 2: late lines" 10 all_expected
exec 3>&- 4>&-
stop_daemon
check_multiset
pass "rotated names matching the glob take the inode over: nothing read twice"

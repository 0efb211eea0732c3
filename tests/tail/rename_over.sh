#!/usr/bin/env bash
# rename_over: a new version of train.log is written under a name the daemon does not follow and
# renamed over it (atomic replace). The replaced inode is drained; the new one is read from 0.
. "$(dirname "$0")/lib.sh"
start_daemon --rotate-wait 1
exec 3>>"$D/train.log"
emit_gen /dev/fd/3 v1 1 100
wait_for "100 lines of version 1" 10 all_expected
gen v2 1 80 >"$D/train.tmp"
gen v2 1 80 >>"$EXPECTED"
mv "$D/train.tmp" "$D/train.log"
emit_gen /dev/fd/3 v1-late 1 5                   # the old writer still appends to the replaced inode
wait_for "version 2 and the late lines of version 1" 10 all_expected
# replaced while held: the daemon sees the new inode only after it is complete
kill -STOP "$TM_PID"
gen v3 1 120 >"$D/train.tmp"
gen v3 1 120 >>"$EXPECTED"
mv "$D/train.tmp" "$D/train.log"
kill -CONT "$TM_PID"
wait_for "version 3" 10 all_expected
exec 3>&-
stop_daemon
check_multiset
pass "rename-over twice, with late writes to the replaced inode"

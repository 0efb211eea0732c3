#!/usr/bin/env bash
# restart_rotated: while the daemon is stopped, train.log is rotated (renamed to train.log.1 in the
# same directory, with more lines written to it after the rename) and a new train.log is written.
# On restart the daemon finds the old inode by its number, reads its rest first, then the new
# file from 0. Then the same with the rotated file gone (compressed away): the rest of the old
# file is lost (nothing can read it), the new file is read from 0, nothing is read twice.
. "$(dirname "$0")/lib.sh"
DAEMON_ARGS=(--state "$STATE")
emit_gen "$D/train.log" a 1 100
start_daemon
wait_for "100 lines" 10 all_expected
stop_daemon
exec 3>>"$D/train.log"
emit_gen /dev/fd/3 a 101 120                     # unread when the rotation happens
mv "$D/train.log" "$D/train.log.1"
emit_gen /dev/fd/3 a 121 150                     # written after the rename
exec 3>&-
emit_gen "$D/train.log" b 1 60
start_daemon
wait_for "the rest of the rotated file and the new one" 10 all_expected
stderr_has "rotated while stopped" || fail "no note about the rotation while stopped"
stop_daemon
check_multiset
log "rotated while stopped, rotated file still there: ok"
# rotated away and removed while stopped
gen lost 1 5 >>"$D/train.log"                    # never read: its inode is gone by the restart
mv "$D/train.log" "$D/train.log.2"
rm "$D/train.log.2"
emit_gen "$D/train.log" c 1 30
start_daemon
wait_for "the new file" 10 all_expected
# the new file may reuse the deleted inode's number, which looks exactly like a truncation
stderr_has "replaced while stopped" || stderr_has "truncated while stopped" ||
	fail "no note about the replaced file"
stop_daemon
check_multiset
pass "rotation while stopped: old inode drained, new file from 0; old inode gone: new file from 0"

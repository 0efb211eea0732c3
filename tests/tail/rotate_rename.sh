#!/usr/bin/env bash
# rotate_rename: logrotate's default (rename, create). The trainer keeps its descriptor on the old
# inode and writes after the rename; a new train.log is created and written. The old inode is
# drained to its end, the new file read from 0: every line once. Done twice in a row.
. "$(dirname "$0")/lib.sh"
start_daemon --rotate-wait 2
exec 3>>"$D/train.log"

emit_gen /dev/fd/3 gen0 1 300
wait_for "300 lines before the rotation" 10 lines_at_least 300
for r in 1 2; do
	mv "$D/train.log" "$D/train.log.$r"
	emit_gen /dev/fd/3 "old$r" 1 200          # written through the old fd after the rename
	exec 4>>"$D/train.log"
	emit_gen /dev/fd/4 "new$r" 1 100
	emit_gen /dev/fd/3 "late$r" 1 50          # the old writer is not done yet
	emit_gen /dev/fd/4 "new$r" 101 200
	wait_for "rotation $r: old and new lines" 15 all_expected
	exec 3>&- 3>&4 4>&-                       # the writer moves to the new file
done
exec 3>&-
stop_daemon
check_multiset
pass "two rename rotations with writes to the old fd after each rename"

#!/usr/bin/env bash
# rename_over_followed: both a.log and train.log are followed and a.log is renamed over train.log.
# train.log's old inode is drained; the inode it now names was a.log's, already read up to its end:
# train.log continues it from there, so no line of a.log is read twice, and later writes arrive once.
. "$(dirname "$0")/lib.sh"
start_daemon --rotate-wait 5                   # the late writes may come seconds later on a loaded machine
exec 3>>"$D/train.log" 4>>"$D/a.log"
emit_gen /dev/fd/3 train 1 60
emit_gen /dev/fd/4 a 1 40
wait_for "both files read" 10 all_expected
mv "$D/a.log" "$D/train.log"
emit_gen /dev/fd/4 a-after 1 20                 # the writer of a.log goes on, now as train.log
emit_gen /dev/fd/3 train-late 1 5               # and the replaced inode's writer too
wait_for "the writes after the rename, once" 10 all_expected
exec 3>&- 4>&-
stop_daemon
check_multiset
pass "a followed file renamed over another followed file"

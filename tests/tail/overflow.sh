#!/usr/bin/env bash
# overflow: IN_Q_OVERFLOW for real. fs.inotify.max_queued_events is lowered to 16 just while the
# daemon creates its inotify instance (the limit is taken at inotify_init; restored at once and in
# the exit trap), the daemon is frozen with SIGSTOP, 60 files are created and 20 appended to, and
# it is thawed: the queue has overflowed, the daemon must say so ("inotify queue overflow"),
# rescan, and still read every line exactly once. Then it keeps following normally. inotify only;
# needs root and a writable sysctl (else skip).
. "$(dirname "$0")/lib.sh"
[ "$BACKEND" = inotify ] || skip "the overflow is an inotify event"
Q=/proc/sys/fs/inotify/max_queued_events
[ "$(id -u)" = 0 ] || skip "needs root to lower $Q"
old_q=$(cat "$Q" 2>/dev/null) || skip "cannot read $Q"
echo "$old_q" >"$Q" 2>/dev/null || skip "$Q is not writable"
CLEANUP_HOOKS+=("echo $old_q >$Q")
for i in $(seq 1 20); do emit_gen "$D/old$i.log" "old$i" 1 5; done
echo 16 >"$Q"
start_daemon
echo "$old_q" >"$Q"
wait_for "the files present at start" 10 all_expected
kill -STOP "$TM_PID"
for i in $(seq 1 60); do emit_gen "$D/new$i.log" "new$i" 1 3; done
for i in $(seq 1 20); do emit_gen "$D/old$i.log" "old$i" 6 10; done
kill -CONT "$TM_PID"
wait_for "the overflow note" 10 stderr_has "inotify queue overflow"
wait_for "every line after the overflow" 10 all_expected
log "overflow reported and rescanned: $(nexpected) lines so far"
emit_gen "$D/new1.log" new1 4 10
emit_gen "$D/late.log" late 1 5
wait_for "lines after the overflow was handled" 10 all_expected
stop_daemon
check_multiset
pass "IN_Q_OVERFLOW: reported, rescanned, nothing lost or read twice"

#!/usr/bin/env bash
# truncate_regrow: the file is truncated and regrows past (or exactly to) the old read position
# before the daemon looks (SIGSTOP holds it), so the size check cannot see it and the marker (the
# 32 bytes before the read position) must. The new content is read from 0, once. Then a live
# truncate followed by regrowth. Limit, by design: two contents whose 32 bytes before the old
# read position are equal cannot be told apart (gen's lines end in their own name, so they differ).
. "$(dirname "$0")/lib.sh"
start_daemon
emit_gen "$D/train.log" first 1 100
wait_for "100 lines" 10 all_expected
kill -STOP "$TM_PID"
: >"$D/train.log"                                # O_TRUNC, then rewritten by a new writer
emit_gen "$D/train.log" rewrite-a 1 150
kill -CONT "$TM_PID"
wait_for "150 lines after truncate + regrow past the old offset" 10 all_expected
log "truncate to 0 and regrow past the old offset: ok"
kill -STOP "$TM_PID"
: >"$D/train.log"
emit_gen "$D/train.log" rewrite-b 1 150          # exactly as long as before
kill -CONT "$TM_PID"
wait_for "150 lines after a same-size rewrite" 10 all_expected
log "same-size rewrite: ok"
: >"$D/train.log"                                # live: the daemon may look at any moment
emit_gen "$D/train.log" fourth 1 20
wait_for "20 lines after truncate" 10 all_expected
emit_gen "$D/train.log" fourth 21 300
wait_for "300 lines after regrowth" 10 all_expected
stop_daemon
check_multiset
pass "truncate + regrow past the old offset, same-size rewrite, live truncate"

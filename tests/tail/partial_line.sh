#!/usr/bin/env bash
# partial_line: a last line without '\n' is held until its newline arrives, then read once; and the
# same across a restart with saved state (the offset saved is the start of the partial line).
. "$(dirname "$0")/lib.sh"
DAEMON_ARGS=(--state "$STATE")
start_daemon
# one write holds a complete line and a fragment: once the complete line is seen, the daemon has
# read the fragment too, so its absence is a real check, not a timing guess
printf 'whole one\nfrag' >>"$D/train.log"
expect "whole one"
wait_for "the complete line" 10 has_text "whole one"
has_text "frag" && fail "the partial line 'frag' was handed out before its newline"
printf 'ment one\n' >>"$D/train.log"
expect "fragment one"
wait_for "the completed line" 10 has_text "fragment one"
log "held a partial line until its newline"
# across a restart: the fragment is still unfinished when the daemon stops
printf 'whole two\nfrag' >>"$D/train.log"
expect "whole two"
wait_for "the second complete line" 10 has_text "whole two"
stop_daemon
has_text "frag" && fail "the daemon handed out the partial line 'frag' when it stopped"
printf 'ment two\n' >>"$D/train.log"
expect "fragment two"
start_daemon
wait_for "the line completed while stopped" 10 has_text "fragment two"
stop_daemon
check_multiset
pass "partial last line held until its newline, also across a restart"

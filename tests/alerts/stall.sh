#!/usr/bin/env bash
# stall: --stall 1. A run that stepped and then logs nothing for 1 s fires stall once (not again
# while it stays quiet); its next step resolves it once. A file with no steps never stalls.
. "$(dirname "$0")/../tail/lib.sh"
. "$(dirname "$0")/megatron.sh"
DAEMON_ARGS=(--gpu a100 --stall 1)
emit_text "$D/run.out" "$(header)"
emit_text "$D/quiet.out" "a log with no iteration lines"
start_daemon
emit_text "$D/run.out" "$(steps 10 50 1047.5)"
t0=$(now_ms)
wait_for "stall firing" 10 has_alert stall firing
log "stall fired $(($(now_ms) - t0)) ms after the last step: $(alert_msgs stall firing)"
# still quiet: it must not fire again; wait for two more ticks' worth of evidence by letting the
# daemon write a summary (SIGUSR1 is handled in loop order, after pending ticks)
kill -USR1 "$TM_PID"
wait_for "the SIGUSR1 summaries" 10 summaries_at_least 2
expect_alerts stall firing 1
emit_text "$D/run.out" "$(iter 60 1047.5)"
wait_for "stall resolved" 10 has_alert stall resolved
stop_daemon
expect_alerts stall firing 1
expect_alerts stall resolved 1
records alert | jq -r .file | grep -q quiet.out && fail "the file without steps raised an alert"
check_line_numbers "$D/run.out"
pass "stall fired once after 1 s without a step and resolved once on the next step"

#!/usr/bin/env bash
# live.sh: `trainmon top DIR` in a detached 80x24 tmux window while a writer appends Megatron
# iteration lines: the rows appear, a run's step advances as lines arrive, sort keys reorder the
# rows (4: step time, slowest first; r: reversed; 1: by name), Enter opens the selected run's
# detail view with its events (an NCCL timeout written during the test), Esc goes back, `?`
# shows the help, a resized window (SIGWINCH) re-lays the columns out, and q quits with the
# shell's prompt back, the table gone (the main screen restored) and the terminal in cooked mode
# with echo.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
mkdir "$tmp/logs"
{ header; steps 10 50 1000; } >"$tmp/logs/fast.out"     # 1.0 s a step
{ header; steps 10 30 2000; } >"$tmp/logs/slow.out"     # 2.0 s a step: the slower run
start_shell
type_line "'$TRAINMON' top --gpu a100 --interval 0.5 '$tmp/logs'; echo TOP-EXIT=\$?"
wait_for '^ *RUN.*STEP.*MFU' "the table's header"
wait_for '^fast +megatron +50 ' "the row of run fast at step 50"
wait_for '^slow +megatron +30 ' "the row of run slow at step 30"
screen | grep -qE '^fast .* 1\.000s .*[0-9.]+%' || fail "run fast shows no 1.000s step time and MFU"

# a writer appends to fast.out while the view is up: its step advances
( for n in $(seq 60 10 300); do iter "$n" 1000 >>"$tmp/logs/fast.out"; sleep 0.1; done ) &
helpers+=($!)
wait_step fast 150 "lines appended while the view is up"
wait_step fast 300 "the writer's last line"

# sorting: by name (the default) fast is above slow; 4 sorts by step time, slowest first
[ "$(row_line fast)" -lt "$(row_line slow)" ] || fail "sorted by run: fast should be above slow"
keys 4
wait_for 'STEP T(▼|v)' "the sort marker on STEP T"
[ "$(row_line slow)" -lt "$(row_line fast)" ] || fail "sorted by step time: slow (2 s) should be above fast (1 s)"
keys r
wait_for 'STEP T(▲|\^)' "the reversed sort marker"
[ "$(row_line fast)" -lt "$(row_line slow)" ] || fail "reversed: fast should be above slow"
keys s                                   # the next column (tokens/s), still reversed
wait_for 'TOK/S(▲|\^)' "the reversed sort marker on TOK/S after s"
keys r
wait_for 'TOK/S(▼|v)' "the sort marker on TOK/S after r"

# the detail view of slow, with the event written now
printf '%s\n' "$NCCL_TIMEOUT" >>"$tmp/logs/slow.out"
wait_for '^slow .*failure' "the failure alert in slow's row"
keys 1 r                                 # by name, reversed: slow first
wait_for 'RUN(▲|\^)' "the reversed sort on RUN"
[ "$(row_line slow)" -lt "$(row_line fast)" ] || fail "by name reversed: slow should be above fast"
keys Home Enter
wait_for '^slow +Esc:back' "the detail view's title"
wait_for 'file +.*/logs/slow\.out' "the detail's file"
wait_for '^Events: 1' "the detail's event count"
wait_for 'line [0-9]+ +(error|critical) +nccl_timeout x1 +WorkNCCL' "the NCCL timeout in the events"
wait_for 'alerts +failure \(nccl_timeout\)' "the failure alert in the detail"
keys Escape
wait_for '^ *RUN.*STEP.*MFU' "the table again after Esc"
keys '?'
wait_for '^Keys' "the help"
keys x
wait_for '^ *RUN.*STEP.*MFU' "the table again after the help"

# SIGWINCH: a narrower window drops columns (framework, sparkline, ETA, tokens/s), a wider one
# brings them back
tm resize-window -x 50 -y 12
wait_for '^RUN.? +STEP +STEP T +MFU +ALERTS *$' "the 50-column header after a resize"
screen | grep -q 'FRAMEWORK' && fail "FRAMEWORK still shown at 50 columns"
tm resize-window -x 80 -y 24
wait_for '^RUN.? +FRAMEWORK +STEP .*STEP TIMES *$' "the 80-column header after a resize"

keys q
wait_for '^TOP-EXIT=0$' "top's exit status 0 after q"
wait_for '^PROMPT\$ *$' "the shell's prompt after q"
screen | grep -qE 'STEP TIMES|^fast ' && fail "the table is still on the screen after q"
terminal_sane
echo "PASS: rows, live steps, sorting, detail view with events, help, q and the terminal restored"

#!/usr/bin/env bash
# crash.sh: the terminal is given back whatever ends the view: SIGTERM to `trainmon top` and
# Ctrl-C end it cleanly (exit 0); the view process killed by SIGKILL or SIGABRT is noticed by
# its supervising parent, which restores the modes and the main screen and says so (exit 3).
# After each: the shell's prompt, no table left on the screen, cooked mode with echo. Messages
# the view writes to stderr (here: a directory that does not exist) appear after it ends.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
mkdir "$tmp/logs"
{ header; steps 10 50 1000; } >"$tmp/logs/a.out"

# start_top: top under a shell that records the parent's pid (the shell execs it)
start_top() {
	rm -f "$tmp/pid"
	type_line "sh -c 'echo \$\$ >$tmp/pid; exec \"\$0\" top --gpu a100 $tmp/logs' '$TRAINMON'; echo TOP-EXIT=\$?"
	wait_for '^a +megatron +50 ' "the row of run a"
	parent=$(cat "$tmp/pid")
	view=$(ps -o pid= --ppid "$parent" | tr -d ' ' | head -n 1)
	[ -n "$view" ] || fail "no view process under the parent $parent"
}
# ended STATUS: top exited with STATUS, the prompt is back, the table gone, the terminal sane
ended() {
	wait_for "^TOP-EXIT=$1\$" "top's exit status $1"
	wait_for '^PROMPT\$ *$' "the shell's prompt"
	screen | grep -qE 'STEP TIMES|^a +megatron' && fail "the table is still on the screen"
	terminal_sane
	tm send-keys C-l
	tm clear-history
	wait_gone 'TOP-EXIT' "a cleared screen"
}

start_shell
type_line "ulimit -c 0"
start_top
kill -TERM "$parent"
ended 0

start_top
keys C-c
ended 0

start_top
kill -KILL "$view"
wait_for '^trainmon top: the view died \(signal 9, Killed\); terminal restored' "the parent's note"
ended 3

start_top
kill -ABRT "$view"               # what abort() does (an assertion, tm_xmalloc out of memory)
wait_for '^trainmon top: the view died \(signal 6, Aborted\); terminal restored' "the parent's note"
ended 3

type_line "'$TRAINMON' top $tmp/no-such-dir; echo TOP-EXIT=\$?"
wait_for "^trainmon top: $tmp/no-such-dir: No such file or directory" "the view's error after it ended"
ended 3
echo "PASS: SIGTERM, Ctrl-C, SIGKILL and SIGABRT of the view all give the terminal back"

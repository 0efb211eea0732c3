#!/usr/bin/env bash
# append_one_write: a file present at start, then 2000 lines appended in one write and 50 appends of
# 20 lines each; every line is read once, in order.
. "$(dirname "$0")/lib.sh"
emit_gen "$D/train.log" before 1 100
start_daemon
wait_for "the 100 lines present at start" 10 lines_at_least 100
emit_gen "$D/train.log" bulk 1 2000
for ((k = 0; k < 50; k++)); do emit_gen "$D/train.log" chunk $((k * 20 + 1)) $((k * 20 + 20)); done
wait_for "all lines" 10 all_expected
# order within the file: the line numbers the daemon reports are 1..N without a gap
order=$(jq -R -r 'fromjson? | select(.type == "line" and (.file | endswith("/train.log"))) | .line' "$JSONL" |
	awk 'NR != $1 { print "line record " NR " has line " $1; exit 1 }') || fail "$order"
[ "$(texts | head -n 1)" = "$(head -n 1 "$EXPECTED")" ] || fail "first line out of order"
cmp -s <(texts) "$EXPECTED" || fail "lines were read out of order"
stop_daemon
check_multiset
pass "one-write and chunked appends: $(nexpected) lines once each, in order"

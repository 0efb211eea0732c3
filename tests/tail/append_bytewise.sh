#!/usr/bin/env bash
# append_bytewise: 40 lines written one byte per write(2) through a held descriptor, so the daemon
# sees every possible split of a line; each line is still read once, whole, in order.
. "$(dirname "$0")/lib.sh"
start_daemon
exec 3>>"$D/train.log"
text=$(gen bytewise 1 40)
text+=$'\n'
for ((i = 0; i < ${#text}; i++)); do printf '%s' "${text:i:1}" >&3; done
exec 3>&-
printf '%s' "$text" >>"$EXPECTED"
wait_for "40 lines written byte by byte" 20 all_expected
cmp -s <(texts) "$EXPECTED" || fail "lines were read out of order or torn"
stop_daemon
check_multiset
pass "byte-by-byte append of ${#text} bytes"

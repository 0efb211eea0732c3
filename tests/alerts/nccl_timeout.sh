#!/usr/bin/env bash
# nccl_timeout: a PyTorch NCCL watchdog timeout line in a running Megatron log raises one
# failure alert (kind nccl_timeout, with the file and line) and one event; the same failure from
# other ranks does not raise it again (one alert per kind per run).
. "$(dirname "$0")/../tail/lib.sh"
. "$(dirname "$0")/megatron.sh"
DAEMON_ARGS=(--gpu a100)
emit_text "$D/run.out" "$(header)"
start_daemon
emit_text "$D/run.out" "$(steps 10 50 1047.5)"
emit_text "$D/run.out" "$NCCL_TIMEOUT"
line_no=$(wc -l <"$D/run.out")
wait_for "the failure alert" 10 has_alert failure firing
a=$(records alert | jq -c 'select(.alert == "failure")' | head -n 1)
[ "$(jq -r .kind <<<"$a")" = nccl_timeout ] || fail "failure alert kind is not nccl_timeout: $a"
jq -r .message <<<"$a" | grep -qF "run.out:$line_no:" || fail "the alert does not name run.out:$line_no: $a"
emit_text "$D/run.out" "${NCCL_TIMEOUT//Rank 3/Rank 5}"
emit_text "$D/run.out" "${NCCL_TIMEOUT//Rank 3/Rank 9}"
wait_for "all lines" 10 all_expected
stop_daemon
expect_alerts failure firing 1
n=$(records event | jq -c 'select(.kind == "nccl_timeout")' | wc -l)
[ "$n" -ge 1 ] || fail "no nccl_timeout event record"
check_line_numbers "$D/run.out"
pass "NCCL watchdog timeout: one failure alert (nccl_timeout at run.out:$line_no), $n event record(s)"

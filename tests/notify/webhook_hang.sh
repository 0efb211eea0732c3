#!/usr/bin/env bash
# webhook_hang: a webhook receiver that accepts the POST and never answers does not stall tailing.
# While it hangs, each iteration line appended to the log is counted on /metrics
# (trainmon_lines_total) within 2 s (the line-to-metric latency, measured 10 times by
# latency.py, and printed beside 10 measured before any notification), and the notification waits in the queue (trainmon_notification_queue_length 1). Then
# the attempt times out (--notify-timeout 2), the receiver answers again, and the retry delivers
# the notification: one answered POST, with the same Idempotency-Key as the hung one.
. "$(dirname "$0")/../tail/lib.sh"
. "$(dirname "$0")/../alerts/megatron.sh"
. "$(dirname "$0")/lib.sh"
start_receiver hook
echo hang >"$SCR/hook.mode"
m_port=$(free_port)
DAEMON_ARGS=(--gpu a100 --webhook "http://127.0.0.1:$RECV_PORT/hook" --notify-timeout 2 --notify-retry-min 0.2
	--notify-retry-max 1 --listen "127.0.0.1:$m_port")
lines_total() { curl -s -m 5 "http://127.0.0.1:$m_port/metrics" | awk '$1 == "trainmon_lines_total" { print $2 }'; }
lines_above() { [ "$(lines_total)" -gt "$1" ]; }
LATENCY_PY=$(dirname "$0")/latency.py
# latency FIRST_STEP: 10 iteration lines appended one at a time, each once the previous one is on
# /metrics (latency.py, 2 ms polls); sets lat (the latencies in ms, sorted) and worst
latency() {
	local text
	text=$(for i in $(seq 10); do iter $(($1 + 10 * i)) 1047.5; done)
	lat=$("$PY" "$LATENCY_PY" "http://127.0.0.1:$m_port/metrics" "$D/run.out" $((2000 * TM_SCALE)) <<<"$text") ||
		fail "$lat"
	printf '%s\n' "$text" >>"$EXPECTED"
	worst=$(awk '{ print $NF }' <<<"$lat")
}
emit_text "$D/run.out" "$(header)"
start_daemon
emit_text "$D/run.out" "$(steps 10 50 1047.5)"
latency 50                                               # no notification yet: the baseline
base="$lat"
emit_text "$D/run.out" "$NCCL_TIMEOUT"
wait_for "the hung POST" 10 received_at_least hook 1
q=$(metric_of "$m_port" trainmon_notification_queue_length 'kind="webhook"')
[ "$q" = 1 ] || fail "queue length $q while the receiver hangs, want 1"
# each attempt hangs until --notify-timeout (2 s), then the next one: measure while they hang
latency 200
log "line-to-metric latency (ms, sorted): no receiver activity: $base; receiver hanging: $lat"
hung=$(nreceived hook)
echo ok >"$SCR/hook.mode"
answered() { [ "$(received hook | jq -r 'select(.mode == "ok") | .key' | wc -l)" -ge 1 ]; }
wait_for "the retry after the timeout" 15 answered
queue_empty() { [ "$(metric_of "$m_port" trainmon_notification_queue_length 'kind="webhook"')" = 0 ]; }
wait_for "the queue to empty" 10 queue_empty
sleep 1.5
n_ok=$(received hook | jq -r 'select(.mode == "ok") | .key' | wc -l)
[ "$n_ok" = 1 ] || fail "$n_ok answered POSTs, want 1"
nkeys=$(received hook | jq -r .key | sort -u | wc -l)
[ "$nkeys" = 1 ] || fail "$nkeys distinct keys among the attempts, want 1 (the same notification)"
retried=$(metric_of "$m_port" trainmon_notifications_total 'result="retried"')
[ "${retried:-0}" -ge 1 ] || fail "no retried attempt counted"
stderr_has "Timeout was reached" || stderr_has "timed out" || fail "the timeout was not noted"
wait_for "all lines" 10 all_expected
stop_daemon
pass "tailing went on while the receiver hung (worst line-to-metric $worst ms, $hung hung attempts); delivered once after it answered"

#!/usr/bin/env bash
# webhook_down: a webhook receiver that is down for 30 s (TM_NOTIFY_DOWN_S) while a Megatron run
# raises low_mfu (firing, then resolved) and an NCCL timeout, and while the daemon is restarted
# (SIGTERM, --state) and raises low_mfu again, gets every notification exactly once when it comes
# back: as many POSTs as alert records in --jsonl, each body the very --jsonl record, no key twice,
# none after a quiet spell. The URL comes from the environment (env:NAME), and its path (the
# secret part of a webhook URL) is never in the daemon's log or on /metrics.
. "$(dirname "$0")/../tail/lib.sh"
. "$(dirname "$0")/../alerts/megatron.sh"
. "$(dirname "$0")/lib.sh"
DOWN=${TM_NOTIFY_DOWN_S:-30}
hook_port=$(free_port)
m_port=$(free_port)
export TM_TEST_HOOK="http://127.0.0.1:$hook_port/services/T000/B000/s3cr3t-path"
DAEMON_ARGS=(--gpu a100 --min-mfu 0.35 --for-steps 2 --state "$STATE" --webhook env:TM_TEST_HOOK
	--notify-retry-min 0.2 --notify-retry-max 2 --listen "127.0.0.1:$m_port")
two_firings() { [ "$(count_alerts low_mfu firing)" -ge 2 ]; }
queue_empty() { [ "$(metric_of "$m_port" trainmon_notification_queue_length 'kind="webhook"')" = 0 ]; }
t0=$(now_ms)
emit_text "$D/run.out" "$(header)"
start_daemon
emit_text "$D/run.out" "$(steps 10 50 1047.5)"
emit_text "$D/run.out" "$(steps 60 90 2095)"            # MFU 22.7 %: low_mfu fires
wait_for "low_mfu firing" 10 has_alert low_mfu firing
emit_text "$D/run.out" "$(steps 100 140 1047.5)"        # back to 45.5 %: resolved
wait_for "low_mfu resolved" 10 has_alert low_mfu resolved
emit_text "$D/run.out" "$NCCL_TIMEOUT"
wait_for "the failure alert" 10 has_alert failure firing
wait_for "a failed delivery noted" 10 stderr_has "delivery failed"
q=$(metric_of "$m_port" trainmon_notification_queue_length 'kind="webhook"')
[ "$q" = 3 ] || fail "queue length $q while the receiver is down, want 3"
stop_daemon                                              # pending notifications go to the state
start_daemon
emit_text "$D/run.out" "$(steps 150 190 2095)"          # low_mfu fires again
wait_for "low_mfu firing again" 10 two_firings
want=$(records alert | wc -l)
[ "$want" = 4 ] || fail "$want alert records, want 4"
# the receiver stays down for DOWN seconds in all
left=$(( (t0 + DOWN * 1000 - $(now_ms)) ))
[ "$left" -gt 0 ] && sleep "$(awk -v ms="$left" 'BEGIN { printf "%.3f", ms / 1000 }')"
log "receiver down for $(( ($(now_ms) - t0) / 1000 )) s; starting it on port $hook_port"
start_receiver hook "$hook_port"
wait_for "every notification delivered" 20 received_at_least hook "$want"
wait_for "the queue to empty" 10 queue_empty
# quiet spell: a duplicate would come within a few retry-max periods
sleep 3
got=$(nreceived hook)
[ "$got" = "$want" ] || fail "$got POSTs for $want alert transitions"
keys=$(received hook | jq -r .key | sort -u | wc -l)
[ "$keys" = "$want" ] || fail "$keys distinct Idempotency-Keys for $want POSTs"
# each body is exactly the --jsonl record of its transition
diff <(records alert | jq -S -c . | sort) <(received hook | jq -S -c .body | sort) >/dev/null ||
	fail "the webhook bodies are not the --jsonl alert records"
# in order: firing before resolved for the same alert
received hook | jq -r '.body.alert + " " + .body.state' | tr '\n' ',' | grep -q '^low_mfu firing,low_mfu resolved,failure firing,low_mfu firing,$' ||
	fail "delivery order: $(received hook | jq -r '.body.alert + " " + .body.state' | tr '\n' ',')"
delivered=$(metric_of "$m_port" trainmon_notifications_total 'result="delivered"')
[ "$delivered" = "$want" ] || fail "trainmon_notifications_total{result=delivered} is $delivered, want $want"
curl -s "http://127.0.0.1:$m_port/metrics" | grep -F 'sink="http://127.0.0.1:'"$hook_port"'"' >/dev/null ||
	fail "no series with the redacted sink name"
if cat "$SCR"/err.* | grep -qF s3cr3t || curl -s "http://127.0.0.1:$m_port/metrics" | grep -qF s3cr3t; then
	fail "the webhook URL's path was printed"
fi
stderr_has "delivered again after" || fail "the recovery was not noted"
stop_daemon
pass "down $DOWN s, one restart: $want notifications delivered exactly once, in order, bodies = --jsonl records"

#!/usr/bin/env bash
# alertmanager: a real Alertmanager (prometheus-alertmanager on loopback, routing to a receiver
# with send_resolved) gets the alerts of a replayed failing Megatron log: low_mfu and the NCCL
# timeout's failure show in `amtool alert query` with their labels (run, file, slurm_job_id,
# severity, kind, static labels). The daemon is restarted with --state while they fire: still one
# alert each, same startsAt, and no second "firing" notification. low_mfu resolves when MFU
# recovers, the failure when --alertmanager-event-ttl passes: both leave amtool's list and
# Alertmanager notifies "resolved" with their endsAt. A last restart brings none of them back.
. "$(dirname "$0")/../tail/lib.sh"
. "$(dirname "$0")/../alerts/megatron.sh"
. "$(dirname "$0")/lib.sh"
start_alertmanager
m_port=$(free_port)
DAEMON_ARGS=(--gpu a100 --min-mfu 0.35 --for-steps 2 --state "$STATE" --alertmanager "$AM_URL"
	--label cluster=test-a --alertmanager-resend 2 --alertmanager-event-ttl $((25 * TM_SCALE)) --listen "127.0.0.1:$m_port")
# am_notified ALERTNAME STATUS: Alertmanager's notifications to the receiver for that alert
am_notified() {
	received am | jq -c --arg a "$1" --arg s "$2" '.body.alerts[]? | select(.labels.alertname == $a and .status == $s)'
}
notified() { [ "$(am_notified "$1" "$2" | wc -l)" -ge 1 ]; }

emit_text "$D/run.out" "$(header)"
start_daemon
emit_text "$D/run.out" "$(steps 10 50 1047.5)"
emit_text "$D/run.out" "$(steps 60 90 2095)"            # MFU 22.7 %: low_mfu
emit_text "$D/run.out" "$NCCL_TIMEOUT"
wait_for "low_mfu in Alertmanager" 15 am_has trainmon_low_mfu
wait_for "the failure in Alertmanager" 15 am_has trainmon_failure
f=$(am_alerts trainmon_failure | jq -c '.[0]')
jq -e '.labels.run == "run" and .labels.kind == "nccl_timeout" and .labels.severity == "critical"
	and .labels.slurm_job_id == "4417021" and .labels.cluster == "test-a" and (.labels.file | endswith("/run.out"))
	and (.annotations.log_line | test("WorkNCCL"))' <<<"$f" >/dev/null || fail "failure alert: $f"
starts=$(jq -r .startsAt <<<"$f")
starts_low=$(am_alerts trainmon_low_mfu | jq -r '.[0].startsAt')
wait_for "Alertmanager's firing notification" 15 notified trainmon_failure firing
log "amtool: $(am_alerts | jq -r '.[] | .labels.alertname + " " + .status.state' | tr '\n' ';')"

# restart while firing: the same alerts, not new ones
stop_daemon
start_daemon
sleep 5                                                  # > 2 resend periods of the new daemon
[ "$(am_count trainmon_failure)" = 1 ] || fail "$(am_count trainmon_failure) trainmon_failure alerts after the restart"
[ "$(am_count trainmon_low_mfu)" = 1 ] || fail "$(am_count trainmon_low_mfu) trainmon_low_mfu alerts after the restart"
[ "$(am_alerts trainmon_low_mfu | jq -r '.[0].startsAt')" = "$starts_low" ] || fail "low_mfu's startsAt changed across the restart"
[ "$(am_alerts trainmon_failure | jq -r '.[0].startsAt')" = "$starts" ] || fail "the failure's startsAt changed across the restart"
resent=$(metric_of "$m_port" trainmon_notifications_total 'result="resent"')
[ "${resent:-0}" -ge 2 ] || fail "no re-posts counted after the restart (resent $resent)"

# recovery resolves low_mfu; the failure resolves after its TTL
emit_text "$D/run.out" "$(steps 100 140 1047.5)"
wait_for "low_mfu resolved in the log" 10 has_alert low_mfu resolved
wait_for "low_mfu gone from amtool" 15 am_none trainmon_low_mfu
wait_for "Alertmanager's resolved notification for low_mfu" 15 notified trainmon_low_mfu resolved
wait_for "the failure gone from amtool (TTL)" 40 am_none trainmon_failure
wait_for "Alertmanager's resolved notification for the failure" 15 notified trainmon_failure resolved
ends=$(am_notified trainmon_failure resolved | head -n 1 | jq -r .endsAt)
[ "$ends" \> "$starts" ] || fail "endsAt $ends is not after startsAt $starts"

# a last restart: nothing comes back
stop_daemon
start_daemon
sleep 5
[ "$(am_count)" = 0 ] || fail "alerts came back after the restart: $(am_alerts | jq -c '[.[].labels.alertname]')"
for a in trainmon_failure trainmon_low_mfu; do
	n=$(am_notified "$a" firing | jq -r .startsAt | sort -u | wc -l)
	[ "$n" = 1 ] || fail "$a notified as firing with $n different startsAt, want 1"
done
stop_daemon
pass "Alertmanager: labels checked, one alert each across 2 restarts, resolved (low_mfu on recovery, failure at TTL, endsAt $ends)"

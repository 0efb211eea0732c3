#!/usr/bin/env bash
# anomalies: the straggler alert reaches a webhook (--webhook-format json: the --jsonl record) and
# an Alertmanager receiver (POST /api/v2/alerts): alertname trainmon_straggler with the rank as a
# label (fixed for the episode, so its resolve matches its firing), and the step where it starts
# and the host as annotations; the resolve carries endsAt. The log is gen_anomalies.py's NVRx case
# (rank 13 on node-3 at 1.25x for 6 reports).
. "$(dirname "$0")/../tail/lib.sh"
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
"$PY" "$HERE/../alerts/gen_anomalies.py" "$SCR/gen" || fail "gen_anomalies.py failed"
start_receiver hook
echo ok >"$SCR/hook.mode"
DAEMON_ARGS=(--webhook "http://127.0.0.1:$RECV_PORT/hook" --webhook-format json
	--alertmanager "http://127.0.0.1:$RECV_PORT/am" --notify-retry-min 0.1 --notify-retry-max 0.5)
start_daemon
cp "$SCR/gen/nvrx.log" "$D/run.log.tmp" && mv "$D/run.log.tmp" "$D/run.log"
hook_states() { received hook | jq -r 'select(.path == "/hook") | .body | select(.alert == "straggler") | .state'; }
both() { [ "$(hook_states | sort | tr '\n' ' ')" = "firing resolved " ]; }
wait_for "the straggler's firing and resolve at the webhook" 20 both
h=$(received hook | jq -c 'select(.path == "/hook") | .body | select(.alert == "straggler" and .state == "firing")')
jq -e '.step == 50 and .rank == 13 and .host == "node-3" and .value == 1.25' <<<"$h" >/dev/null ||
	fail "webhook record: $h"
am_resolved() {
	received hook | jq -e -s 'map(select(.path == "/am/api/v2/alerts") | .body[]
		| select(.labels.alertname == "trainmon_straggler" and .endsAt != null
			and (.endsAt < (now | todate)) )) | length > 0' >/dev/null
}
wait_for "the resolved straggler at Alertmanager" 20 am_resolved
jq -e '.labels.rank == "13" and .labels.severity == "warning" and .annotations.step == "50" and .annotations.host == "node-3"' \
	<<<"$(received hook | jq -c 'select(.path == "/am/api/v2/alerts") | .body[] | select(.labels.alertname == "trainmon_straggler")' | head -n 1)" >/dev/null ||
	fail "Alertmanager alert: $(received hook | jq -c 'select(.path == "/am/api/v2/alerts") | .body[]' | head -n 3)"
stop_daemon
pass "straggler on rank 13 (node-3) delivered to a webhook and to Alertmanager, firing and resolved"

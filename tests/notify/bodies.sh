#!/usr/bin/env bash
# bodies: what the receivers get. --webhook-format slack: Slack's incoming-webhook shape (a "text"
# fallback, "blocks" of section/mrkdwn with the failure's log line in a code block, and a context
# block). --alertmanager pointed at a plain receiver: POST /api/v2/alerts with a bearer token read
# from a file, a JSON array of postable alerts (labels alertname/run/file/severity/kind plus the
# static labels of --label and of the config's alertmanager: labels:, annotations summary,
# message, log_line, RFC 3339 startsAt/endsAt, generatorURL). A receiver answering 500 is retried.
. "$(dirname "$0")/../tail/lib.sh"
. "$(dirname "$0")/../alerts/megatron.sh"
. "$(dirname "$0")/lib.sh"
start_receiver hook
printf 's3cret-token\n' >"$SCR/token"
cat >"$SCR/cfg.yaml" <<'YAML'
alertmanager:
  labels: {team: llm, cluster: from-config}
notify:
  webhook_format: slack
  alertmanager_resend: 30
YAML
echo 500 >"$SCR/hook.mode"               # the first attempts fail
DAEMON_ARGS=(--gpu a100 --min-mfu 0.35 --for-steps 2 --config "$SCR/cfg.yaml"
	--webhook "http://127.0.0.1:$RECV_PORT/slack" --alertmanager "http://127.0.0.1:$RECV_PORT/am"
	--alertmanager-bearer-token "file:$SCR/token" --label cluster=c1 --alertmanager-generator-url http://example.org/x
	--notify-retry-min 0.1 --notify-retry-max 0.5)
emit_text "$D/run.out" "$(header)"
start_daemon
emit_text "$D/run.out" "$(steps 10 50 1047.5)"
emit_text "$D/run.out" "$(steps 60 90 2095)"
emit_text "$D/run.out" "$NCCL_TIMEOUT"
line_no=$(wc -l <"$D/run.out")
wait_for "both alerts" 10 failures_at_least 1
wait_for "failed attempts" 10 received_at_least hook 2
echo ok >"$SCR/hook.mode"
slack_ok() { [ "$(received hook | jq -c 'select(.mode == "ok" and .path == "/slack")' | wc -l)" -ge 2 ]; }
wait_for "the slack messages" 10 slack_ok
# the alertmanager sink retries on its own backoff: the webhook's success says nothing of it
am_ok() { [ -n "$(received hook | jq -c 'select(.mode == "ok" and .path == "/am/api/v2/alerts")')" ]; }
wait_for "an answered POST to /am/api/v2/alerts" 10 am_ok
# Slack
while IFS= read -r b; do
	jq -e '(.text | type == "string" and length > 0) and (.blocks | type == "array" and length >= 2)
		and .blocks[0].type == "section" and .blocks[0].text.type == "mrkdwn"
		and (.blocks[-1].type == "context") and (.blocks[-1].elements[0].type == "mrkdwn")' <<<"$b" >/dev/null ||
		fail "not Slack's incoming-webhook shape: $b"
done < <(received hook | jq -c 'select(.mode == "ok" and .path == "/slack") | .body')
f=$(received hook | jq -c 'select(.mode == "ok" and .path == "/slack") | .body | select(.text | test("FIRING trainmon_failure nccl_timeout"))' | head -n 1)
[ -n "$f" ] || fail "no slack message for the failure"
jq -e '.blocks[1].text.text | test("```WorkNCCL.*timing out.```")' <<<"$f" >/dev/null ||
	fail "the failure's log line is not in a code block: $f"
jq -e '.blocks[-1].elements[0].text | test(" [|] chain run( |$)")' <<<"$f" >/dev/null ||
	fail "the context does not name the run's chain: $f"
# Alertmanager API v2
a=$(received hook | jq -c 'select(.mode == "ok" and .path == "/am/api/v2/alerts")' | tail -n 1)
[ -n "$a" ] || fail "no answered POST to /am/api/v2/alerts"
[ "$(jq -r .auth <<<"$a")" = "Bearer s3cret-token" ] || fail "bearer token: $(jq -r .auth <<<"$a")"
jq -e '.body | type == "array" and length == 2' <<<"$a" >/dev/null || fail "want 2 alerts: $a"
fl=$(jq -c '.body[] | select(.labels.alertname == "trainmon_failure")' <<<"$a")
jq -e '.labels == {alertname: "trainmon_failure", run: "run", chain: "run", file: ($f), slurm_job_id: "4417021",
		severity: "critical", kind: "nccl_timeout", cluster: "c1", team: "llm"}' --arg f "$D/run.out" <<<"$fl" >/dev/null ||
	fail "failure labels: $(jq -c .labels <<<"$fl")"
jq -e '(.annotations.summary | test("nccl_timeout")) and (.annotations.log_line | test("^WorkNCCL")) and .annotations.line_number == $n
	and (.annotations.message | length > 0) and (.startsAt | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$"))
	and (.endsAt > .startsAt) and .generatorURL == "http://example.org/x"' --arg n "$line_no" <<<"$fl" >/dev/null ||
	fail "failure alert: $fl"
jq -e '.body[] | select(.labels.alertname == "trainmon_low_mfu") | .annotations.value and .annotations.threshold == "0.35"
	and .labels.severity == "warning"' <<<"$a" >/dev/null || fail "low_mfu alert: $a"
stop_daemon
stderr_has "s3cret-token" && fail "the token was printed"
pass "slack shape, Alertmanager v2 payload with bearer token and static labels, 500 retried"

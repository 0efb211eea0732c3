#!/usr/bin/env bash
# grafana.sh: etc/grafana/trainmon.json against a live trainmon. A real `trainmon watch` follows a
# sample Megatron log on a free loopback port; grafana_check.py reads the dashboard and that
# /metrics: every PromQL expression becomes a recording rule that `promtool check rules` must
# accept, every metric and label it names must be in the live /metrics, and the datasource must be
# the ${DS_PROMETHEUS} variable. Then the checker must reject two broken copies of the dashboard
# (a metric trainmon does not export, a syntax error), so the check itself can fail.
# Skips (77) without promtool, python3 or curl. Usage: TRAINMON=... grafana.sh SOURCE_DIR
set -euo pipefail
src=${1:?usage: grafana.sh SOURCE_DIR}
for tool in promtool python3 curl; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed (scripts/deps.sh --test installs it)"; exit 77; }
done
. "$src/tests/http/lib.sh"
dash=$src/etc/grafana/trainmon.json
check=$src/tests/prom/grafana_check.py

mkdir "$tmp/logs"
# the run as it ended (its events), and the same run while live, without its time-limit ending
# (an ended run has no ETA series)
cp "$src/sample_logs/megatron_gpt3_1.3b-4417021.out" "$tmp/logs/"
grep -v -e "DUE TO TIME LIMIT" -e "Job step aborted" "$src/sample_logs/megatron_gpt3_1.3b-4417021.out" >"$tmp/logs/live-4417022.out"
start_trainmon --quiet --gpu a100 --target-tokens 1T "$tmp/logs"
# wait until the run is read through (its Slurm time-limit event is the last thing in the log)
for _ in $(seq 200); do
	curl -sf "$base/metrics" >"$tmp/metrics" || true
	grep -q 'trainmon_run_events_total{.*kind="slurm_time_limit"' "$tmp/metrics" &&
		grep -q '^trainmon_run_eta_seconds{' "$tmp/metrics" && break
	sleep 0.05
done
grep -q 'trainmon_run_events_total{' "$tmp/metrics" || fail "the run's events never reached /metrics"
promtool check metrics <"$tmp/metrics" >/dev/null 2>&1 || true   # lint warnings are metrics.c's business

mkdir "$tmp/ok"
python3 "$check" "$dash" "$tmp/metrics" "$tmp/ok" || fail "the dashboard does not match trainmon's /metrics"
promtool check rules "$tmp/ok/rules.yml" >"$tmp/promtool.out" 2>&1 || { cat "$tmp/promtool.out" >&2; fail "promtool rejects an expression"; }
echo "ok: $(grep -c 'record:' "$tmp/ok/rules.yml") expressions pass promtool check rules; every metric and label is live"

# the checks can fail: a metric trainmon does not export, and an expression promtool rejects
mkdir "$tmp/bad1" "$tmp/bad2"
sed 's/trainmon_run_mfu_ratio{/trainmon_run_mfu{/' "$dash" >"$tmp/bad1.json"
if python3 "$check" "$tmp/bad1.json" "$tmp/metrics" "$tmp/bad1" >"$tmp/bad1.out"; then
	fail "a dashboard naming trainmon_run_mfu passed"
fi
grep -q 'metric trainmon_run_mfu is not in' "$tmp/bad1.out" || fail "bad1: $(cat "$tmp/bad1.out")"
sed 's/count(trainmon_run_step{/count(trainmon_run_step{{/' "$dash" >"$tmp/bad2.json"
python3 "$check" "$tmp/bad2.json" "$tmp/metrics" "$tmp/bad2" >/dev/null || true
if promtool check rules "$tmp/bad2/rules.yml" >/dev/null 2>&1; then
	fail "promtool accepted an expression with '{{'"
fi
echo "ok: a metric trainmon does not export, and a broken expression, are both caught"
stop_trainmon

#!/usr/bin/env bash
# run_prom.sh: a real Prometheus scrapes a running `trainmon watch` (1 s interval, loopback, free
# ports), log lines are written in phases, and Prometheus' HTTP API is queried until the values
# trainmon computes (step, MFU, tokens/s, checked against `trainmon analyze --format json` on the
# same bytes) arrive. Also: `promtool check metrics` on /metrics and on the --textfile, the
# alerting rules load in Prometheus, and a run that ended leaves /metrics after --expire.
# Skips (77) without prometheus/promtool; scripts/deps.sh --test installs Debian's `prometheus`.
# Every wait polls with a deadline. Usage: TRAINMON=path/to/trainmon run_prom.sh SOURCE_DIR
set -euo pipefail
trap "" PIPE
src=${1:?usage: run_prom.sh SOURCE_DIR}
: "${TRAINMON:?set TRAINMON to the binary}"
for tool in prometheus promtool curl python3; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed (scripts/deps.sh --test installs it)"; exit 77; }
done

tmp=$(mktemp -d)
tm_pid= prom_pid=
cleanup() {
	for p in $tm_pid $prom_pid; do kill "$p" 2>/dev/null || true; done
	for p in $tm_pid $prom_pid; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	[ -s "$tmp/tm.err" ] && sed 's/^/trainmon stderr: /' "$tmp/tm.err" >&2
	[ -s "$tmp/prom.err" ] && tail -20 "$tmp/prom.err" | sed 's/^/prometheus: /' >&2
	exit 1
}

. "$(dirname "$0")/prom_lib.sh"

log="$src/sample_logs/megatron_gpt3_1.3b-4417021.out"
mkdir "$tmp/logs"
sed -n '1,54p' "$log" >"$tmp/phase1"      # up to the checkpoint at iteration 100
sed -n '55,65p' "$log" >"$tmp/phase2"     # iterations 110..200
sed -n '66,$p' "$log" >"$tmp/phase3"      # Slurm cancels the job: the run ends
run=megatron-4417021
file="$tmp/logs/$run.out"

start_on_free_port tm_port tm_pid /metrics "$tmp/tm.err" \
	"$TRAINMON" watch --quiet --gpu a100 --expire 3 --listen "127.0.0.1:{PORT}" \
	--textfile "$tmp/trainmon.prom" "$tmp/logs"
echo "ok: trainmon watch on 127.0.0.1:$tm_port"

cat >"$tmp/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $src/etc/prometheus/trainmon-alerts.yml
scrape_configs:
  - job_name: trainmon
    static_configs:
      - targets: ["127.0.0.1:$tm_port"]
YAML
promtool check config "$tmp/prometheus.yml" >/dev/null || fail "promtool check config"
start_on_free_port prom_port prom_pid /-/ready "$tmp/prom.err" \
	prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/data" \
	--web.listen-address="127.0.0.1:{PORT}" --log.level=warn
echo "ok: prometheus on 127.0.0.1:$prom_port"
api="http://127.0.0.1:$prom_port/api/v1"

expected() {   # expected FILE KEY: what `trainmon analyze --format json` computes
	"$TRAINMON" analyze --format json --gpu a100 "$1" | python3 -c '
import json, sys
r = json.load(sys.stdin)["runs"][0]
print(repr(float(r[sys.argv[1]])))' "$2"
}

wait_for 'up{job="trainmon"}' 1

# phase 1: the file appears with iterations 10..100
cat "$tmp/phase1" >"$file"
cp "$file" "$tmp/expect.out"
wait_for "trainmon_run_step{run=\"$run\"}" 100
wait_for "trainmon_run_mfu_ratio{run=\"$run\"}" "$(expected "$tmp/expect.out" mfu)"
labels=$(query "trainmon_run_step{run=\"$run\"}" | cut -f2)
# chain: a run alone is a chain of its own, named as the run (a later job that resumes it joins it)
want="{\"__name__\": \"trainmon_run_step\", \"chain\": \"$run\", \"file\": \"$file\", \"framework\": \"megatron\", \"instance\": \"127.0.0.1:$tm_port\", \"job\": \"trainmon\", \"run\": \"$run\", \"slurm_job_id\": \"4417021\"}"
[ "$labels" = "$want" ] || fail "labels: $labels, want $want"
echo "ok: labels $labels"

# phase 2: appended in small writes, as a trainer would
while IFS= read -r l; do printf '%s\n' "$l" >>"$file"; done <"$tmp/phase2"
cp "$file" "$tmp/expect.out"
wait_for "trainmon_run_step{run=\"$run\"}" 200
wait_for "trainmon_run_mfu_ratio{run=\"$run\"}" "$(expected "$tmp/expect.out" mfu)"
wait_for "trainmon_run_tokens_per_second{run=\"$run\"}" "$(expected "$tmp/expect.out" tokens_per_s)"
wait_for "trainmon_run_tokens_total{run=\"$run\"}" "$(expected "$tmp/expect.out" tokens_done)"
wait_for "trainmon_run_eta_seconds{run=\"$run\"}" "$(expected "$tmp/expect.out" eta_s)"
wait_for "trainmon_run_steps_total{run=\"$run\"}" 20
wait_for "trainmon_files_watched" 1
wait_for "trainmon_lines_total" 65

# the exposition passes promtool's linter, served and as a textfile
curl -sf "http://127.0.0.1:$tm_port/metrics" >"$tmp/metrics.txt" || fail "GET /metrics"
promtool check metrics <"$tmp/metrics.txt" || fail "promtool check metrics on /metrics"
promtool check metrics <"$tmp/trainmon.prom" || fail "promtool check metrics on --textfile"
grep -q "^trainmon_run_step{run=\"$run\"" "$tmp/trainmon.prom" || fail "textfile has no run"
echo "ok: promtool check metrics (/metrics and --textfile)"

# the alerting rules are loaded and evaluate without errors
rules=$(curl -sf "$api/rules" | python3 -c '
import json, sys
g = [g for g in json.load(sys.stdin)["data"]["groups"] if g["name"] == "trainmon"]
print(" ".join(sorted(r["name"] + ":" + r["health"] for r in g[0]["rules"])) if g else "")')
for a in TrainmonExporterDown TrainmonFailureEvent TrainmonLowMFU TrainmonRunStalled TrainmonThroughputDrop; do
	[[ " $rules " == *" $a:"* ]] || fail "rule $a not loaded: $rules"
	[[ " $rules " != *" $a:err"* ]] || fail "rule $a: $rules"
done
echo "ok: rules $rules"

# phase 3: the job is cancelled; the failure is counted, then the run expires (--expire 3)
cat "$tmp/phase3" >>"$file"
# the run's series leave /metrics 3 s after it ends (--expire 3): ask for what Prometheus
# scraped in that window, not for the instant, so a slow machine cannot miss it
wait_for "max_over_time(trainmon_run_events_total{run=\"$run\",kind=\"slurm_time_limit\"}[10m])" 2
wait_for "max_over_time(trainmon_run_alert_active{run=\"$run\",alert=\"ended\"}[10m])" 1
deadline=$((SECONDS + 30))
while curl -sf "http://127.0.0.1:$tm_port/metrics" | grep -q '^trainmon_run_step{'; do
	[ $SECONDS -lt $deadline ] || fail "the ended run did not leave /metrics after --expire 3"
	sleep 0.2
done
echo "ok: the ended run left /metrics"

kill -TERM "$tm_pid"
rc=0
wait "$tm_pid" || rc=$?
tm_pid=
[ "$rc" = 0 ] || fail "trainmon exit status $rc after SIGTERM"
[ ! -s "$tmp/tm.err" ] || fail "trainmon wrote to stderr"
echo "PASS"

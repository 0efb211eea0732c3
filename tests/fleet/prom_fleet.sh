#!/usr/bin/env bash
# prom_fleet.sh: a real Prometheus scrapes two `trainmon watch` daemons, shards 0/2 and 1/2 of one
# tree (each with --label cluster=lab), and evaluates etc/prometheus/trainmon-fleet.yml (its group
# interval cut to 1 s). Over the HTTP API: both shards are up, the files they follow add up to the
# tree, and the median MFU across runs of cluster "lab" is the median of the MFUs the two
# daemons export (scraped here directly), i.e. the rule aggregates across daemons. Skips (77)
# without prometheus/promtool (scripts/deps.sh --test installs Debian's prometheus).
# Usage: TRAINMON=path/to/trainmon prom_fleet.sh SOURCE_DIR
set -euo pipefail
src=${1:?usage: prom_fleet.sh SOURCE_DIR}
for tool in prometheus promtool; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed (scripts/deps.sh --test installs it)"; exit 77; }
done
. "$(dirname "$0")/lib.sh"

tree="$tmp/tree"
i=0
for log in megatron_gpt3_1.3b-4417021.out gpt_neox_1.3b-7771234.out failures_nccl_timeout.out; do
	for copy in a b; do
		i=$((i + 1))
		mkdir -p "$tree/exp$i"
		head -n 60 "$src/sample_logs/$log" >"$tree/exp$i/run$copy$i-$((100 + i)).out"
	done
done
for s in 0 1; do
	start_daemon "s$s" --quiet --recursive --gpu a100 --shard "$s/2" --label cluster=lab "$tree"
done
echo "ok: shards on ports $PORT_s0 $PORT_s1"

sed 's/^    interval: 30s$/    interval: 1s/' "$src/etc/prometheus/trainmon-fleet.yml" >"$tmp/fleet.yml"
grep -q 'interval: 1s' "$tmp/fleet.yml" || fail "trainmon-fleet.yml has no 'interval: 30s' line to shorten"
cat >"$tmp/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $tmp/fleet.yml
scrape_configs:
  - job_name: trainmon
    static_configs:
      - targets: ["127.0.0.1:$PORT_s0", "127.0.0.1:$PORT_s1"]
YAML
promtool check config "$tmp/prometheus.yml" >/dev/null || fail "promtool check config"

. "$src/tests/prom/prom_lib.sh"
start_on_free_port prom_port prom_pid /-/ready "$tmp/err.prometheus" \
	prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/data" \
	--web.listen-address="127.0.0.1:{PORT}" --log.level=warn
api="http://127.0.0.1:$prom_port/api/v1"
echo "ok: prometheus on 127.0.0.1:$prom_port"
export WAIT_S=90 WAIT_RTOL=1e-9

wait_for 'cluster:trainmon_shards_up:count{cluster="lab"}' 2
wait_for 'cluster:trainmon_files_watched:sum{cluster="lab"}' 6
# the MFU median across the runs both daemons export (those that ended or finished left out)
want=$( { scrape s0; scrape s1; } | python3 -c '
import re, sys, statistics
mfu, gone = {}, set()
for l in sys.stdin:
    m = re.match(r"trainmon_run_mfu_ratio\{.*file=\"([^\"]*)\".*\} (\S+)$", l)
    if m: mfu[m.group(1)] = float(m.group(2))
    m = re.match(r"trainmon_run_alert_active\{.*file=\"([^\"]*)\".*alert=\"(ended|finished)\"\} 1$", l)
    if m: gone.add(m.group(1))
v = sorted(x for f, x in mfu.items() if f not in gone)
print(repr(statistics.median(v)) if len(v) >= 2 else "")')
[ -n "$want" ] || fail "fewer than two runs with an MFU on the two daemons"
for s in 0 1; do
	[ "$(files_of "s$s" | wc -l)" -ge 1 ] || fail "shard $s follows no file: the test tree does not exercise two shards"
done
wait_for 'cluster:trainmon_run_mfu_ratio:quantile{cluster="lab",quantile="0.5"}' "$want"
stop_daemon s0
stop_daemon s1
echo PASS

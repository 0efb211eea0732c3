#!/usr/bin/env bash
# check_rules.sh: `promtool check rules` and `promtool test rules` on etc/prometheus: the alerting
# rules parse, and the unit tests (trainmon-alerts.test.yml) see each alert fire when it should
# and stay quiet when it should not. Skips (77) without promtool.
# Usage: check_rules.sh SOURCE_DIR
set -euo pipefail
src=${1:?usage: check_rules.sh SOURCE_DIR}
command -v promtool >/dev/null || { echo "SKIP: promtool not installed (scripts/deps.sh --test installs prometheus)"; exit 77; }
cd "$src/etc/prometheus"
promtool check rules trainmon-alerts.yml
promtool test rules trainmon-alerts.test.yml
# every metric the rules use is one trainmon exports (src/metrics.c), or Prometheus' own `up`
grep -oE '\btrainmon_[a-z_]+' trainmon-alerts.yml | sort -u | while read -r m; do
	grep -q "\"$m\"" "$src/src/metrics.c" || { echo "FAIL: trainmon-alerts.yml uses $m, which src/metrics.c does not export" >&2; exit 1; }
done
echo PASS

#!/usr/bin/env bash
# check_rules.sh: `promtool check rules` and `promtool test rules` on etc/prometheus: the alerting
# rules parse, and the unit tests (trainmon-alerts.test.yml) see each alert fire when it should
# and stay quiet when it should not. NAME picks another rule file (trainmon-fleet: NAME.yml with
# NAME.test.yml). Skips (77) without promtool.
# Usage: check_rules.sh SOURCE_DIR [NAME]
set -euo pipefail
src=${1:?usage: check_rules.sh SOURCE_DIR [NAME]}
name=${2:-trainmon-alerts}
command -v promtool >/dev/null || { echo "SKIP: promtool not installed (scripts/deps.sh --test installs prometheus)"; exit 77; }
cd "$src/etc/prometheus"
promtool check rules "$name.yml"
promtool test rules "$name.test.yml"
# every metric the rules use is one trainmon exports (src/metrics.c), or Prometheus' own `up`
# (names with a colon are recording rules)
grep -oE '[:a-z_]*trainmon_[a-z_]+' "$name.yml" | grep -v : | sort -u | while read -r m; do
	grep -q "\"$m\"\|$m[{ ]" "$src/src/metrics.c" || { echo "FAIL: $name.yml uses $m, which src/metrics.c does not export" >&2; exit 1; }
done
echo PASS

#!/usr/bin/env bash
# check_rules.sh: `promtool check rules` and `promtool test rules` on a rule file of
# etc/prometheus: the rules parse, and their unit tests (NAME.test.yml) pass: the alerts of
# trainmon-alerts.yml fire when they should and stay quiet when they should not, the recording
# rules of trainmon-chains.yml and trainmon-fleet.yml give the values they should. Every trainmon_
# metric a rule uses is one trainmon exports (src/metrics*.c). Skips (77) without promtool.
# Usage: check_rules.sh SOURCE_DIR [NAME]   (NAME: trainmon-alerts, the default, trainmon-chains,
# trainmon-fleet)
set -euo pipefail
src=${1:?usage: check_rules.sh SOURCE_DIR [NAME]}
name=${2:-trainmon-alerts}
command -v promtool >/dev/null || { echo "SKIP: promtool not installed (scripts/deps.sh --test installs prometheus)"; exit 77; }
cd "$src/etc/prometheus"
promtool check rules "$name.yml"
promtool test rules "$name.test.yml"
# every raw metric the rules use (recorded ones have colons; comments do not count) is exported
sed 's/#.*//' "$name.yml" | grep -oE '[:a-z_]*trainmon_[a-z_]+' | grep -v : | sort -u | while read -r m; do
	grep -q "\"$m\"\|$m[{ ]" "$src"/src/metrics*.c || { echo "FAIL: $name.yml uses $m, which src/metrics*.c does not export" >&2; exit 1; }
done
echo PASS

#!/usr/bin/env bash
# check_chain_rules.sh: `promtool check rules` and `promtool test rules` on
# etc/prometheus/trainmon-chains.yml (the chains' goodput recording rules), and every trainmon_
# metric they use is one trainmon exports (src/metrics_chain.c). Skips (77) without promtool.
# Usage: check_chain_rules.sh SOURCE_DIR
set -euo pipefail
src=${1:?usage: check_chain_rules.sh SOURCE_DIR}
command -v promtool >/dev/null || { echo "SKIP: promtool not installed (scripts/deps.sh --test installs prometheus)"; exit 77; }
cd "$src/etc/prometheus"
promtool check rules trainmon-chains.yml
promtool test rules trainmon-chains.test.yml
# raw metrics (not recorded ones, which have colons) come from the exporter
sed 's/#.*//' trainmon-chains.yml | grep -oE '\btrainmon_[a-z_]+' | sort -u | while read -r m; do
	grep -q "\"$m\"" "$src/src/metrics_chain.c" || { echo "FAIL: trainmon-chains.yml uses $m, which src/metrics_chain.c does not export" >&2; exit 1; }
done
echo PASS

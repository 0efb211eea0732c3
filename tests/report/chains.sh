#!/usr/bin/env bash
# chains.sh: a chain in the HTML report (the issue's two Megatron segments: job 101 dies on an NCCL
# timeout, job 102 resumes 45 min later and ends on the time limit). The page holds one chain
# section with the segments over the wall clock (two segments shaded, two step curves, the
# interruption marked) and the goodput ledger as a stacked bar whose parts are the text report's
# buckets; the page parses strictly and loads in Chromium with no request and no error.
. "$(dirname "$0")/lib.sh"
src=${TM_SOURCE_DIR:?set TM_SOURCE_DIR to the source tree}
logs=("$src/sample_logs/chains/slurm-101.out" "$src/sample_logs/chains/slurm-102.out")
"$TRAINMON" report --gpu h100-sxm -o "$tmp/chain.html" "${logs[@]}" || fail "trainmon report failed"
$check strict "$tmp/chain.html" >/dev/null || fail "the page is not strict HTML"
[ "$(grep -c '<section class="chain"' "$tmp/chain.html")" = 1 ] || fail "not one chain section"
grep -q 'Chain slurm-101: 2 segments, goodput' "$tmp/chain.html" || fail "no chain title with its goodput"
for part in "wasted_progress 230 s" "checkpoint_save 30 s" "checkpoint_load 60 s" "recovery 2.7 ks"; do
	grep -q "$part" "$tmp/chain.html" || fail "the ledger has no part '$part'"
done
"$TRAINMON" analyze --gpu h100-sxm "${logs[@]}" >"$tmp/chain.txt"
grep -q 'wasted_progress' "$tmp/chain.txt" || fail "the text report has no ledger to compare with"
need_chromium
chrome_run "$tmp/dom" "file://$tmp/chain.html" --dump-dom >"$tmp/dom.html"
page_ok "$tmp/dom"
grep -q 'class="chain"' "$tmp/dom.html" || fail "Chromium's DOM has no chain section"
chrome_run "$tmp/shot" "file://$tmp/chain.html" --window-size=1280,5200 --screenshot="$art/chains.png" >/dev/null
page_ok "$tmp/shot"
echo "PASS: one chain section, its segments and ledger drawn; strict, and loaded with no request"

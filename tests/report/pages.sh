#!/usr/bin/env bash
# pages.sh SET: HTML reports of a set of logs, read strictly and in a real browser.
#   SET = samples   every log in sample_logs/
#         real      the logs of the golden real cases (tests/golden/real/*/cmd) under ../shared;
#                   skipped (exit 77) when that directory is absent
# Per log: `trainmon report` exits 0 (or 1, "nothing to report", as analyze does), the page
# parses strictly with no external reference, its summary table holds every row of `trainmon
# analyze`'s text for the same options, and it has charts (but for logs without steps). Then
# all of them in one page: Chromium loads it with no console error and no network request, the
# DOM it dumps parses strictly with the same charts and point counts, and screenshots (light and
# dark) are kept in TM_ARTIFACTS.
. "$(dirname "$0")/lib.sh"
set_name=${1:?usage: pages.sh samples|real}
src=${TM_SOURCE_DIR:?set TM_SOURCE_DIR to the source tree}
logs=()
case $set_name in
samples)
	for f in "$src"/sample_logs/*; do [ ! -f "$f" ] || logs+=("$f"); done ;;
real)
	[ -d "${TM_SHARED:-/nonexistent}/logs" ] || { echo "SKIP: no ../shared/logs"; exit 77; }
	for c in "$src"/tests/golden/real/*/cmd; do
		f=$(grep -o '\$TM_SHARED/[^"]*' "$c" | head -1)
		logs+=("${TM_SHARED}${f#\$TM_SHARED}")
	done ;;
*) echo "usage: pages.sh samples|real" >&2; exit 2 ;;
esac
[ ${#logs[@]} -gt 0 ] || fail "no logs"
need_chromium
opts=(--gpu h100-sxm --min-mfu 0.3)
n=0 charts_total=0
for log in "${logs[@]}"; do
	name=$(basename "$log")
	rc=0
	"$TRAINMON" report "${opts[@]}" -o "$tmp/$name.html" "$log" 2>"$tmp/$name.err" || rc=$?
	[ $rc -le 1 ] || fail "$name: trainmon report exited $rc: $(cat "$tmp/$name.err")"
	"$TRAINMON" analyze "${opts[@]}" "$log" >"$tmp/$name.txt" 2>/dev/null || true
	$check strict "$tmp/$name.html" --max-points 2000 >"$tmp/$name.json" || fail "$name: the page is not strict HTML"
	$check rows "$tmp/$name.html" "$tmp/$name.txt" >/dev/null || fail "$name: the summary table differs from analyze's text"
	read -r charts paths points < <(chart_counts "$tmp/$name.json")
	steps=$(grep -cE '^  steps +[0-9]' "$tmp/$name.txt" || true)
	if [ "$steps" -gt 0 ] && [ "$charts" -eq 0 ]; then fail "$name: steps but no chart"; fi
	echo "ok $name: $charts charts, $paths curves, $points points"
	n=$((n + 1)) charts_total=$((charts_total + charts))
done
# A negative control: the row check must see a changed number.
sed -i 's/^\(  framework     \).*/\1somethingelse/' "$tmp/$name.txt"
grep -q '^  framework     somethingelse$' "$tmp/$name.txt" || fail "the negative control did not apply"
if $check rows "$tmp/$name.html" "$tmp/$name.txt" >/dev/null 2>&1; then
	fail "the row check did not see a changed row"
fi

# every log in one page, in a browser
"$TRAINMON" report "${opts[@]}" -o "$tmp/all.html" "${logs[@]}" 2>/dev/null || true
$check strict "$tmp/all.html" --max-points 2000 >"$tmp/all.json" || fail "all.html is not strict HTML"
chrome_run "$tmp/dom" "file://$tmp/all.html" --dump-dom >"$tmp/dom.html"
page_ok "$tmp/dom"
$check strict "$tmp/dom.html" --max-points 2000 >"$tmp/dom.json" || fail "the DOM Chromium built is not strict HTML"
want=$(chart_counts "$tmp/all.json")
got=$(chart_counts "$tmp/dom.json")
[ "$want" = "$got" ] || fail "the browser's DOM has charts/curves/points '$got', the page '$want'"
sections=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["sections"]))' "$tmp/dom.json")
[ "$sections" -eq ${#logs[@]} ] || fail "the DOM has $sections run sections for ${#logs[@]} logs"
chrome_run "$tmp/shot" "file://$tmp/all.html" --window-size=1400,2200 --screenshot="$art/$set_name.png" >/dev/null
page_ok "$tmp/shot"
[ -s "$art/$set_name.png" ] || fail "no screenshot"
chrome_run "$tmp/dark" "file://$tmp/all.html" --force-dark-mode --window-size=1400,2200 --screenshot="$art/$set_name-dark.png" >/dev/null
page_ok "$tmp/dark"
[ -s "$art/$set_name-dark.png" ] || fail "no dark screenshot"
cp "$tmp/all.html" "$art/$set_name.html"
cp "$tmp/dom.html" "$art/$set_name.dom.html"
echo "PASS: $n logs, $charts_total charts; in Chromium: '$got' (charts curves points), no request; $art/$set_name.png"

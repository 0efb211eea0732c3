#!/usr/bin/env bash
# large.sh: a 1 000 000-step run (nanoGPT lines with kubectl time prefixes, written here and
# removed after: never committed). Its report must stay under 2 MB with every curve downsampled
# to at most 2000 points, keep the one-step spike at step 777777 (100x the step time) at its
# height (over the wall clock; on the step axis it runs off the top of the steady state's
# range), and be parsed and laid out by Chromium in under a second more than a 20-step report
# (measured by a wrapper page that loads each in an iframe: the report itself has no script;
# skipped, exit 77, when the load average is over twice the cores). The figures are printed.
. "$(dirname "$0")/lib.sh"
need_chromium
steps=${TM_LARGE_STEPS:-1000000}
spike=777777
awk -v n="$steps" -v spike="$spike" 'BEGIN {
  srand(7); t = 0;
  for (i = 1; i <= n; i++) {
    ms = (i < 600000 ? 500 : 540) + rand() * 10;       # a 8 % regression at step 600000
    if (i == spike) ms = 50000;
    t += ms / 1000;
    d = int(t / 86400); s = t - d * 86400; h = int(s / 3600); m = int((s - h * 3600) / 60); sec = s - h * 3600 - m * 60;
    printf "2025-03-%02dT%02d:%02d:%06.3fZ iter %d: loss %.4f, time %.2fms, mfu %.2f%%\n", 11 + d, h, m, sec, i,
      2 + 4.5 * exp(-i / 300000) + rand() * 0.05, ms, 32 + rand();
  }
}' >"$tmp/big.log"
echo "log: $(wc -c <"$tmp/big.log") bytes, $steps steps"
start=$(date +%s.%N)
"$TRAINMON" report --global-batch 480 --gpus 8 --model gpt2 --gpu a100 --min-mfu 0.3 -o "$tmp/big.html" "$tmp/big.log" ||
	fail "trainmon report exited $?"
end=$(date +%s.%N)
size=$(wc -c <"$tmp/big.html")
echo "report: $size bytes in $(echo "$end - $start" | bc) s"
[ "$size" -lt 2000000 ] || fail "the report is $size bytes, over 2 MB"
$check strict "$tmp/big.html" --max-points 2000 >"$tmp/big.json" || fail "not strict HTML, or a curve over 2000 points"
python3 - "$tmp/big.json" "$steps" <<'PY' || fail "point counts"
import json, sys
d = json.load(open(sys.argv[1])); n = int(sys.argv[2])
ids = [c["id"] for c in d["charts"]]
for want in ("run0-step-time", "run0-tokens", "run0-mfu", "run0-loss", "run0-progress-wall", "run0-step-time-wall"):
    assert want in ids, f"no chart {want}: {ids}"
st = next(c for c in d["charts"] if c["id"] == "run0-step-time")
assert st["of"][0] == n and 1000 <= st["points"][0] <= 2000, st
print("charts:", ", ".join(f'{c["id"]} {c["points"]}/{c["of"]}' for c in d["charts"]))
PY
# the spike: the highest point of the step-time curve over the wall clock, read back through the
# axis' ticks, is 50 s; on the step axis (whose range is the steady state's) it runs off the top
python3 - "$tmp/big.html" <<'PY' || fail "the spike did not survive downsampling"
import re, sys
h = open(sys.argv[1], encoding="utf-8").read()
def curve(fid):
    fig = re.search(r'<figure class="chart" id="%s".*?</figure>' % fid, h, re.S).group(0)
    def value(t):                                          # "650\u2009ms" -> 0.65
        m = re.match(r"(-?[0-9.]+)\u2009?([num\u00b5kMG]?)s?$", t)
        return float(m.group(1)) * {"": 1, "n": 1e-9, "\u00b5": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9}[m.group(2)]
    ticks = [(float(y), value(t)) for y, t in re.findall(r'class="yl" x="[0-9.]+" y="([0-9.]+)">([^<]*)<', fig)]
    d = re.search(r'<path class="s c0"[^>]* d="([^"]+)"', fig).group(1)
    return ticks, min(float(y) for y in re.findall(r"[ML]-?[0-9.]+ (-?[0-9.]+)", d))
ticks, top = curve("run0-step-time-wall")
(y0, v0), (y1, v1) = ticks[0], ticks[-1]
val = v0 + (top + 3.5 - y0) * (v1 - v0) / (y1 - y0)      # labels sit 3.5 below their tick
print(f"highest drawn step time over the wall clock: {val:.2f} s (the spike is 50 s)")
assert abs(val - 50) < 0.5, val
ticks, top = curve("run0-step-time")
print(f"on the step axis the curve reaches y={top} (the plot's top is 14; top tick {ticks[-1][1]} s)")
assert top < 14 and ticks[-1][1] < 5, (top, ticks)
PY

# parse, style and layout time in Chromium: a wrapper page times a report in an iframe. The same
# is measured for a 20-step report, so what is left is the cost of the large page itself, not the
# start of an iframe on a machine that may be busy.
"$TRAINMON" report -o "$tmp/small.html" "${TM_SOURCE_DIR:?}/sample_logs/megatron_gpt3_1.3b-4417021.out"
for page in big small; do
	sed "s/@PAGE@/$page.html/" >"$tmp/time-$page.html" <<'HTML'
<!DOCTYPE html><html><head><meta charset="utf-8"><title>t</title></head><body><pre id="out">pending</pre>
<script>
const t0 = performance.now();
const f = document.createElement("iframe");
f.style.width = "1400px"; f.style.height = "1000px";
f.onload = () => {
  const d = f.contentDocument;
  const h = d ? d.documentElement.getBoundingClientRect().height : -1;
  const n = d ? d.querySelectorAll("figure.chart path.s").length : -1;
  document.getElementById("out").textContent = "ms=" + (performance.now() - t0).toFixed(0) + " height=" + h.toFixed(0) + " curves=" + n;
};
f.src = "@PAGE@";
document.body.appendChild(f);
</script></body></html>
HTML
done
best_big=999999 best_small=999999
for k in 1 2 3; do
	for page in big small; do
		chrome_run "$tmp/t$page$k" "file://$tmp/time-$page.html" --allow-file-access-from-files --dump-dom >"$tmp/t$page$k.html"
		page_ok "$tmp/t$page$k"
		line=$(grep -o 'ms=[0-9]* height=[0-9-]* curves=[0-9-]*' "$tmp/t$page$k.html") || fail "the wrapper page did not time the $page report"
		echo "chromium, $page report: $line"
		ms=${line#ms=}; ms=${ms%% *}
		curves=${line##*curves=}
		[ "$curves" -ge 5 ] || fail "the browser saw $curves curves in the $page report"
		if [ $page = big ]; then [ "$ms" -lt "$best_big" ] && best_big=$ms; else [ "$ms" -lt "$best_small" ] && best_small=$ms; fi
	done
done
cost=$((best_big - best_small))
echo "best of 3: the 1M-step page $best_big ms, a 20-step page $best_small ms (difference $cost ms)"
limit=${TM_RENDER_MS:-1000}
if [ "$cost" -ge "$limit" ]; then
	# a machine running several times more work than it has cores measures itself, not the page
	read -r load _ </proc/loadavg
	if awk -v l="$load" -v n="$(nproc)" 'BEGIN { exit !(l > 2 * n) }'; then
		echo "SKIP: $cost ms over $limit ms, but the load average is $load on $(nproc) cores: cannot measure"
		exit 77
	fi
	fail "the 1M-step page costs $cost ms to load and lay out, over $limit ms"
fi
chrome_run "$tmp/shot" "file://$tmp/big.html" --window-size=1400,2400 --screenshot="$art/large.png" >/dev/null
page_ok "$tmp/shot"
echo "PASS: $steps steps: report $size bytes, spike kept, loaded and laid out in $best_big ms (a 20-step report: $best_small ms; best of 3)"

#!/usr/bin/env bash
# hostile.sh: a report of a log whose file name and messages are markup (<script>, <img
# onerror>, </title>, quotes and ampersands), invalid UTF-8 and control bytes. The page must
# parse strictly with every one of them as text, Chromium must build no element from them and
# make no request; and, as a control, the same checks must catch a page that does load something.
. "$(dirname "$0")/lib.sh"
need_chromium
name='run<script>alert(1)&"'"'"'x<img src=x onerror=alert(3)>.out'
log="$tmp/$name"
{
	for i in $(seq 10 10 200); do
		printf ' [2025-03-11 09:%02d:10] iteration %7d/    2000 | consumed samples: %12d | elapsed time per iteration (ms): %s | global batch size:   512 | lm loss: %s | loss scale: 1.0 | number of skipped iterations:   0 | number of nan iterations:   0 |\n' \
			$((i / 10)) "$i" $((i * 512)) "$([ "$i" = 120 ] && echo 9041.6 || echo 1041.6)" "$(printf '%.4E' "$(echo "10 - $i / 50" | bc -l)")"
		if [ "$i" = 100 ]; then
			printf '[rank0]:[E514 03:33:15.715302079 ProcessGroupNCCL.cpp:607] [Rank 0] Watchdog caught collective operation timeout: WorkNCCL(SeqNum=1, OpType=ALLREDUCE <img src=x onerror=alert(1)> </title></svg><script>alert(2)</script> & "q" '"'"'s'"'"' \xff\xfe \x01\x02 \xc2\x85 \xe2\x82) ran for 600043 milliseconds before timing out.\n'
		fi
	done
	printf 'srun: error: gpu-node-01: task 3: Aborted (core dumped) <b>bold</b> <a href="http://example.com/x">x</a>\n'
} >"$log"
"$TRAINMON" report --seq-len 2048 -o "$tmp/h.html" "$log" || fail "trainmon report exited $?"
$check strict "$tmp/h.html" >"$tmp/h.json" || fail "the page of a hostile log is not strict HTML"
for s in 'run&lt;script&gt;alert(1)&amp;&quot;&#39;x&lt;img src=x onerror=alert(3)&gt;.out' '&lt;img src=x onerror=alert(1)&gt;' '&lt;/title&gt;&lt;/svg&gt;' \
	'&amp; &quot;q&quot; &#39;s&#39;' '&lt;b&gt;bold&lt;/b&gt;' $'\xef\xbf\xbd'; do
	grep -qF -- "$s" "$tmp/h.html" || fail "'$s' is not in the page: not escaped as expected"
done
if grep -qE '<(script|img|b|a)[ >]' "$tmp/h.html"; then fail "an element came from the log"; fi
read -r charts _ _ < <(chart_counts "$tmp/h.json")
[ "$charts" -ge 4 ] || fail "$charts charts, want at least 4"
grep -q 'nccl_timeout' "$tmp/h.html" || fail "the NCCL timeout event is not in the page"

chrome_run "$tmp/dom" "file://$tmp/h.html" --dump-dom >"$tmp/dom.html"
page_ok "$tmp/dom"
$check strict "$tmp/dom.html" >/dev/null || fail "the DOM Chromium built is not strict HTML"
if grep -qiE '<(script|img|b|a)[ >]' "$tmp/dom.html"; then fail "Chromium built an element from the log's text"; fi
grep -qF 'onerror=alert(1)' "$tmp/dom.html" || fail "the message is not in the DOM as text"
chrome_run "$tmp/shot" "file://$tmp/h.html" --window-size=1400,1800 --screenshot="$art/hostile.png" >/dev/null
page_ok "$tmp/shot"

# the control: a page that loads an image from the network, and one with an inline script
printf '<!DOCTYPE html><html><head><meta charset="utf-8"><title>x</title></head><body><img src="http://example.invalid/a.png"><p>x</p></body></html>\n' >"$tmp/bad.html"
if $check strict "$tmp/bad.html" >/dev/null 2>&1; then fail "the strict check let an external image through"; fi
chrome_run "$tmp/bad" "file://$tmp/bad.html" --dump-dom >/dev/null
if $check netlog "$tmp/bad.netlog.json" >/dev/null 2>&1; then fail "the network check did not see the image request"; fi
printf '<!DOCTYPE html><html><head><meta charset="utf-8"><title>x</title></head><body><p>x</body></html>\n' >"$tmp/unclosed.html"
if $check strict "$tmp/unclosed.html" >/dev/null 2>&1; then fail "the strict check let an unclosed <p> through"; fi
echo "PASS: hostile names and messages stay text, in the page and in Chromium's DOM; no request; controls caught"

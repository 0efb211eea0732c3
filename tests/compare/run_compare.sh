#!/usr/bin/env bash
# run_compare.sh: `trainmon compare` end to end on logs the project writes, checked through its
# JSON (python3) and its text:
#  1. a run compared with itself: every difference zero, "no significant difference";
#  2. B = A with every step time x 1.10 (scale_step_times.py): "B is 10.0% slower [lo, hi]" with
#     0 < lo <= 10 <= hi, and the other way round "faster";
#  3. two runs with the same loss per token and global batch 256 vs 512 (gen_megatron.py): loss
#     difference 0 at aligned tokens, while the same losses aligned by step number differ by far
#     more (so the check can fail); a run whose loss is 0.05 higher per token shows +0.05;
#  4. the interval is a function of the seed: same seed, same JSON; usage and I/O exit statuses;
#  5. --format html: a strict, self-contained page holding the text output and two SVG charts, a
#     30000-step run drawn with at most 2000 points and its one slow step still on the chart.
# Usage: TRAINMON=path/to/trainmon run_compare.sh SOURCE_DIR
set -euo pipefail
src=${1:?usage: run_compare.sh SOURCE_DIR}
: "${TRAINMON:?set TRAINMON to the binary}"
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export LC_ALL=C TZ=UTC
tm() { "$TRAINMON" "$@"; }
here=$src/tests/compare
a=$src/sample_logs/megatron_gpt3_1.3b-4417021.out

# check JSON PYTHON-EXPR...: each expression over c (the compare JSON) must be true
check() {
	python3 - "$@" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
for e in sys.argv[2:]:
    if not eval(e, {"c": c, "abs": abs, "round": round}):
        sys.exit("check failed: %s\n  step_time %s\n  loss %s" % (e, c["step_time"], c["loss"]))
PY
}

# 1. A against itself
tm compare --gpu a100 --format json "$a" "$a" >"$tmp/self.json" || fail "self compare exit $?"
check "$tmp/self.json" \
	'c["step_time"]["diff_s"] == 0' 'c["step_time"]["rel"] == 0' \
	'c["step_time"]["verdict"] == "no significant difference"' \
	'c["step_time"]["rel_lo"] <= 0 <= c["step_time"]["rel_hi"]' \
	'c["tokens_per_s"]["rel"] == 0' 'c["tflops_per_gpu"]["rel"] == 0' 'c["mfu"]["diff"] == 0' \
	'c["tokens_done"]["rel"] == 0' \
	'c["loss"]["points"] == 20' 'c["loss"]["mean_abs_diff"] == 0' 'c["loss"]["max_abs_diff"] == 0' \
	'c["values_differing"] == 0' 'not any(v["differs"] for v in c["values"])' \
	'all(v["a"] == v["b"] for v in c["event_counts"].values())' \
	'c["a"]["step_time_s"] == c["b"]["step_time_s"]'
tm compare "$a" "$a" | grep -q '^                no significant difference: B +0.0% \[' || fail "self: no 'no significant difference' line"
echo "ok: A against itself: zero differences, no significant difference"

# 2. B = A x 1.10
python3 "$here/scale_step_times.py" 1.10 <"$a" >"$tmp/slow.out"
tm compare --gpu a100 --format json "$a" "$tmp/slow.out" >"$tmp/slow.json"
check "$tmp/slow.json" \
	'c["step_time"]["verdict"] == "slower"' 'round(100 * c["step_time"]["rel"], 1) == 10.0' \
	'0 < c["step_time"]["rel_lo"] <= 0.10 <= c["step_time"]["rel_hi"]' \
	'c["step_time"]["diff_lo_s"] > 0' 'c["step_time"]["resamples"] == 10000' \
	'c["step_time"]["seed"] == 20260101' 'abs(c["tokens_per_s"]["rel"] - (1 / 1.1 - 1)) < 1e-3' \
	'c["loss"]["mean_abs_diff"] == 0' 'c["values_differing"] == 0'
line=$(tm compare "$a" "$tmp/slow.out" | sed -n 4p)
[[ $line =~ ^\ +B\ is\ 10\.0%\ slower\ \[([0-9.]+),\ ([0-9.]+)\] ]] || fail "slower: line 4 is '$line'"
python3 -c "import sys; lo, hi = map(float, sys.argv[1:]); sys.exit(not (0 < lo <= 10.0 <= hi))" \
	"${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" || fail "slower: interval [${BASH_REMATCH[1]}, ${BASH_REMATCH[2]}] excludes 10 or includes 0"
echo "ok: $(echo "$line" | sed "s/^ *//")"
line=$(tm compare "$tmp/slow.out" "$a" | sed -n 4p)
[[ $line =~ ^\ +B\ is\ 9\.1%\ faster\ \[ ]] || fail "faster: line 4 is '$line'"
echo "ok: $(echo "$line" | sed "s/^ *//")"

# 3. global batch 256 against 512, the same loss per token
python3 "$here/gen_megatron.py" --global-batch 256 --iters 800 --seed 2 >"$tmp/b256.out"
python3 "$here/gen_megatron.py" --global-batch 512 --iters 400 --seed 3 >"$tmp/b512.out"
python3 "$here/gen_megatron.py" --global-batch 512 --iters 400 --seed 3 --loss-offset 0.05 >"$tmp/b512w.out"
tm compare --format json "$tmp/b256.out" "$tmp/b512.out" >"$tmp/batch.json"
check "$tmp/batch.json" \
	'c["loss"]["points"] == 40' 'c["loss"]["points_of"] == "b"' \
	'c["loss"]["tokens_from"] == 512 * 10 * 2048' 'c["loss"]["tokens_to"] == 512 * 400 * 2048' \
	'c["loss"]["max_abs_diff"] < 1e-6' \
	'[v["name"] for v in c["values"] if v["differs"]] == ["global_batch_size", "global_batch", "micro_batch", "train_iters"]'
# the control: the same two logs aligned by step number are far apart
tm analyze --format csv "$tmp/b256.out" >"$tmp/b256.csv"
tm analyze --format csv "$tmp/b512.out" >"$tmp/b512.csv"
python3 - "$tmp/b256.csv" "$tmp/b512.csv" <<'PY' || fail "by step, the batch runs' losses do not differ: the token check proves nothing"
import csv, sys
a, b = ({int(r["step"]): float(r["loss"]) for r in csv.DictReader(open(p))} for p in sys.argv[1:])
d = max(abs(a[s] - b[s]) for s in a.keys() & b.keys())
print("ok: aligned by step instead, the losses would differ by up to %.3f" % d)
sys.exit(d < 0.5)
PY
tm compare --format json "$tmp/b256.out" "$tmp/b512w.out" >"$tmp/worse.json"
check "$tmp/worse.json" 'abs(c["loss"]["mean_diff"] - 0.05) < 1e-6' 'abs(c["loss"]["max_abs_diff"] - 0.05) < 1e-6'
# consumed samples that go back (a reset counter) give no token axis: said, not a made-up number
sed 's/consumed samples: *51200 /consumed samples: 5120 /' "$a" >"$tmp/reset.out"
tm compare --format json "$a" "$tmp/reset.out" >"$tmp/reset.json"
check "$tmp/reset.json" 'c["loss"]["points"] == 0' 'c["loss"]["mean_diff"] is None' 'c["loss"]["needs"].startswith("tokens consumed that only grow")'
echo "ok: batch 256 against 512: loss difference 0 at aligned tokens; a 0.05 offset shows as +0.05; a reset counter is refused"

# 5. HTML: one self-contained page, the text and two overlaid charts; a long run downsampled with
#    its spike kept
tm compare --format html "$tmp/b256.out" "$tmp/b512.out" >"$tmp/batch.html"
python3 "$here/check_html.py" "$tmp/batch.html" 2 >"$tmp/html.out" || fail "batch.html: $(cat "$tmp/html.out")"
grep -qx 'Step time by step: 80 points A, 40 points B' "$tmp/html.out" || fail "batch.html: $(cat "$tmp/html.out")"
tm compare "$tmp/b256.out" "$tmp/b512.out" | sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/"/\&quot;/g' >"$tmp/batch.txt"
python3 -c 'import re, sys; p = open(sys.argv[1]).read(); t = open(sys.argv[2]).read()
sys.exit(re.search(r"<pre>(.*?)</pre>", p, re.S).group(1) != t)' "$tmp/batch.html" "$tmp/batch.txt" \
	|| fail "the page's text is not the text output"
python3 "$here/gen_megatron.py" --global-batch 512 --iters 30000 --log-interval 1 --seed 4 \
	--spike-at 17777 --spike-factor 3 >"$tmp/long.out"
tm compare --format html "$tmp/long.out" "$tmp/b512.out" >"$tmp/long.html"
python3 "$here/check_html.py" "$tmp/long.html" 2 2.5 >"$tmp/html.out" || fail "long.html: $(cat "$tmp/html.out")"
[ "$(stat -c %s "$tmp/long.html")" -lt 300000 ] || fail "long.html is $(stat -c %s "$tmp/long.html") bytes"
echo "ok: HTML: strict, self-contained, the text output inside; 30000 steps drawn with at most 2000 points, spike kept"

# 4. determinism, options, exit statuses
tm compare --gpu a100 --format json "$a" "$tmp/slow.out" | cmp -s - "$tmp/slow.json" || fail "two runs with the default seed differ"
tm compare --format json --seed 7 --resamples 500 --confidence 0.9 "$a" "$tmp/slow.out" >"$tmp/seed7.json"
check "$tmp/seed7.json" 'c["step_time"]["seed"] == 7' 'c["step_time"]["resamples"] == 500' 'c["step_time"]["level"] == 0.9'
tm compare --format json --seed 7 --resamples 500 --confidence 0.9 "$a" "$tmp/slow.out" | cmp -s - "$tmp/seed7.json" \
	|| fail "--seed 7 twice gives two intervals"
set +e
tm compare "$a" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q 'needs two log files' "$tmp/err" || fail "one file: exit $rc, $(cat "$tmp/err")"
tm compare "$a" "$tmp/nonexistent.out" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 3 ] && grep -q 'nonexistent.out: No such file' "$tmp/err" || fail "missing file: exit $rc, $(cat "$tmp/err")"
for bad in -1 9007199254740993 1x; do
	tm compare --seed "$bad" "$a" "$a" >/dev/null 2>"$tmp/err"; rc=$?
	[ $rc = 2 ] && grep -q "is not an integer from 0 to 2^53" "$tmp/err" || fail "--seed $bad: exit $rc, $(cat "$tmp/err")"
done
tm compare - - </dev/null >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] || fail "A and B both standard input: exit $rc"
printf 'nothing here\n' >"$tmp/empty.out"
tm compare "$a" "$tmp/empty.out" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 1 ] || fail "a log with nothing: exit $rc"
set -e
echo "ok: seeded, options recorded, exit statuses 1, 2, 3"

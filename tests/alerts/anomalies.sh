#!/usr/bin/env bash
# anomalies: issue 11's "Done when", end to end, on logs gen_anomalies.py writes with fixed seeds.
#  1. `analyze --format json` on each log finds exactly the expected anomalies (one +8 %
#     step_time_regression at 12 000 with checkpoint_save outliers, ten flat seeds clean, one
#     straggler on rank 13 at 1.25x for 6 reports in Megatron's and in NVRx's format, none for a
#     one-report outlier, one on rank 2 from step lines every rank prints, one loss_spike at
#     30 000, ten loss seeds clean);
#  2. `watch` on the same logs fires exactly one alert per anomaly, at the same step, for the same
#     rank and host (analyze and watch agree), and nothing else but `finished`;
#  3. the straggler log written report by report across a SIGTERM and a restart with --state:
#     nothing after 6 reports (two flagged), firing once the 7th (the 3rd flagged) is read,
#     resolved only at the 13th (the 3rd normal one after the last flagged), each once, the
#     --exec hook seeing the same transitions with TRAINMON_STEP and TRAINMON_RANK.
set -u
. "$(dirname "$0")/../tail/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
command -v python3 >/dev/null || skip "no python3"
G=$SCR/gen
python3 "$HERE/gen_anomalies.py" "$G" || fail "gen_anomalies.py failed"

# steps_total of FILE's run in the textfile (empty while unknown)
steps_of() {
	[ -f "$SCR/metrics.prom" ] || return 0
	sed -n "s|^trainmon_run_steps_total{.*file=\"$1\".*} \([0-9]*\)$|\1|p" "$SCR/metrics.prom"
}
all_read() {
	python3 - "$G/expected.json" "$SCR/metrics.prom" <<'EOF'
import json, re, sys
exp = json.load(open(sys.argv[1]))
try:
    text = open(sys.argv[2]).read()
except OSError:
    sys.exit(1)
got = dict(re.findall(r'trainmon_run_steps_total\{[^}]*file="[^"]*/([^"/]+)"[^}]*\} (\d+)', text))
sys.exit(0 if all(int(got.get(f, -1)) == e["steps"] for f, e in exp.items()) else 1)
EOF
}

# 1. analyze
for f in "$G"/*.log; do
	"$TRAINMON" analyze --format json "$f" >"$f.json" 2>"$SCR/analyze.err" || fail "analyze $f: $(cat "$SCR/analyze.err")"
done

# 2. watch on the same logs
"$TRAINMON" watch --quiet --jsonl "$SCR/watch.jsonl" --textfile "$SCR/metrics.prom" \
	"${BACKEND_ARGS[@]+"${BACKEND_ARGS[@]}"}" "$G" 2>"$SCR/err.1" &
TM_PID=$!
wait_for "every step of every log" 120 all_read
stop_daemon
python3 - "$G" "$SCR/watch.jsonl" <<'EOF' || fail "analyze, watch and the expected anomalies differ (above)"
import json, os, sys
g, jsonl = sys.argv[1], sys.argv[2]
exp = json.load(open(os.path.join(g, "expected.json")))
alerts = {}
for line in open(jsonl):
    r = json.loads(line)
    if r.get("type") == "alert":
        alerts.setdefault(os.path.basename(r["file"]), []).append(r)
bad = 0
def say(*a):
    global bad
    bad = 1
    print(*a)
for f, e in sorted(exp.items()):
    run = json.load(open(os.path.join(g, f + ".json")))["runs"][0]
    an = [a for a in run["anomalies"] if a["kind"] != "step_time_outlier"]
    outl = [a for a in run["anomalies"] if a["kind"] == "step_time_outlier"]
    got_a = sorted((a["kind"], a["first_step"], a.get("rank", -1)) for a in an)
    want = sorted((k, s, r) for k, s, r in e["anomalies"])
    if [(k, r) for k, _, r in got_a] != [(k, r) for k, _, r in want] or any(
            s is not None and s != ga[1] for (_, s, _), ga in zip(want, got_a)):
        say(f"{f}: analyze found {got_a}, expected {want}")
    fired = [a for a in alerts.get(f, []) if a["alert"] != "finished" and a["state"] == "firing"]
    got_w = sorted((a["alert"], a["step"], a.get("rank", -1)) for a in fired)
    if got_w != got_a:
        say(f"{f}: watch fired {got_w}, analyze found {got_a}")
    for a in an:
        w = [x for x in fired if x["alert"] == a["kind"] and x["step"] == a["first_step"]]
        if a["kind"] == "straggler":
            want_r, want_n = (1.3, 16) if f == "ranks.log" else (1.25, 6)
            if abs(a["value"] - want_r) > 0.01 or a["intervals"] != want_n or (w and abs(w[0]["value"] - want_r) > 0.01):
                say(f"{f}: straggler ratio/intervals {a['value']} {a['intervals']}, watch {w and w[0]['value']}")
            host = "node-3" if f == "nvrx.log" else None
            if a["host"] != host or (w and w[0].get("host") != host):
                say(f"{f}: straggler host {a['host']}, watch {w and w[0].get('host')}, expected {host}")
        if a["kind"] == "step_time_regression":
            if abs(a["magnitude"] - 0.08) > 0.01 or abs(a["first_step"] - 12000) > 50:
                say(f"{f}: regression magnitude {a['magnitude']} at {a['first_step']}")
            if w and abs(w[0]["value"] / w[0]["threshold"] - 1 - a["magnitude"]) > 0.005:
                say(f"{f}: watch's magnitude {w[0]['value'] / w[0]['threshold'] - 1}, analyze's {a['magnitude']}")
    if f == "regression.log" and (len(outl) != 19 or any(o["cause"] != "checkpoint_save" for o in outl)):
        say(f"{f}: {len(outl)} outliers, causes {set(o['cause'] for o in outl)}: want 19 checkpoint_save")
    nres = sum(1 for a in alerts.get(f, []) if a["state"] == "resolved")
    if f in ("straggler.log", "nvrx.log", "loss.log") and nres != 1:
        say(f"{f}: {nres} resolved alerts, want 1")
    print(f"{f}: analyze {got_a}, watch {got_w}")
sys.exit(bad)
EOF

# 3. the straggler log report by report, across restarts: report R is lines 11R-10..11R (ten
# steps, then the report line) and is complete once the next step line (11R + 1) is read
L=$SCR/live
mkdir -p "$L"
: >"$L/straggler.log"
: >"$SCR/exec.txt"
rm -f "$SCR/metrics.prom"
EXEC='echo "$TRAINMON_ALERT $TRAINMON_STATE $TRAINMON_STEP $TRAINMON_RANK" >>'"$SCR/exec.txt"
cur=0
feed_reports() {                           # the log up to report $1 and the step after it
	local want=$((11 * $1 + 1))
	head -n "$want" "$G/straggler.log" | tail -n +$((cur + 1)) >>"$L/straggler.log"
	cur=$want
}
start() {
	"$TRAINMON" watch --quiet --jsonl "$SCR/live.jsonl" --textfile "$SCR/metrics.prom" --state "$SCR/state" \
		--exec "$EXEC" "${BACKEND_ARGS[@]+"${BACKEND_ARGS[@]}"}" "$L" 2>>"$SCR/err.2" &
	TM_PID=$!
}
steps_are() { [ "$(steps_of "$L/straggler.log")" = "$1" ]; }
count_live() { [ -f "$SCR/live.jsonl" ] && jq -r 'select(.type == "alert" and .alert == "straggler") | .state' \
	"$SCR/live.jsonl" | grep -cx "$1" || true; }
live_is() { [ "$(count_live firing)" = "$1" ] && [ "$(count_live resolved)" = "$2" ]; }
start
feed_reports 4
wait_for "41 steps read" 20 steps_are 41
feed_reports 6
wait_for "61 steps read" 20 steps_are 61
live_is 0 0 || fail "straggler alerts after 6 reports (2 flagged): $(count_live firing) firing"
stop_daemon
start                                      # restart: the detector goes on from the state
feed_reports 7
wait_for "straggler firing at the 7th report (the 3rd flagged)" 20 live_is 1 0
feed_reports 12
wait_for "121 steps read" 20 steps_are 121
live_is 1 0 || fail "straggler resolved after 2 normal reports"
stop_daemon
start
feed_reports 13
wait_for "straggler resolved at the 13th report (the 3rd normal one)" 20 live_is 1 1
feed_reports 20
wait_for "every step" 20 steps_are 201
stop_daemon
live_is 1 1 || fail "straggler transitions: $(count_live firing) firing, $(count_live resolved) resolved"
grep -qx "straggler firing 50 13" "$SCR/exec.txt" && grep -qx "straggler resolved 50 13" "$SCR/exec.txt" ||
	fail "--exec saw: $(cat "$SCR/exec.txt")"
pass "analyze and watch agree on every case; a straggler fires at its 3rd report and resolves after 3 normal ones, across restarts"

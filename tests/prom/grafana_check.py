#!/usr/bin/env python3
"""grafana_check.py DASHBOARD.json METRICS.txt OUTDIR: checks a Grafana dashboard against trainmon.

1. Every PromQL expression (panel targets, annotations, and the expression inside each
   `label_values(EXPR, LABEL)` variable query) is written, with Grafana's variables replaced by
   fixed values ($__rate_interval 5m, $__interval 1m, $__range 1h, template variables .*), as a
   recording rule into OUTDIR/rules.yml for `promtool check rules` (run by the caller).
2. Every metric an expression names is one the live /metrics (METRICS.txt, from a running
   `trainmon watch`) exports, as a sample or a `# TYPE` family; every label it matches on or
   groups by is a label that metric carries there (or job/instance, which Prometheus adds); every
   function is a PromQL function.
3. The datasource is the variable ${DS_PROMETHEUS} everywhere (so the dashboard imports into any
   Grafana), and the job and run variables exist.
Prints one line per problem and exits 1 when there is any; writes nothing else.
"""
import json
import re
import sys

dash_path, metrics_path, outdir = sys.argv[1:4]
dash = json.load(open(dash_path))
problems = []

# ---- the live exposition: metric -> label names
labels = {}
for line in open(metrics_path):
    m = re.match(r"# TYPE (\S+) ", line)
    if m:
        labels.setdefault(m.group(1), set())
        continue
    if line.startswith("#") or not line.strip():
        continue
    m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? ", line)
    if m:
        names = set(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="', m.group(3) or ""))
        labels.setdefault(m.group(1), set()).update(names)
ADDED = {"job", "instance"}   # set by Prometheus at scrape time
all_labels = set().union(*labels.values()) | ADDED

FUNCTIONS = set("""abs absent absent_over_time avg_over_time ceil changes clamp clamp_max clamp_min count_over_time
days_in_month day_of_month day_of_week day_of_year delta deriv exp floor histogram_quantile holt_winters hour
idelta increase irate label_join label_replace last_over_time ln log10 log2 max_over_time min_over_time minute
month predict_linear present_over_time quantile_over_time rate resets round scalar sgn sort sort_desc sqrt
stddev_over_time stdvar_over_time sum_over_time time timestamp vector year""".split())
AGGREGATORS = set("sum min max avg group stddev stdvar count count_values bottomk topk quantile".split())
KEYWORDS = set("by without on ignoring group_left group_right bool and or unless offset".split())

# ---- the expressions
exprs = []          # (where, expr)
def walk_panels(panels, where):
    for p in panels:
        title = "%s panel '%s'" % (where, p.get("title"))
        if p.get("type") != "row":
            ds = p.get("datasource") or {}
            if ds.get("uid") != "${DS_PROMETHEUS}":
                problems.append("%s: datasource %r, not ${DS_PROMETHEUS}" % (title, ds))
        for t in p.get("targets", []):
            if (t.get("datasource") or {}).get("uid") != "${DS_PROMETHEUS}":
                problems.append("%s target %s: datasource is not ${DS_PROMETHEUS}" % (title, t.get("refId")))
            if "expr" in t:
                exprs.append(("%s target %s" % (title, t.get("refId")), t["expr"]))
        walk_panels(p.get("panels", []), where)
walk_panels(dash.get("panels", []), "")
for a in dash.get("annotations", {}).get("list", []):
    if "expr" in a:
        if (a.get("datasource") or {}).get("uid") != "${DS_PROMETHEUS}":
            problems.append("annotation '%s': datasource is not ${DS_PROMETHEUS}" % a.get("name"))
        exprs.append(("annotation '%s'" % a.get("name"), a["expr"]))
variables = {v["name"]: v for v in dash.get("templating", {}).get("list", [])}
if variables.get("DS_PROMETHEUS", {}).get("type") != "datasource":
    problems.append("no datasource variable DS_PROMETHEUS")
for need in ("job", "run"):
    if need not in variables:
        problems.append("no '%s' variable" % need)
label_value_queries = []    # (where, expr, label)
for name, v in variables.items():
    if v.get("type") != "query":
        continue
    q = v.get("query")
    q = q.get("query") if isinstance(q, dict) else q
    if (v.get("datasource") or {}).get("uid") != "${DS_PROMETHEUS}":
        problems.append("variable '%s': datasource is not ${DS_PROMETHEUS}" % name)
    m = re.fullmatch(r"\s*label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*", q or "")
    if not m:
        problems.append("variable '%s': query %r is not label_values(EXPR, LABEL)" % (name, q))
        continue
    exprs.append(("variable '%s'" % name, m.group(1)))
    label_value_queries.append(("variable '%s'" % name, m.group(1), m.group(2)))

def substitute(e):
    e = e.replace("$__rate_interval", "5m").replace("$__interval", "1m").replace("$__range", "1h")
    return re.sub(r"\$\{?[A-Za-z_][A-Za-z0-9_]*(:[a-z]+)?\}?", ".*", e)

def metrics_of(e):
    """The metric names of an expression, checking its labels and functions on the way."""
    found = []
    e = re.sub(r'"(\\.|[^"\\])*"', '""', e)              # strings
    e = re.sub(r"\[[^\]]*\]", "", e)                      # range and subquery durations
    # selectors: NAME{matchers} or {matchers}
    for m in re.finditer(r"([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*\{([^}]*)\}", e):
        used = set(re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)", m.group(2)))
        metric = m.group(1)
        if metric and metric not in KEYWORDS | AGGREGATORS:
            have = labels.get(metric, set()) | ADDED
            for l in sorted(used - have):
                problems.append("label '%s' is not a label of %s in /metrics" % (l, metric))
        else:
            for l in sorted(used - all_labels):
                problems.append("label '%s' is on no metric in /metrics" % l)
    e = re.sub(r"\{[^}]*\}", " ", e)
    for m in re.finditer(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)", e):
        for l in re.findall(r"[a-zA-Z_][a-zA-Z0-9_]*", m.group(2)):
            if l not in all_labels:
                problems.append("'%s (%s)': label '%s' is on no metric in /metrics" % (m.group(1), m.group(2), l))
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    for m in re.finditer(r"(?<![0-9A-Za-z_:.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", e):
        word, call = m.group(1), m.group(2)
        if word in KEYWORDS or word in ("inf", "nan", "Inf", "NaN"):
            continue
        if call or word in AGGREGATORS:
            if word not in FUNCTIONS | AGGREGATORS:
                problems.append("'%s' is not a PromQL function" % word)
            continue
        found.append(word)
    return found

used_metrics = set()
rules = []
for i, (where, e) in enumerate(exprs):
    s = substitute(e)
    for metric in metrics_of(s):
        used_metrics.add(metric)
        if metric not in labels:
            problems.append("%s: metric %s is not in trainmon's /metrics" % (where, metric))
    rules.append("      - record: grafana:expr_%d\n        expr: %s\n" % (i, json.dumps(s)))
for where, e, l in label_value_queries:
    for metric in metrics_of(substitute(e)):
        if metric in labels and l not in labels[metric] | ADDED:
            problems.append("%s: label '%s' is not a label of %s" % (where, l, metric))
with open(outdir + "/rules.yml", "w") as f:
    f.write("groups:\n  - name: grafana\n    rules:\n" + "".join(rules))
# what the issue asks the dashboard to show
for metric in ("trainmon_run_mfu_ratio", "trainmon_run_tokens_per_second", "trainmon_run_step_time_seconds",
               "trainmon_run_eta_seconds", "trainmon_run_alert_active", "trainmon_run_events_total"):
    if metric not in used_metrics:
        problems.append("the dashboard does not show %s" % metric)
for p in problems:
    print("grafana: " + p)
print("grafana: %d expressions, %d metrics, %d problems" % (len(exprs), len(used_metrics), len(problems)))
sys.exit(1 if problems else 0)

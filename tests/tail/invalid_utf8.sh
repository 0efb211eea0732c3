#!/usr/bin/env bash
# invalid_utf8: lines with ill-formed UTF-8 (a 5-byte form, above U+10FFFF, an overlong, a
# surrogate, a sequence cut by the newline, stray bytes) are followed like any other line, and the
# JSON lines stay valid UTF-8: every record of --jsonl decodes strictly and parses, the ill-formed
# subparts read back as U+FFFD and the valid characters unchanged. One hostile line is an error a
# rule matches, so an event record carries the bytes too.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 is not installed"
start_daemon
printf 'plain line before\n' >>"$D/train.log"
printf 'bytes \xf8\x88\x80\x80\x80 above \xf4\x90\x80\x80 overlong \xe0\x80\xaf surrogate \xed\xa0\x80 ok \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 cut \xe2\x82\n' >>"$D/train.log"
printf 'RuntimeError: CUDA error: an illegal memory access \xff\xfe was encountered \xc3\n' >>"$D/train.log"
printf 'plain line after\n' >>"$D/train.log"
expect "plain line before" "plain line after"
wait_for "the line after the hostile ones" 10 has_text "plain line after"
stop_daemon
python3 - "$JSONL" <<'PY' || fail "the JSON lines are not strict UTF-8 JSON, or the replacements differ"
import json, sys
R = "\ufffd"
want = {
    "bytes " + R * 5 + " above " + R * 4 + " overlong " + R * 3 + " surrogate " + R * 3
    + " ok \u00e9\u20ac\U0001F600 cut " + R,
    "RuntimeError: CUDA error: an illegal memory access " + R * 2 + " was encountered " + R,
}
texts, events = set(), 0
for n, raw in enumerate(open(sys.argv[1], "rb"), 1):
    rec = json.loads(raw.decode("utf-8"))          # strict: raises on any ill-formed byte
    if rec.get("type") == "line":
        texts.add(rec["text"])
    if rec.get("type") == "event" and R in json.dumps(rec, ensure_ascii=False):
        events += 1
missing = want - texts
if missing:
    sys.exit("line records missing or different: %r" % sorted(missing))
if events < 1:
    sys.exit("no event record carries the replaced bytes")
PY
log "every JSON line decodes strictly; ill-formed subparts read back as U+FFFD"
pass "invalid UTF-8 in followed lines: JSON lines stay valid UTF-8"

#!/usr/bin/env bash
# top_screenshot.sh: makes docs/top.png (and docs/top.txt), the picture of `trainmon top` in the
# README: a few Megatron runs built from sample_logs/ (one slow enough for low_mfu, one with an
# NCCL timeout, one finished) beside other frameworks' sample logs, shown in a detached 80x24 tmux
# window; the screen is read with `capture-pane -e` (text with its colour and attribute escapes),
# turned into an HTML page (SGR to CSS, the cell grid kept) and rendered by headless Chromium.
# Needs tmux, python3 and chromium (Debian's packages). Usage: scripts/top_screenshot.sh BUILD_DIR
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: top_screenshot.sh BUILD_DIR}
trainmon=$(cd "$build" && pwd)/trainmon
for tool in tmux python3 chromium; do
	command -v "$tool" >/dev/null || { echo "top_screenshot.sh: $tool is not installed" >&2; exit 1; }
done
tmp=$(mktemp -d)
sock=$tmp/sock
trap 'tmux -S "$sock" kill-server 2>/dev/null; rm -rf "$tmp"' EXIT
skip() { echo "top_screenshot.sh: $*" >&2; exit 1; }
. "$src/tests/alerts/megatron.sh"           # header, iter N MS, NCCL_TIMEOUT

# jitter FROM TO MS: iteration lines every 10 steps, MS give or take a few percent
jitter() {
	local n
	for ((n = $1; n <= $2; n += 10)); do iter "$n" $(($3 + (n * 7919 % 97) - 48)); done
}
logs=$tmp/runs
mkdir "$logs"
{ header; jitter 10 1800 1050; } >"$logs/gpt3-1.3b-4417021.out"
{ header; jitter 10 900 1500; } >"$logs/gpt3-1.3b-ablation-4417102.out"
{ header; jitter 10 640 1060; printf '%s\n' "$NCCL_TIMEOUT"; } >"$logs/gpt3-1.3b-lr3e-4-4417133.out"
cp "$src/sample_logs/deepspeed.out" "$src/sample_logs/nanogpt.out" "$src/sample_logs/torchtitan.out" \
	"$src/sample_logs/hf_trainer.out" "$logs/"

tmux -S "$sock" -f /dev/null new-session -d -x 80 -y 24 -c "$tmp" -- env TERM=screen LC_ALL=C.UTF-8 \
	TRAINMON_PATTERNS="$src/patterns" "$trainmon" top --gpu a100 --min-mfu 0.4 --sort alerts runs
# capture REGEX NAME: once a screen line matches REGEX (10 s at most), the screen to $tmp/NAME.ansi
capture() {
	for _ in $(seq 100); do
		tmux -S "$sock" capture-pane -p | grep -q "$1" && break
		sleep 0.1
	done
	sleep 0.3
	tmux -S "$sock" capture-pane -e -p >"$tmp/$2.ansi"
}
capture ablation top
tmux -S "$sock" capture-pane -p >"$src/docs/top.txt"
tmux -S "$sock" send-keys Down Enter                    # the run with the NCCL timeout
capture '^Events' top-detail

# render NAME: $tmp/NAME.ansi to docs/NAME.png
render() {
python3 - "$tmp/$1.ansi" "$tmp/$1.html" <<'PY'
import html, re, sys
palette = ["#1e1e1e", "#e0534e", "#5fb85f", "#e5c07b", "#3b78d8", "#c678dd", "#56b6c2", "#dcdcdc"]
fg0, bg0 = "#dcdcdc", "#1e1e1e"
out = []
st = dict(fg=None, bg=None, bold=False, dim=False, ul=False, rev=False)   # carries across lines
for line in open(sys.argv[1], encoding="utf-8").read().split("\n")[:24]:
    cells = []
    for part in re.split(r"(\x1b\[[0-9;]*m)", line):
        m = re.fullmatch(r"\x1b\[([0-9;]*)m", part)
        if m:
            codes = [int(c) for c in m.group(1).split(";") if c] or [0]
            for c in codes:
                if c == 0: st = dict(fg=None, bg=None, bold=False, dim=False, ul=False, rev=False)
                elif c == 1: st["bold"] = True
                elif c == 2: st["dim"] = True
                elif c == 4: st["ul"] = True
                elif c == 7: st["rev"] = True
                elif 30 <= c <= 37: st["fg"] = palette[c - 30]
                elif c == 39: st["fg"] = None
                elif 40 <= c <= 47: st["bg"] = palette[c - 40]
                elif c == 49: st["bg"] = None
            continue
        if not part:
            continue
        fg, bg = st["fg"] or fg0, st["bg"] or bg0
        if st["rev"]:
            fg, bg = bg, fg
        css = f"color:{fg};background:{bg}"
        if st["bold"]: css += ";font-weight:bold"
        if st["dim"]: css += ";opacity:0.6"
        if st["ul"]: css += ";text-decoration:underline"
        cells.append(f'<span style="{css}">{html.escape(part)}</span>')
    out.append("".join(cells))
page = f"""<!doctype html><meta charset="utf-8"><style>
body {{ margin:0; background:{bg0}; }}
pre {{ margin:12px; font:15px/1.25 "DejaVu Sans Mono", monospace; color:{fg0}; }}
</style><pre>{chr(10).join(out)}</pre>"""
open(sys.argv[2], "w", encoding="utf-8").write(page)
PY
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=750,480 \
	--screenshot="$src/docs/$1.png" "file://$tmp/$1.html" >/dev/null 2>&1
}
render top
render top-detail
ls -l "$src/docs/top.png" "$src/docs/top-detail.png" "$src/docs/top.txt"

#!/usr/bin/env bash
# once.sh: the plain frames for scripts. `--once` prints the table a terminal of $COLUMNS would
# show (exact text at 80 columns; columns dropped at 40, all kept at 120), `--sort` and
# `--reverse` order it, files named are followed alone, `--batch N` prints N frames while a
# writer appends (the step advances between them), and the usage errors: no directory, not a terminal without --once/--batch,
# --once with --batch, --jsonl - and an unknown sort column are exit 2; a missing directory 3.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
mkdir "$tmp/logs"
{ header; steps 10 50 1000; } >"$tmp/logs/fast.out"
{ header; steps 10 30 2000; printf '%s\n' "$NCCL_TIMEOUT"; } >"$tmp/logs/slow.out"
top() { "$TRAINMON" top --gpu a100 "$@"; }

COLUMNS=80 top --once "$tmp/logs" >"$tmp/out"
cat >"$tmp/want" <<'TXT'
trainmon top: 2 runs from 2 files in 1 directory, sorted by run
RUN▼          FRAMEWORK    STEP  STEP T   TOK/S   MFU    ETA ALERTS   STEP TIMES
fast          megatron       50  1.000s   1.05M 47.6% 32m30s -        ▄▄▄▄▄
slow          megatron       30  2.000s  524.3k 23.8%      - failure  ▄▄▄
TXT
diff -u "$tmp/want" "$tmp/out" || fail "--once at 80 columns"

COLUMNS=40 LC_ALL=C top --once --sort mfu "$tmp/logs" >"$tmp/out"
sed -n 2p "$tmp/out" | grep -qxE 'RUN +STEP +STEP T +MFUv' || fail "40 columns: header $(sed -n 2p "$tmp/out")"
[ "$(awk 'NR > 2 { print $1 }' "$tmp/out" | tr '\n' ' ')" = "slow fast " ] || fail "--sort mfu: lowest MFU first"
COLUMNS=120 LC_ALL=C top --once --sort step-time --reverse "$tmp/logs" >"$tmp/out"
sed -n 2p "$tmp/out" | grep -qE '^RUN +FRAMEWORK +STEP +STEP T\^ +TOK/S +MFU +ETA +ALERTS +STEP TIMES$' ||
	fail "120 columns: header $(sed -n 2p "$tmp/out")"
[ "$(awk 'NR > 2 { print $1 }' "$tmp/out" | tr '\n' ' ')" = "fast slow " ] || fail "--sort step-time --reverse: fastest first"
grep -qE '^fast .* ~~~~~$' "$tmp/out" || fail "ASCII sparkline under LC_ALL=C: $(cat "$tmp/out")"

# files named: only they are followed, whatever the globs (train.txt matches none)
cp "$tmp/logs/fast.out" "$tmp/logs/train.txt"
top --once "$tmp/logs/slow.out" "$tmp/logs/train.txt" >"$tmp/out"
[ "$(awk 'NR > 2 { print $1 }' "$tmp/out" | tr '\n' ' ')" = "slow train " ] || fail "named files: $(cat "$tmp/out")"

# --batch: frames one --interval apart while lines arrive (a named file, followed by inotify)
( for n in $(seq 60 10 400); do iter "$n" 1000 >>"$tmp/logs/fast.out"; sleep 0.05; done ) &
helpers+=($!)
COLUMNS=80 top --batch 3 --interval 0.5 "$tmp/logs/fast.out" >"$tmp/out"
[ "$(grep -c '^trainmon top: ' "$tmp/out")" = 3 ] || fail "--batch 3: $(grep -c '^trainmon top: ' "$tmp/out") frames"
grep -q '^slow ' "$tmp/out" && fail "--batch on one named file shows another run"
first=$(awk '$1 == "fast" { print $3; exit }' "$tmp/out")
last=$(awk '$1 == "fast" { s = $3 } END { print s }' "$tmp/out")
[ "$last" -gt "$first" ] || fail "--batch: the step did not advance between frames ($first, $last)"

expect_exit() {   # STATUS WHAT ARGS...: top ARGS exits with STATUS
	local want=$1 what=$2 rc=0
	shift 2
	top "$@" </dev/null >/dev/null 2>"$tmp/err" || rc=$?
	[ "$rc" = "$want" ] || fail "$what: exit $rc, want $want ($(cat "$tmp/err"))"
	[ -s "$tmp/err" ] || fail "$what: no message"
}
expect_exit 2 "no directory" --once
expect_exit 2 "not a terminal" "$tmp/logs"
expect_exit 2 "--once and --batch" --once --batch 2 "$tmp/logs"
expect_exit 2 "--jsonl -" --once --jsonl - "$tmp/logs"
expect_exit 2 "an unknown sort column" --once --sort speed "$tmp/logs"
expect_exit 3 "a missing directory" --once "$tmp/none"
"$TRAINMON" help top >"$tmp/help"
grep -q -- '--from URL' "$tmp/help" || fail "trainmon help top does not list --from"
echo "PASS: --once frames at 80/40/120 columns, sorting, --batch, usage errors"

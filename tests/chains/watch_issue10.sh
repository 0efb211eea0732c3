#!/usr/bin/env bash
# watch_issue10.sh: issue #10's "Done when" for `trainmon watch`: the two-job Megatron chain of
# sample_logs/chains replayed into a watched directory, a chunk at a time, gives on /metrics the
# figures `analyze` gives for the same files (every bucket of the ledger within 1 s, one
# interruption, category network, tokens counted once), with the chain label on both runs; no
# chain counter ever goes down between scrapes (productive time that job 102's resume turns into
# wasted_progress holds still); and with a restart (--state) between the two jobs, and another
# after them, nothing is counted twice. Then the NaN chain (three jobs dying at step 450) grouped
# by --chain-by, one job at a time: recurrence 2, then 3, each with its note. Skips (77) without
# curl.
# Usage: TRAINMON=... TRAINMON_PATTERNS=... watch_issue10.sh
set -euo pipefail
. "$(dirname "$0")/../http/lib.sh"
logs=$(cd "$(dirname "$0")/../../sample_logs/chains" && pwd)
chain=slurm-101

# analyze's ledger: the reference
ref=$("$TRAINMON" analyze "$logs/slurm-101.out" "$logs/slurm-102.out") || fail "analyze exit $?"
ledger() { printf '%s\n' "$ref" | awk -v b="$1" '$1 == b && $2 ~ /^[0-9.]+$/ { print $2; exit } $1 == "ledger" && $2 == b { print $3; exit }'; }

scrape() { curl -s -m 5 "$base/metrics" >"$tmp/scrape" || fail "scrape failed"; }
# val NAME [LABELS]: the sample of NAME{chain="slurm-101"[,LABELS]} in the last scrape
val() {
	local want="$1{chain=\"$chain\"${2:+,$2}}"
	awk -v w="$want" '$1 == w { print $2 }' "$tmp/scrape"
}
# every chain counter at least what the previous scrape said
declare -A prev=()
monotonic() {
	local k v
	while read -r k v; do
		if [ -n "${prev[$k]+x}" ] && awk -v a="$v" -v b="${prev[$k]}" 'BEGIN { exit !(a < b) }'; then
			fail "$k went down: ${prev[$k]} -> $v"
		fi
		prev[$k]=$v
	done < <(grep -E '^trainmon_chain_[a-z_]+_total\{' "$tmp/scrape" || true)
}
# wait_for COND...: scrapes (checking monotonicity) until COND holds, 30 s at most
wait_for() {
	local deadline=$((SECONDS + 30))
	while :; do
		scrape
		monotonic
		"$@" && return 0
		[ $SECONDS -lt $deadline ] || fail "timed out waiting for: $*"
		sleep 0.2
	done
}
step_is() { [ "$(awk -v r="run=\"$1\"" 'index($0, "trainmon_run_step{") == 1 && index($0, r) { print $2 }' "$tmp/scrape")" = "$2" ]; }
segments_are() { [ "$(val trainmon_chain_segments)" = "$1" ]; }
ready() { segments_are "$1" && step_is "$2" "$3" && [ -n "$(val trainmon_chain_tokens_total)" ]; }
# replay FILE DIR: FILE appended to DIR/its name in four chunks, scraping between them
replay() {
	local n out=$2/$(basename "$1") lines
	lines=$(wc -l <"$1")
	: >"$out"
	for n in 1 2 3 4; do
		sed -n "$(((n - 1) * lines / 4 + 1)),$((n * lines / 4))p" "$1" >>"$out"
		sleep 0.3
		scrape
		monotonic
	done
}
check() {   # name got want tolerance; with quiet set, only returns whether it holds
	if ! awk -v g="$2" -v w="$3" -v t="$4" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(g != "" && d <= t) }'; then
		[ -n "${quiet:-}" ] && return 1
		fail "$1 = '$2', want $3 +- $4"
	fi
	[ -n "${quiet:-}" ] || echo "ok   $1 = $2"
}
# the figures of the whole chain, against analyze's and the issue's
figures() {
	local b
	check productive "$(val trainmon_chain_productive_seconds_total)" "$(ledger productive)" 1 || return 1
	for b in startup checkpoint_load checkpoint_save evaluation wasted_progress recovery stall other; do
		check "$b" "$(val trainmon_chain_badput_seconds_total "bucket=\"$b\"")" "$(ledger "$b")" 1 || return 1
	done
	check wasted_progress "$(val trainmon_chain_badput_seconds_total 'bucket="wasted_progress"')" 230 1 || return 1
	check checkpoint_save "$(val trainmon_chain_badput_seconds_total 'bucket="checkpoint_save"')" 30 0.05 || return 1
	check checkpoint_load "$(val trainmon_chain_badput_seconds_total 'bucket="checkpoint_load"')" 60 0.05 || return 1
	check recovery "$(val trainmon_chain_badput_seconds_total 'bucket="recovery"')" 2700 1 || return 1
	check "interruptions network" "$(val trainmon_chain_interruptions_total 'category="network"')" 1 0 || return 1
	check "interruptions, all categories" "$(awk -v c="{chain=\"$chain\"," 'index($0, "trainmon_chain_interruptions_total" c) == 1 { s += $2 } END { print s }' "$tmp/scrape")" 1 0 || return 1
	check tokens "$(val trainmon_chain_tokens_total)" $((1990 * 512 * 2048)) 0 || return 1
	local runs
	runs=$(grep -c "^trainmon_run_step{.*,chain=\"$chain\"" "$tmp/scrape" || true)
	check "runs labelled chain=\"$chain\"" "$runs" 2 0 || return 1
}

# settled: the figures hold (the lines of the last chunk may still be on their way)
settled() { quiet=1 figures; }

echo "# one daemon, the jobs written while it runs"
mkdir "$tmp/d1"
start_trainmon --quiet --state "$tmp/s1" "$tmp/d1"
replay "$logs/slurm-101.out" "$tmp/d1"
wait_for ready 1 slurm-101 1230
check "101 alone: productive so far (steps 1..1230)" "$(val trainmon_chain_productive_seconds_total)" 1230 1
replay "$logs/slurm-102.out" "$tmp/d1"
wait_for ready 2 slurm-102 1990
wait_for settled
figures
stop_trainmon

echo "# a restart between the jobs, and one after them (counters compared across them)"
prev=()
mkdir "$tmp/d2"
start_trainmon --quiet --state "$tmp/s2" "$tmp/d2"
replay "$logs/slurm-101.out" "$tmp/d2"
wait_for ready 1 slurm-101 1230
stop_trainmon
grep -q "^chain " "$tmp/s2" || fail "no chain record in the state file"
grep -q "^phase " "$tmp/s2" || fail "no phase record in the state file"
cp "$logs/slurm-102.out" "$tmp/d2/"
start_trainmon --quiet --state "$tmp/s2" "$tmp/d2"
wait_for ready 2 slurm-102 1990
wait_for settled
figures
stop_trainmon
start_trainmon --quiet --state "$tmp/s2" "$tmp/d2"
wait_for ready 2 slurm-102 1990
wait_for settled
figures
stop_trainmon

echo "# recurrence: three jobs of one chain (--chain-by) die at step 450 on a NaN loss"
prev=()
chain=nan
mkdir "$tmp/d3"
start_trainmon --chain-by 'nan' "$tmp/d3"
recurrence_is() { [ "$(val trainmon_chain_interruption_recurrence)" = "$1" ]; }
# the note on stderr (its queue is written on the loop's next pass)
noted() { grep -q "chain nan: nan_loss at step 450 again in .*nan-20$1.out: $1 interruptions with the same cause" "$tmp/err"; }
for n in 1 2 3; do
	replay "$logs/nan-20$n.out" "$tmp/d3"
	wait_for recurrence_is "$n"
	[ "$n" = 1 ] || wait_for noted "$n"
done
check "recurrence" "$(val trainmon_chain_interruption_recurrence)" 3 0
check "interruptions software_bug" "$(val trainmon_chain_interruptions_total 'category="software_bug"')" 3 0
check "runs labelled chain=\"nan\"" "$(grep -c '^trainmon_run_step{.*,chain="nan"' "$tmp/scrape" || true)" 3 0
stop_trainmon
echo PASS

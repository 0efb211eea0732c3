# lib.sh: shared helpers for the black-box tailing and alert tests (tests/tail, tests/alerts).
#
# Each test is a bash script run as `SCRIPT BACKEND` (inotify or poll) with TRAINMON set to the
# binary. It starts the real daemon on a scratch directory (mktemp -d) with --jsonl --trace-lines,
# changes files the way a trainer or logrotate would, and waits for the daemon's output by polling
# the JSON lines every 50 ms up to a deadline: a sleep is never the assertion. The multiset check
# compares the sorted lines the test wrote with the sorted "text" of the line records read back, so
# a lost line and a line read twice both fail. Exit 0 pass, 1 fail, 77 skip (CTest
# SKIP_RETURN_CODE). TM_TIMEOUT_SCALE stretches every deadline (sanitizer builds); TM_KEEP=1 keeps
# the scratch directory. A file named ready.log in the watched directory is the start sentinel: its
# lines are never part of the multiset.
set -u
export LC_ALL=C TZ=UTC

: "${TRAINMON:?set TRAINMON to the trainmon binary}"
command -v jq >/dev/null || { echo "SKIP: jq is not installed (scripts/deps.sh --test)"; exit 77; }

TEST_NAME=$(basename "$0" .sh)
BACKEND=${1:-inotify}
case $BACKEND in
inotify) BACKEND_ARGS=() ;;
poll) BACKEND_ARGS=(--poll 0.2) ;;
*) echo "usage: $0 inotify|poll" >&2; exit 2 ;;
esac
TM_SCALE=${TM_TIMEOUT_SCALE:-1}

SCR=$(mktemp -d "${TMPDIR:-/tmp}/tm-$TEST_NAME.XXXXXX")
D=$SCR/d                    # the watched directory
JSONL=$SCR/out.jsonl        # every run of the daemon appends here
EXPECTED=$SCR/expected      # every line the test wrote to a followed file, once each
STATE=$SCR/state
mkdir -p "$D"
: >"$EXPECTED"
TM_PID=""
TM_RUN=0                    # daemon starts so far; stderr of run N is $SCR/err.N
DAEMON_ARGS=()              # extra arguments for every start (set by the test)
CLEANUP_HOOKS=()
TM_FAILED=0

cleanup() {
	local h
	if [ -n "$TM_PID" ] && kill -0 "$TM_PID" 2>/dev/null; then
		kill -CONT "$TM_PID" 2>/dev/null
		kill -KILL "$TM_PID" 2>/dev/null
		wait "$TM_PID" 2>/dev/null
	fi
	for h in "${CLEANUP_HOOKS[@]+"${CLEANUP_HOOKS[@]}"}"; do eval "$h"; done
	if [ "${TM_KEEP:-0}" = 1 ] || [ "$TM_FAILED" = 1 ]; then
		echo "$TEST_NAME[$BACKEND]: scratch directory kept: $SCR"
	else
		rm -rf "$SCR"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

log() { echo "$TEST_NAME[$BACKEND]: $*"; }

fail() {
	TM_FAILED=1
	echo "FAIL $TEST_NAME[$BACKEND]: $*"
	local f
	for f in "$SCR"/err.*; do
		[ -s "$f" ] || continue
		echo "--- daemon stderr ($(basename "$f")):"
		tail -n 20 "$f"
	done
	if [ -s "$JSONL" ]; then
		echo "--- last JSON lines:"
		tail -n 10 "$JSONL"
	fi
	if declare -F on_fail >/dev/null; then
		echo "--- the test's own state:"
		on_fail
	fi
	exit 1
}

skip() { echo "SKIP $TEST_NAME[$BACKEND]: $*"; exit 77; }

pass() { echo "PASS $TEST_NAME[$BACKEND]: $*"; exit 0; }

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ---- writing ----

# gen PREFIX FROM TO: distinct, realistic-length lines "loss=... PREFIX 000042". Each line ends
# in its own name, so the last bytes of two different contents differ (what the marker compares).
gen() {
	local i
	for ((i = $2; i <= $3; i++)); do
		printf 'loss=%d.%03d lr=1.0e-4 some payload to make the line longer %s %06d\n' \
			$((i % 7)) $((i * 37 % 1000)) "$1" "$i"
	done
}

# gen_megatron TIME FROM TO: Megatron iteration lines for steps FROM..TO logged at TIME
# (HH:MM:SS). Every field has a fixed width, so every line has the same length and, as in real
# Megatron logs, the same last 33 bytes: a rewritten log has a line ending at any old offset that
# is a multiple of the line length, with the same bytes before it.
gen_megatron() {
	local i
	for ((i = $2; i <= $3; i++)); do
		printf ' [2025-03-11 %s] iteration %8d/  200000 | consumed samples: %12d | elapsed time per iteration (ms): %6d.%d | learning rate: 1.500000E-05 | global batch size:   512 | lm loss: %d.%06dE+00 | loss scale: 1.0 | grad norm: 1.190 | number of skipped iterations:   0 | number of nan iterations:   0 |\n' \
			"$1" "$i" $((i * 512)) $((1000 + i % 97)) $((i % 10)) $((1 + i % 9)) $((i * 7919 % 1000000))
	done
}

# emit_megatron FILE TIME FROM TO: gen_megatron's lines into FILE in one write, recorded as expected.
emit_megatron() {
	local text
	text=$(gen_megatron "$2" "$3" "$4")
	printf '%s\n' "$text" >>"$1"
	printf '%s\n' "$text" >>"$EXPECTED"
}

# emit FILE LINE...: appends the lines to FILE in one write and records them as expected.
emit() {
	local f=$1
	shift
	printf '%s\n' "$@" >>"$f"
	printf '%s\n' "$@" >>"$EXPECTED"
}

# emit_gen FILE PREFIX FROM TO: gen's lines into FILE in one write, recorded as expected.
emit_gen() {
	local text
	text=$(gen "$2" "$3" "$4")
	printf '%s\n' "$text" >>"$1"
	printf '%s\n' "$text" >>"$EXPECTED"
}

# emit_fd FD LINE...: the same through an already open descriptor (a writer that keeps its fd).
emit_fd() {
	local fd=$1
	shift
	printf '%s\n' "$@" >&"$fd"
	printf '%s\n' "$@" >>"$EXPECTED"
}

# expect LINE...: lines that will be read once more than the writes above say (documented cases).
expect() { printf '%s\n' "$@" >>"$EXPECTED"; }

nexpected() { wc -l <"$EXPECTED" | tr -d ' '; }

# ---- reading the daemon's output ----

# The text of every line record, ready.log excluded. A JSON line still being written is skipped.
texts() {
	[ -f "$JSONL" ] || return 0
	jq -R -r 'fromjson? | select(.type == "line" and (.file | endswith("/ready.log") | not)) | .text' "$JSONL"
}
nlines() { texts | wc -l | tr -d ' '; }
has_text() { texts | grep -qxF -- "$1"; }
count_text() { texts | grep -cxF -- "$1"; }
# JSON objects of a type (alert, event, summary), compact, one a line.
records() {
	[ -f "$JSONL" ] || return 0
	jq -R -c --arg t "$1" 'fromjson? | select(.type == $t)' "$JSONL"
}
# count_alerts NAME STATE: alert records with that alert name and state.
count_alerts() {
	records alert | jq -c --arg a "$1" --arg s "$2" 'select(.alert == $a and .state == $s)' | wc -l | tr -d ' '
}
stderr_has() { cat "$SCR"/err.* 2>/dev/null | grep -qF -- "$1"; }

# not_open NAME: the daemon holds no descriptor on a file whose path ends in NAME.
not_open() {
	local f
	for f in /proc/"$TM_PID"/fd/*; do
		case $(readlink "$f" 2>/dev/null) in *"$1" | *"$1 (deleted)") return 1 ;; esac
	done
	return 0
}

# Conditions for wait_for.
lines_at_least() { [ "$(nlines)" -ge "$1" ]; }
summaries_at_least() { [ "$(records summary | wc -l)" -ge "$1" ]; }
all_expected() { [ "$(nlines)" -ge "$(nexpected)" ]; }

# wait_for DESCRIPTION SECONDS COMMAND...: polls COMMAND every 50 ms until it succeeds; fails the
# test at the deadline (scaled by TM_TIMEOUT_SCALE) or as soon as the daemon has died.
wait_for() {
	local desc=$1 secs=$2
	shift 2
	local deadline=$(($(now_ms) + secs * 1000 * TM_SCALE))
	while ! "$@"; do
		if [ -n "$TM_PID" ] && ! alive; then
			fail "the daemon exited while waiting for: $desc"
		fi
		if [ "$(now_ms)" -ge "$deadline" ]; then
			fail "timed out after $((secs * TM_SCALE)) s waiting for: $desc (have $(nlines) of $(nexpected) lines)"
		fi
		sleep 0.05
	done
}

# ---- the daemon ----

# alive: the daemon runs (an exited child stays a zombie, which kill -0 still reaches, until wait)
alive() {
	local st
	st=$(sed 's/.*) //' "/proc/$TM_PID/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "${st:0:1}" != Z ]
}

# start_daemon [ARGS...]: starts `trainmon watch` on $D (plus DAEMON_ARGS, ARGS, the backend) and
# returns once it is following: its initial scan has read a fresh line of ready.log, and the scan
# runs after every watch is in place.
start_daemon() {
	[ -z "$TM_PID" ] || fail "start_daemon: already running"
	TM_RUN=$((TM_RUN + 1))
	local mark="ready $TM_RUN $$"
	printf '%s\n' "$mark" >>"$D/ready.log"
	"$TRAINMON" watch --quiet --trace-lines --jsonl "$JSONL" "${BACKEND_ARGS[@]+"${BACKEND_ARGS[@]}"}" \
		"${DAEMON_ARGS[@]+"${DAEMON_ARGS[@]}"}" "$@" "$D" 2>"$SCR/err.$TM_RUN" &
	TM_PID=$!
	wait_for "the daemon to start (sentinel line read)" 10 ready_seen "$mark"
}
ready_seen() {
	[ -f "$JSONL" ] && jq -R -r --arg m "$1" 'fromjson? | select(.type == "line" and .text == $m) | .text' "$JSONL" |
		grep -q .
}

# stop_daemon: SIGTERM (the daemon reads what is left, saves its state, frees everything), waits
# for it with a deadline and fails unless it exits 0 (a sanitizer report makes it non-zero).
stop_daemon() {
	[ -n "$TM_PID" ] || return 0
	kill -TERM "$TM_PID"
	local deadline=$(($(now_ms) + 10000 * TM_SCALE))
	while alive; do
		if [ "$(now_ms)" -ge "$deadline" ]; then
			fail "the daemon did not exit within $((10 * TM_SCALE)) s of SIGTERM"
		fi
		sleep 0.05
	done
	local rc=0
	wait "$TM_PID" || rc=$?
	TM_PID=""
	[ "$rc" = 0 ] || fail "the daemon exited with status $rc after SIGTERM"
}

# check_multiset: every expected line was read exactly once, and nothing else was read.
check_multiset() {
	local want=$SCR/want.sorted got=$SCR/got.sorted
	sort "$EXPECTED" >"$want"
	texts | sort >"$got"
	if ! cmp -s "$want" "$got"; then
		local missing dup
		missing=$(comm -23 "$want" "$got" | wc -l)
		dup=$(comm -13 "$want" "$got" | wc -l)
		echo "--- lines missing (<) or extra/duplicated (>), first 20:"
		diff "$want" "$got" | grep '^[<>]' | head -n 20
		fail "multiset mismatch: $(wc -l <"$want") lines written, $(wc -l <"$got") read;" \
			"$missing missing, $dup extra or duplicated"
	fi
	log "multiset ok: the $(wc -l <"$want" | tr -d ' ') line records read are exactly the lines expected (none lost, none extra)"
}

# check_line_numbers FILE...: each physical line of each FILE was read exactly once, judged by the
# line numbers of the records (for logs whose records lose launcher prefixes such as "12: ").
check_line_numbers() {
	local f got want
	for f in "$@"; do
		want=$(seq 1 "$(wc -l <"$f")")
		got=$(jq -R -r --arg f "$f" 'fromjson? | select(.type == "line" and .file == $f) | .line' "$JSONL" | sort -n)
		[ "$got" = "$want" ] || fail "$(basename "$f"): line numbers read are not exactly 1..$(wc -l <"$f") once each" \
			"($(printf '%s\n' "$got" | uniq -d | wc -l) repeated, $(comm -23 <(echo "$want" | sort) <(echo "$got" | sort) | wc -l) missing)"
	done
	log "every line of $* read exactly once"
}

# wait_all_then_check: waits until as many lines as were written have been read, stops the daemon
# (its final pass would show any late duplicate) and checks the multiset.
wait_all_then_check() {
	wait_for "all $(nexpected) lines read" "${1:-10}" all_expected
	stop_daemon
	check_multiset
}

# lib.sh: helpers for the `trainmon top` tests (tests/top): a scratch directory, a private tmux
# server whose one 80x24 window runs an interactive shell with a known prompt, the screen read
# with capture-pane and polled with deadlines (never a fixed sleep as the assertion), and
# Megatron iteration lines built from the sample log (tests/alerts/megatron.sh).
# Sourced after `set -euo pipefail`; the tmux server and every helper process die at exit.
# TM_TIMEOUT_SCALE stretches every deadline (sanitizer builds).
: "${TRAINMON:?set TRAINMON to the binary}"
command -v tmux >/dev/null || { echo "SKIP: tmux not installed (scripts/deps.sh --test installs it)"; exit 77; }
export LC_ALL=C.UTF-8 TZ=UTC
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tm-top.XXXXXX")
sock=$tmp/tmux.sock
helpers=()   # pids killed at exit (writers, a daemon)
scale=${TM_TIMEOUT_SCALE:-1}
cleanup() {
	local rc=$? h
	set +e
	for h in "${helpers[@]+"${helpers[@]}"}"; do kill "$h" 2>/dev/null; wait "$h" 2>/dev/null; done
	tmux -S "$sock" kill-server 2>/dev/null
	# the view may still be exiting (its last state write) as the server goes: retry the removal
	for _ in 1 2 3 4 5; do
		[ -z "${TM_KEEP:-}" ] && [ -d "$tmp" ] || break
		rm -rf "$tmp" 2>/dev/null || sleep 0.2
	done
	exit "$rc"
}
trap cleanup EXIT
skip() { echo "SKIP: $*"; exit 77; }
fail() {
	echo "FAIL: $*" >&2
	echo "--- the screen:" >&2
	screen >&2 || true
	exit 1
}
# shellcheck source=../alerts/megatron.sh
. "$here/../alerts/megatron.sh"     # header, iter N MS, steps FROM TO MS, NCCL_TIMEOUT

tm() { tmux -S "$sock" "$@"; }

# start_shell [VAR=VALUE...]: the 80x24 window, running bash with the prompt "PROMPT$ " and a
# clean environment (plus the given variables); waits for the prompt
start_shell() {
	tm -f /dev/null new-session -d -x 80 -y 24 -- env -i PATH="$PATH" HOME="$tmp" TERM=screen \
		LC_ALL="$LC_ALL" TZ=UTC TRAINMON_PATTERNS="${TRAINMON_PATTERNS:-}" "$@" \
		PS1='PROMPT$ ' bash --norc --noprofile -i
	tm set-option -g status off >/dev/null
	wait_for 'PROMPT\$' "the shell's prompt"
}

# type_line TEXT: types TEXT into the window and presses Enter
type_line() { tm send-keys -l -- "$1"; tm send-keys Enter; }
keys() { tm send-keys "$@"; }

screen() { tm capture-pane -p; }

# wait_for REGEX WHAT [SECONDS]: until a line of the screen matches REGEX (extended)
wait_for() {
	local deadline=$((SECONDS + ${3:-20} * scale))
	while [ $SECONDS -lt $deadline ]; do
		screen | grep -qE -- "$1" && return 0
		sleep 0.1
	done
	fail "$2: no line matching '$1' within $((${3:-20} * scale)) s"
}

# wait_gone REGEX WHAT [SECONDS]: until no line of the screen matches REGEX
wait_gone() {
	local deadline=$((SECONDS + ${3:-20} * scale))
	while [ $SECONDS -lt $deadline ]; do
		screen | grep -qE -- "$1" || return 0
		sleep 0.1
	done
	fail "$2: a line matching '$1' is still there after $((${3:-20} * scale)) s"
}

# row_line NAME: the screen line number (1-based) of the table row of run NAME, or nothing
row_line() { screen | awk -v n="$1" '$1 == n { print NR; exit }'; }
# field NAME K: the K-th blank-separated field of run NAME's row
field() { screen | awk -v n="$1" -v k="$2" '$1 == n { print $k; exit }'; }

# wait_step NAME MIN WHAT: until run NAME's STEP column (field 3) is at least MIN
wait_step() {
	local deadline=$((SECONDS + 20 * scale)) s
	while [ $SECONDS -lt $deadline ]; do
		s=$(field "$1" 3)
		[[ $s =~ ^[0-9]+$ ]] && [ "$s" -ge "$2" ] && return 0
		sleep 0.1
	done
	fail "$3: run $1's step did not reach $2 (now '${s:-}')"
}

# terminal_sane: the shell's terminal is back in cooked mode with echo (what top took over)
terminal_sane() {
	# the marker is computed, so the typed command line never matches what is waited for
	type_line "stty -a | tr ' ;' '\n\n' | grep -xE -e 'icanon|echo' | sort | tr '\n' ' '; echo MODES-\$((6*7))"
	wait_for 'MODES-42$' "stty's answer"
	screen | grep -qE '^echo icanon MODES-42$' || fail "the terminal was not restored (want echo and icanon)"
}

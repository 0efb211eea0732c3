#!/usr/bin/env bash
# colour.sh: colours where the terminal has them, none under NO_COLOR (https://no-color.org: set
# and not empty), and ASCII sparklines and sort markers when the locale is not UTF-8. The screen
# is read with `capture-pane -e`, which keeps the escape sequences of every cell's attributes: a
# colour is an SGR parameter 30-38, 40-48, 90-97 or 100-107 (39 and 49 are the defaults). The positive case (colours without NO_COLOR, and
# with NO_COLOR empty) shows that the check can fail.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
command -v perl >/dev/null || skip "perl not installed"
mkdir "$tmp/logs"
{ header; steps 10 50 1000; printf '%s\n' "$NCCL_TIMEOUT"; } >"$tmp/logs/fail.out"   # a red alert
{ header; steps 10 90 1200; } >"$tmp/logs/ok.out"

# colours N: the colour parameters in the SGR sequences of the screen
colours() {
	tm capture-pane -e -p | perl -ne 'while (/\e\[([0-9;:]*)m/g) { for (split /[;:]/, $1) {
		$c++ if length && $_ != 39 && $_ != 49 && (($_ >= 30 && $_ <= 48) || ($_ >= 90 && $_ <= 107)) } } END { print $c + 0 }'
}

# view ENV...: runs top with those variables until its rows are drawn
view() {
	type_line "env $* '$TRAINMON' top --gpu a100 '$tmp/logs'; echo TOP-EXIT=\$((0))"
	wait_for '^fail .*failure' "the failing run's row ($*)"
	wait_for '^ok +megatron +90 ' "the other run's row ($*)"
}
quit() {
	keys q
	wait_for '^TOP-EXIT=0$' "top's exit after q"
	tm send-keys C-l
	tm clear-history
	wait_gone 'TOP-EXIT' "a cleared screen"
}

start_shell
view NO_COLOR=1
n=$(colours)
[ "$n" = 0 ] || fail "NO_COLOR=1: $n colour parameters on the screen"
tm capture-pane -e -p | grep -q $'\e\\[[0-9;]*7[;m]' || fail "NO_COLOR=1: the header is not in reverse video"
quit

view NO_COLOR=
n=$(colours)
[ "$n" -gt 0 ] || fail "NO_COLOR empty: no colour on the screen (it should be on)"
quit

view TERM=screen
n=$(colours)
[ "$n" -gt 0 ] || fail "no colour on a terminal that has colours"
screen | grep -qE '^ok .*[▁▂▃▄▅▆▇█]{5}' || fail "no UTF-8 sparkline under a UTF-8 locale"
quit

view LC_ALL=C
screen | grep -qE '^ok .*[_.~=+*#-]{5}' || fail "no ASCII sparkline under LC_ALL=C"
screen | grep -qE '^RUN(v| )' || fail "the sort marker should be ASCII under LC_ALL=C"
if screen | LC_ALL=C grep -q -P '[\x80-\xff]'; then fail "bytes outside ASCII on the screen under LC_ALL=C"; fi
quit
terminal_sane
echo "PASS: NO_COLOR honoured, colours otherwise, ASCII under LC_ALL=C"

#!/usr/bin/env bash
# symlink_outside: --no-follow-outside skips a link whose target lies outside every watched
# directory (one note for it, however often it is seen) and still follows a link whose target is
# in the watched directory; without the option the outside link is followed (the default).
. "$(dirname "$0")/lib.sh"
mkdir "$SCR/real"
printf 'outside line %d\n' 1 2 3 >"$SCR/real/run.txt"
ln -s ../real/run.txt "$D/outside.log"
emit_gen "$D/data.txt" inside 1 20          # *.txt matches no glob: read only through the link
ln -s data.txt "$D/inside.log"
start_daemon --no-follow-outside
wait_for "the inside link's lines" 10 all_expected
printf 'outside line %d\n' 4 5 >>"$SCR/real/run.txt"
touch "$D/outside.log" "$D/data.txt"
emit_gen "$D/data.txt" inside 21 30
emit_gen "$D/marker.log" marker 1 1
wait_for "later lines of the inside link and a marker" 10 all_expected
stderr_has "outside.log: not followed: a symlink to" || fail "no note for the skipped link"
[ "$(cat "$SCR"/err.* | grep -c 'outside.log: not followed')" = 1 ] || fail "the skipped link was noted more than once"
stop_daemon
check_multiset
# the default: followed (everything is read again from 0: no state)
start_daemon
has_outside() { has_text "outside line 5"; }
wait_for "the outside link followed without the option" 10 has_outside
stop_daemon
pass "--no-follow-outside skips an outside link once-noted, follows an inside one; default follows both"

#!/usr/bin/env bash
# restart_kill9: a writer appends to train.log and rotates it (logrotate's numbered scheme, no
# generation ever deleted) while the daemon is killed with SIGKILL at random points and
# restarted, some rotations happening while it is down. At the end no line written is missing.
# Lines may be read twice: only those read after the last save before a kill (the state on disk
# is older than what the daemon had read); they are counted and printed, not failed. It found
# three ways to lose a generation (docs/design.md, "Guarantees and limits"); 80 runs clean since.
. "$(dirname "$0")/lib.sh"
DAEMON_ARGS=(--state "$STATE" --state-every 1 --rotate-wait 0.5)
ROUNDS=${KILL9_ROUNDS:-6}
n=0
rotate() {   # generations are train.log.1 .. train.log.N, N their count: each moves up one
	local i
	for ((i = $(find "$D" -maxdepth 1 -name 'train.log.[0-9]*' | wc -l); i >= 1; i--)); do
		mv "$D/train.log.$i" "$D/train.log.$((i + 1))"
	done
	mv "$D/train.log" "$D/train.log.1"
}
write_some() { # write_some COUNT: COUNT chunks of lines, a rotation now and then
	local k
	for ((k = 0; k < $1; k++)); do
		emit_gen "$D/train.log" w $((n + 1)) $((n + 20 + RANDOM % 40))
		n=$(($(nexpected)))
		[ $((RANDOM % 3)) != 0 ] || rotate
	done
}
emit_gen "$D/train.log" w 1 10
n=10
for ((r = 1; r <= ROUNDS; r++)); do
	start_daemon
	write_some $((1 + RANDOM % 4))
	sleep "0.$((RANDOM % 10))"                    # a random point: not a check
	kill -KILL "$TM_PID"
	[ -z "${KEEP_SCRATCH:-}" ] || cp "$STATE" "$SCR/state.$TM_RUN" 2>/dev/null || true   # for a post-mortem
	wait "$TM_PID" 2>/dev/null
	TM_PID=""
	[ $((RANDOM % 2)) = 0 ] || write_some 2       # writes and rotations while it is down
done
sort "$EXPECTED" >"$SCR/want"
nmissing() { texts | sort >"$SCR/got"; comm -23 "$SCR/want" "$SCR/got" | wc -l; }
none_missing() { [ "$(nmissing)" = 0 ]; }   # a count would be fooled by lines read twice
start_daemon
wait_for "every line written" 20 none_missing
stop_daemon
missing=$(nmissing)
dup=$(comm -13 "$SCR/want" "$SCR/got" | wc -l)
[ "$missing" = 0 ] || { comm -23 "$SCR/want" "$SCR/got" | head; fail "$missing of $(nexpected) lines never read"; }
pass "$ROUNDS kills with SIGKILL among writes and rotations: none of $(nexpected) lines missing ($dup read twice, after a last save)"

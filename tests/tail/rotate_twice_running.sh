#!/usr/bin/env bash
# rotate_twice_running: train.log is rotated two and three times (logrotate's numbered scheme)
# while the daemon is stopped with SIGSTOP, so that every rotation happens within one sync of a
# running daemon: the first sync after SIGCONT finds the newest train.log and the inode it read
# (now train.log.2 or .3) and reads the generations in between (never opened) before the new
# file. Every line once; the same with --glob '*.log*', where the rotated names are followed too.
. "$(dirname "$0")/lib.sh"
rotate() { # logrotate's numbered scheme, rotate 9, no compression
	local i
	for ((i = 8; i >= 1; i--)); do
		[ ! -e "$D/train.log.$i" ] || mv "$D/train.log.$i" "$D/train.log.$((i + 1))"
	done
	mv "$D/train.log" "$D/train.log.1"
}
round() { # round TAG ROTATIONS: rotations and writes while the daemon cannot look
	local tag=$1 k
	kill -STOP "$TM_PID"
	emit_gen "$D/train.log" "$tag" 1 20            # unread when the first rotation happens
	for ((k = 1; k <= $2; k++)); do
		rotate
		emit_gen "$D/train.log.1" "$tag$k" 1 15     # the trainer's fd still writes the old inode
		emit_gen "$D/train.log" "$tag$k" 16 200     # the next generation
	done
	kill -CONT "$TM_PID"
	wait_for "every generation of round $tag" 10 all_expected
}
for glob in '' '*.log*'; do
	rm -f "$D"/train.log*
	: >"$EXPECTED"
	DAEMON_ARGS=()
	[ -z "$glob" ] || DAEMON_ARGS=(--glob "$glob")
	emit_gen "$D/train.log" start 1 100
	start_daemon
	wait_for "100 lines" 10 all_expected
	round two 2
	[ -n "$glob" ] || stderr_has "rotated again before it was read; reading $D/train.log.1" ||
		fail "no note about the middle generation"
	round three 3
	stop_daemon
	check_multiset
	log "two and three rotations within one sync${glob:+ (--glob $glob)}: every line once"
	rm -f "$JSONL"
done
pass "rotations within one sync of a running daemon: every generation read once"

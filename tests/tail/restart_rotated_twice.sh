#!/usr/bin/env bash
# restart_rotated_twice: while the daemon is stopped, train.log is rotated twice the way logrotate
# does it (train.log.1 -> train.log.2, train.log -> train.log.1, a new train.log), with lines
# written to every generation. On restart the daemon reads the rest of the saved inode (now
# train.log.2) from its offset, then train.log.1 from 0, then the new train.log: every line of the
# three generations exactly once. An older generation (train.log.3, read before the stop) is not
# read again. Then a newer generation compressed while stopped (train.log.1.gz): reported as not
# read. Then with --glob '*.log*' (the rotated names are followed too): still once each.
. "$(dirname "$0")/lib.sh"
DAEMON_ARGS=(--state "$STATE")
rotate() { # rotate: logrotate's numbered scheme, rotate 5, no compression
	local i
	for ((i = 4; i >= 1; i--)); do
		[ ! -e "$D/train.log.$i" ] || mv "$D/train.log.$i" "$D/train.log.$((i + 1))"
	done
	mv "$D/train.log" "$D/train.log.1"
}
gen old 1 50 >"$D/train.log"
rotate                                           # train.log.1: an older generation, never read
emit_gen "$D/train.log" a 1 100
start_daemon
wait_for "100 lines" 10 all_expected
stop_daemon
emit_gen "$D/train.log" a 101 120                # unread when the first rotation happens
rotate
emit_gen "$D/train.log.1" a 121 150              # the trainer's fd still writes the old inode
emit_gen "$D/train.log" b 1 500                  # the middle generation
rotate
emit_gen "$D/train.log" c 1 60
start_daemon
wait_for "the rest of train.log.2, all of train.log.1 and the new train.log" 10 all_expected
stderr_has "reading the rest of $D/train.log.2 first" || fail "no note about the saved inode"
stderr_has "then reading $D/train.log.1" || fail "no note about the middle generation"
stop_daemon
check_multiset
log "two rotations while stopped: every generation read once"
# a newer generation compressed while stopped: its lines cannot be read, and that is said
DAEMON_ARGS=(--state "$STATE")
start_daemon
stop_daemon
rotate
gen lost 1 40 >"$D/train.log"
rotate
gzip "$D/train.log.1"
emit_gen "$D/train.log" f 1 20
start_daemon
wait_for "the newest generation" 10 all_expected
stderr_has "train.log.1.gz is compressed and not read" || fail "no note about the compressed generation"
stop_daemon
check_multiset
# the same with the rotated names followed too: each generation still once, in train.log's run
rm "$D"/train.log.*                             # read before, or never: not new files now
DAEMON_ARGS=(--state "$STATE" --glob '*.log*')
start_daemon
stop_daemon
emit_gen "$D/train.log" c 61 80
rotate
emit_gen "$D/train.log" d 1 70
rotate
emit_gen "$D/train.log" e 1 30
start_daemon
wait_for "lines of the two newest generations" 10 all_expected
stop_daemon
check_multiset
log "rotated names followed too: every generation read once"
pass "rotations while stopped: saved inode's rest, newer generations, live file; each line once"

#!/usr/bin/env bash
# recursive_newdir: with --recursive, directories created after start are followed, including a
# file created in them before the daemon could add the watch (the new directory is scanned after
# its watch is in place), nested directories made by one mkdir -p, and a directory moved in.
. "$(dirname "$0")/lib.sh"
DAEMON_ARGS=(--recursive)
start_daemon
mkdir "$D/job1"
emit_gen "$D/job1/train.log" job1 1 100
wait_for "a file in a directory created after start" 10 all_expected
emit_gen "$D/job1/train.log" job1 101 150
wait_for "appends to it" 10 all_expected
mkdir -p "$D/a/b/c" && emit_gen "$D/a/b/c/deep.out" deep 1 40
wait_for "a file three levels down, made at once" 10 all_expected
mkdir "$SCR/outside" && emit_gen "$SCR/outside/moved.log" moved 1 30
mv "$SCR/outside" "$D/moved-in"
wait_for "a directory moved in with a file" 10 all_expected
emit_gen "$D/moved-in/moved.log" moved 31 60
emit_gen "$D/a/b/c/deep.out" deep 41 60
wait_for "appends in both" 10 all_expected
stop_daemon
check_multiset
pass "new, nested and moved-in directories followed (--recursive)"

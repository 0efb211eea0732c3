#!/usr/bin/env bash
# restart_cri_partial: a Kubernetes pod log (CRI format) ends inside a record: two `P` partial
# lines whose final `F` part has not been written. The daemon reads them, is stopped (state
# saved), the `F` part arrives while it is down, and the restarted daemon hands out the whole
# joined record, once: the saved position is the start of the unfinished record, not the end of
# its partial lines (else the record's first parts were lost at every restart).
. "$(dirname "$0")/lib.sh"
DAEMON_ARGS=(--state "$STATE")
cri() { printf '2025-01-02T03:04:%02d.123456789Z stdout %s %s\n' "$1" "$2" "$3" >>"$D/pod.log"; }
cri 1 F "first whole record"
cri 2 P "a record cut by the runtime "
cri 3 P "into three parts, "
expect "first whole record"
start_daemon
wait_for "the first record" 10 all_expected
stop_daemon
cri 4 F "the last written while the daemon was down"
expect "a record cut by the runtime into three parts, the last written while the daemon was down"
start_daemon
wait_for "the joined record" 10 all_expected
cri 5 F "after the restart"
expect "after the restart"
wait_for "the record after the restart" 10 all_expected
stop_daemon
check_multiset
pass "a CRI record unfinished at a stop is joined whole after the restart"

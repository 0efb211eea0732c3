#!/usr/bin/env bash
# restart_no_refire: alert states survive a restart through --state. Before the stop: low_mfu is
# firing, a NCCL timeout raised failure, and the Slurm time limit ended the run of a second file.
# After a restart (and a second one with nothing new) more slow steps and another NCCL timeout
# fire nothing again; recovery resolves low_mfu once. (failure fires once per kind per run:
# nccl_timeout in run.out, slurm_time_limit in ended.out.) Lines are read exactly once over all runs.
. "$(dirname "$0")/../tail/lib.sh"
. "$(dirname "$0")/megatron.sh"
DAEMON_ARGS=(--gpu a100 --min-mfu 0.40 --for-steps 3 --stall 60 --state "$STATE")
emit_text "$D/run.out" "$(header)"
emit_text "$D/ended.out" "$(header)"
start_daemon
emit_text "$D/run.out" "$(steps 10 100 1047.5)"
emit_text "$D/run.out" "$(steps 110 150 2095)"
emit_text "$D/run.out" "$NCCL_TIMEOUT"
emit_text "$D/ended.out" "$(steps 10 50 1047.5)"
emit_text "$D/ended.out" "$(tail -n 3 "$SAMPLE")"   # srun abort, slurmstepd TIME LIMIT
wait_for "low_mfu firing" 10 has_alert low_mfu firing
wait_for "failure firing (nccl_timeout, slurm_time_limit)" 10 failures_at_least 2
wait_for "ended" 10 has_alert ended firing
wait_for "all lines" 10 all_expected
stop_daemon
before=$(records alert | wc -l)
log "first run: $before alerts"
start_daemon
stop_daemon
[ "$(records alert | wc -l)" = "$before" ] || fail "a restart with nothing new raised alerts: $(records alert | tail -n 3)"
start_daemon
emit_text "$D/run.out" "$(steps 160 200 2095)"
emit_text "$D/run.out" "${NCCL_TIMEOUT//Rank 3/Rank 4}"
emit_text "$D/ended.out" "$(tail -n 2 "$SAMPLE")"
emit_text "$D/run.out" "$(steps 210 260 1047.5)"
wait_for "low_mfu resolved" 10 has_alert low_mfu resolved
wait_for "all lines" 10 all_expected
stop_daemon
expect_alerts low_mfu firing 1
expect_alerts low_mfu resolved 1
n=$(records alert | jq -c 'select(.alert == "failure" and .kind == "nccl_timeout")' | wc -l)
[ "$n" = 1 ] || fail "$n nccl_timeout failure alerts, want 1"
n=$(records alert | jq -c 'select(.alert == "failure" and .kind == "slurm_time_limit")' | wc -l)
[ "$n" = 1 ] || fail "$n slurm_time_limit failure alerts, want 1"
expect_alerts failure firing 2
expect_alerts ended firing 1
check_line_numbers "$D/run.out" "$D/ended.out"
pass "after restarts: low_mfu, failure and ended fired once each; low_mfu resolved once"

#!/usr/bin/env bash
# low_mfu: --min-mfu 0.40 --for-steps 3 on a Megatron run at 45.5% MFU. A dip of 2 slow steps
# (fewer than --for-steps) fires nothing; a stretch of 6 steps at half speed (22.7% MFU), written
# one line per write, fires low_mfu once at its third step; recovery needs 3 good steps and
# resolves once. Every count is checked again after SIGTERM, when no output can still come.
. "$(dirname "$0")/../tail/lib.sh"
. "$(dirname "$0")/megatron.sh"
DAEMON_ARGS=(--gpu a100 --min-mfu 0.40 --for-steps 3)
emit_text "$D/run.out" "$(header)"
start_daemon
emit_text "$D/run.out" "$(steps 10 100 1047.5)"
emit_text "$D/run.out" "$(steps 110 120 2095)"          # a short dip: 2 steps
emit_text "$D/run.out" "$(steps 130 200 1047.5)"
wait_for "the steps before the slow stretch" 10 all_expected
for n in 210 220 230 240 250 260; do emit_text "$D/run.out" "$(iter $n 2095)"; done
wait_for "low_mfu firing" 10 has_alert low_mfu firing
expect_alerts low_mfu resolved 0
alert_msgs low_mfu firing | grep -q '(step 230)' || fail "low_mfu did not fire at the stretch's third step (230): $(alert_msgs low_mfu firing)"
log "fired at step 230: $(alert_msgs low_mfu firing)"
for n in 270 280 290 300 310 320 330 340 350; do emit_text "$D/run.out" "$(iter $n 1047.5)"; done
wait_for "low_mfu resolved" 10 has_alert low_mfu resolved
alert_msgs low_mfu resolved | grep -q '(step 290)' || fail "low_mfu did not resolve at the third good step (290)"
wait_for "all lines" 10 all_expected
stop_daemon
expect_alerts low_mfu firing 1
expect_alerts low_mfu resolved 1
check_line_numbers "$D/run.out"
pass "short dip ignored; one firing at step 230, one resolve at step 290"

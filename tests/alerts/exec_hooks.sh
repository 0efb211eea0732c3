#!/usr/bin/env bash
# exec_hooks: --exec hooks. A hook starts with no signal blocked or ignored (it reads SigBlk and
# SigIgn from /proc/self/status; signals 1-31); one that hangs is killed at --exec-timeout 1 and counted as a
# timeout; one that exits 3 is counted; 50 alerts with --exec-max 2 never run more than 2 hooks
# at once; and at SIGTERM a hanging hook is killed, so none outlives the daemon.
. "$(dirname "$0")/../tail/lib.sh"
. "$(dirname "$0")/megatron.sh"
R=$SCR/hooks
mkdir -p "$R"
cat >"$SCR/hook.sh" <<HOOK
case "\$TRAINMON_FILE" in
*hang*) echo \$\$ >"$R/hang.pid"; exec sleep 1000 ;;
*fail*) exit 3 ;;
esac
grep -E '^Sig(Blk|Ign):' /proc/self/status >"$R/sig.\$\$"
: >"$R/run.\$\$"
ls "$R" | grep -c '^run\.' >>"$R/counts"
sleep 0.2
rm -f "$R/run.\$\$"
HOOK
PROM=$SCR/metrics.prom
metric() { awk -v m="$1" '$1 == m { print $2 }' "$PROM" 2>/dev/null; }
metric_is() { [ "$(metric "$1")" = "$2" ]; }
# gone PID: exited (a zombie waiting for init to reap it counts as gone)
gone() { ! kill -0 "$1" 2>/dev/null || [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" = Z ]; }
hooks_done() { [ "$({ wc -l <"$R/counts"; } 2>/dev/null || echo 0)" -ge "$1" ]; }
DAEMON_ARGS=(--exec "sh $SCR/hook.sh" --exec-max 2 --exec-timeout 20 --textfile "$PROM")
start_daemon
# a failing hook
emit_text "$D/fail.out" "$NCCL_TIMEOUT"
wait_for "the exit status counted" 10 metric_is 'trainmon_exec_failures_total{reason="exit"}' 1
# 50 alerts, 2 hooks at most at once
for i in $(seq 1 50); do printf '%s\n' "$NCCL_TIMEOUT" >"$D/c$i.out"; done
wait_for "50 hooks run" 60 hooks_done 50
max=$(sort -n "$R/counts" | tail -n 1)
[ "$max" -le 2 ] || fail "$max hooks ran at once with --exec-max 2"
# standard signals 1-31 only: glibc's posix_spawn leaves its two internal real-time signals
# (32 and 33, which no script can name) ignored in the child
bad=0
while read -r _ hex; do [ $((0x$hex & 0x7fffffff)) = 0 ] || bad=$((bad + 1)); done < <(cat "$R"/sig.*)
[ "$bad" = 0 ] || fail "hooks started with signals blocked or ignored: $(cat "$R"/sig.* | sort | uniq -c)"
log "50 hooks, at most $max at once; all $(ls "$R"/sig.* | wc -l) with empty SigBlk and SigIgn"
stop_daemon
rm -f "$D"/c*.out "$D/fail.out"   # a restart without state would alert on them again
DAEMON_ARGS=(--exec "sh $SCR/hook.sh" --exec-timeout 1 --textfile "$PROM")
start_daemon
# a hook that hangs: killed at the timeout
emit_text "$D/hang.out" "$NCCL_TIMEOUT"
wait_for "the hanging hook to start" 10 test -s "$R/hang.pid"
hp=$(cat "$R/hang.pid")
t0=$(now_ms)
wait_for "the hanging hook killed" 10 gone "$hp"
log "hanging hook killed $(($(now_ms) - t0)) ms after it started (--exec-timeout 1)"
wait_for "the timeout counted" 10 metric_is 'trainmon_exec_failures_total{reason="timeout"}' 1
wait_for "the timeout told on stderr" 10 stderr_has "killed after the 1.0 s timeout"
stop_daemon
# at SIGTERM, a hanging hook is killed
rm -f "$R/hang.pid" "$D/hang.out"
DAEMON_ARGS=(--exec "sh $SCR/hook.sh" --exec-timeout 100)
start_daemon
emit_text "$D/hang2.out" "$NCCL_TIMEOUT"
wait_for "the second hanging hook to start" 10 test -s "$R/hang.pid"
hp=$(cat "$R/hang.pid")
t0=$(now_ms)
stop_daemon
log "daemon exited $(($(now_ms) - t0)) ms after SIGTERM with a hook running"
wait_for "the hook to be gone with the daemon" 2 gone "$hp"
pass "hooks: clean signal state, timeout kill counted, exit status counted, --exec-max 2 held, none outlives the daemon"

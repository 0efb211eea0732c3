#!/usr/bin/env bash
# from.sh: `trainmon top --from URL` against a real `trainmon watch --listen` daemon on a free
# loopback port: --once and --batch frames show the daemon's run; the interactive view in an
# 80x24 tmux window follows a writer through the daemon's /metrics (step advancing, sparkline
# built from successive scrapes), its detail view shows the events counted there, a stopped
# daemon shows as a retrying status (the view stays up), and q quits with the terminal restored.
# Also: a closed port with --once is exit 3; an https URL or a directory with --from is exit 2.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
mkdir "$tmp/logs"
{ header; steps 10 50 1000; } >"$tmp/logs/a.out"

# the daemon, on random ports until one binds (exit status 3 = in use); ready when top reads it
url=
for _ in $(seq 20); do
	p=$((20000 + RANDOM % 30000))
	"$TRAINMON" watch --quiet --gpu a100 --listen "127.0.0.1:$p" "$tmp/logs" 2>"$tmp/daemon.err" &
	dpid=$!
	deadline=$((SECONDS + 10 * scale))
	while [ $SECONDS -lt $deadline ] && kill -0 "$dpid" 2>/dev/null; do
		if "$TRAINMON" top --from "http://127.0.0.1:$p/metrics" --once >"$tmp/once" 2>/dev/null; then
			url="http://127.0.0.1:$p/metrics"
			break 2
		fi
		sleep 0.1
	done
	kill "$dpid" 2>/dev/null || true
	wait "$dpid" 2>/dev/null || true
done
[ -n "$url" ] || { cat "$tmp/daemon.err" >&2; fail "no daemon answered on a free port"; }
helpers+=("$dpid")
echo "ok: daemon at $url"

head -n 1 "$tmp/once" | grep -qF "trainmon top: 1 run from $url, sorted by run" || fail "--once title: $(head -n 1 "$tmp/once")"
grep -qE '^a +megatron +50 +1\.000s +1\.05M +47\.6% ' "$tmp/once" || fail "--once row of a: $(cat "$tmp/once")"
"$TRAINMON" top --from "$url" --batch 2 --interval 0.2 >"$tmp/batch"
[ "$(grep -c '^trainmon top: ' "$tmp/batch")" = 2 ] || fail "--batch 2 printed $(grep -c '^trainmon top: ' "$tmp/batch") frames"

# usage and system errors
rc=0; "$TRAINMON" top --from "https://127.0.0.1:$p/metrics" --once 2>"$tmp/err" || rc=$?
[ "$rc" = 2 ] && grep -q 'only http://' "$tmp/err" || fail "an https URL: exit $rc, $(cat "$tmp/err")"
rc=0; "$TRAINMON" top --from "$url" --once "$tmp/logs" 2>"$tmp/err" || rc=$?
[ "$rc" = 2 ] || fail "--from with a directory: exit $rc"
rc=0; "$TRAINMON" top --from "http://127.0.0.1:1/metrics" --once 2>"$tmp/err" || rc=$?
[ "$rc" = 3 ] && grep -q 'Connection refused' "$tmp/err" || fail "a closed port: exit $rc, $(cat "$tmp/err")"

# the interactive view, following a writer through the daemon
start_shell
type_line "'$TRAINMON' top --from '$url' --interval 0.3; echo TOP-EXIT=\$?"
wait_for '^a +megatron +50 ' "the row of run a at step 50"
( for n in $(seq 60 10 200); do iter "$n" $((900 + n % 3 * 150)) >>"$tmp/logs/a.out"; sleep 0.3; done ) &
helpers+=($!)
wait_step a 120 "lines appended while the view scrapes"
wait_for '^a .*[▁▂▃▄▅▆▇█]{3}' "a sparkline of at least 3 scrapes"
wait_step a 200 "the writer's last line"
printf '%s\n' "$NCCL_TIMEOUT" >>"$tmp/logs/a.out"
wait_for '^a .* failure ' "the failure alert from /metrics"
keys Enter
wait_for '^a +Esc:back' "the detail view"
wait_for 'alerts +failure' "the failure alert in the detail"
wait_for 'nccl_timeout x1' "the event counted in /metrics"
keys Escape
wait_for 'RUN.*STEP' "the table after Esc"

kill "$dpid"
wait "$dpid" 2>/dev/null || true
wait_for 'Connection refused \(retrying\)' "the status line once the daemon is gone"
screen | grep -qE '^a +megatron +200 ' || fail "the last scrape's row should stay on the screen"
keys q
wait_for '^TOP-EXIT=0$' "top's exit status 0 after q"
wait_for '^PROMPT\$ *$' "the shell's prompt after q"
terminal_sane
echo "PASS: --from frames, errors, the live view through /metrics, detail, a daemon gone, quit"

#!/usr/bin/env bash
# sink_fifo: --jsonl to a FIFO whose reader stops reading must not freeze the daemon. With a
# reader that holds the FIFO open and never reads, 3000 lines are followed anyway, /metrics keeps
# answering (curl with a 2 s limit) and the records beyond --sink-queue are dropped and counted;
# when the reader goes away the daemon says so, and a new reader gets whole records only; with a
# stalled reader again, SIGTERM ends the daemon within a few seconds and the loss is reported.
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || skip "curl is not installed"
FIFO=$SCR/fifo
mkfifo "$FIFO"
exec 3<>"$FIFO"            # a reader (and writer) that never reads
metric() { curl -s -m 2 "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
dropped_some() { [ "$(metric 'trainmon_sink_dropped_total{sink="jsonl"}')" -gt 0 ] 2>/dev/null; }
lines_read() { [ "$(metric trainmon_lines_total)" -ge "$1" ] 2>/dev/null; }
PORT=
for _ in $(seq 20); do
	p=$((20000 + RANDOM % 30000))
	"$TRAINMON" watch --quiet --trace-lines --jsonl "$FIFO" --sink-queue 65536 --listen "127.0.0.1:$p" \
		"${BACKEND_ARGS[@]+"${BACKEND_ARGS[@]}"}" "$D" 2>"$SCR/err.1" 3<&- &
	TM_PID=$!
	deadline=$(($(now_ms) + 10000 * TM_SCALE))
	while alive && [ "$(now_ms)" -lt "$deadline" ]; do
		curl -s -m 2 -o /dev/null "http://127.0.0.1:$p/metrics" && { PORT=$p; break 2; }
		sleep 0.05
	done
	wait "$TM_PID" 2>/dev/null
	TM_PID=
done
[ -n "$PORT" ] || fail "no free port, or the daemon did not answer"
gen a 1 3000 >"$D/a.log"
wait_for "3000 lines read with the reader stalled" 20 lines_read 3000
wait_for "drops counted in trainmon_sink_dropped_total" 10 dropped_some
log "reader stalled: /metrics answers, $(metric trainmon_lines_total) lines read, $(metric 'trainmon_sink_dropped_total{sink="jsonl"}') records dropped"
# the reader goes away: the next write gets EPIPE
exec 3<&-
gen b 1 200 >>"$D/a.log"
reader_gone_told() { stderr_has "the reader went away" || stderr_has "no reader on the FIFO"; }
wait_for "the note that the reader went away" 10 reader_gone_told
# a new reader gets whole records, and the new lines
cat "$FIFO" >"$SCR/got" 3<&- &
CAT=$!
CLEANUP_HOOKS+=("kill $CAT 2>/dev/null")
gen c 1 5 >>"$D/a.log"
got_c() { grep -q '"text":"loss=[^"]* c 000005"' "$SCR/got"; }
wait_for "the new reader to get the new lines" 10 got_c
kill "$CAT"; wait "$CAT" 2>/dev/null
n=$(wc -l <"$SCR/got")
jq -c . "$SCR/got" >/dev/null 2>&1 || fail "the new reader got a partial record (of $n lines)"
[ "$(tail -c 1 "$SCR/got" | od -An -c | tr -d ' ')" = '\n' ] || fail "the new reader's last record is cut"
log "a new reader got $n whole records"
# stalled again, then SIGTERM: bounded exit
exec 3<>"$FIFO"
reopened() { [ "$(metric trainmon_sink_queued_bytes'{sink="jsonl"}')" -gt 0 ] 2>/dev/null; }
gen d 1 3000 >>"$D/a.log"
wait_for "records queued behind the stalled reader" 20 reopened
t0=$(now_ms)
kill -TERM "$TM_PID"
deadline=$(($(now_ms) + 8000 * TM_SCALE))
while alive; do
	[ "$(now_ms)" -lt "$deadline" ] || fail "the daemon did not exit within $((8 * TM_SCALE)) s of SIGTERM"
	sleep 0.05
done
wait "$TM_PID"; rc=$?
TM_PID=
[ $rc = 0 ] || fail "exit status $rc after SIGTERM"
stderr_has "not written at exit" || fail "the records lost at exit were not reported"
exec 3<&-
pass "stalled FIFO reader: daemon kept answering, drops counted, EPIPE told, whole records to a new reader, exit $(($(now_ms) - t0)) ms after SIGTERM"

# megatron.sh: Megatron-LM log lines for the alert tests, built from the sample log
# sample_logs/megatron_gpt3_1.3b-4417021.out (GPT-3 1.3B on 64 A100s, MFU about 45.5% at
# 1047.5 ms per iteration). Sourced after ../tail/lib.sh.
SAMPLE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/sample_logs/megatron_gpt3_1.3b-4417021.out
[ -r "$SAMPLE" ] || skip "no $SAMPLE"

# header: the arguments dump and everything before the first iteration line
header() { sed -n '1,/ iteration /p' "$SAMPLE" | sed '$d'; }

# iter N MS: one iteration line for step N taking MS ms (MFU = 45.5% x 1047.5 / MS)
iter() {
	grep -m1 ' iteration       20/' "$SAMPLE" | awk -v n="$1" -v t="$2" '{
		sub(/iteration +[0-9]+\//, sprintf("iteration %8d/", n))
		sub(/consumed samples: +[0-9]+/, sprintf("consumed samples: %12d", n * 512))
		sub(/elapsed time per iteration \(ms\): [0-9.]+/, sprintf("elapsed time per iteration (ms): %.1f", t))
		sub(/TFLOP\/s\/GPU\): [0-9.]+/, sprintf("TFLOP/s/GPU): %.1f", 141.9 * 1047.5 / t))
		print }'
}

# steps FROM TO MS: iteration lines every 10 steps
steps() {
	local n
	for ((n = $1; n <= $2; n += 10)); do iter "$n" "$3"; done
}

NCCL_TIMEOUT='[rank3]:[E0210 09:15:02.118342077 ProcessGroupNCCL.cpp:616] [PG ID 0 PG GUID 0(default_pg) Rank 3] Watchdog caught collective operation timeout: WorkNCCL(SeqNum=8, OpType=ALLREDUCE, NumelIn=1048576, NumelOut=1048576, Timeout(ms)=600000) ran for 600013 milliseconds before timing out.'

# emit_text FILE TEXT: appends TEXT (lines) to FILE in one write and records its lines as expected.
emit_text() {
	printf '%s\n' "$2" >>"$1"
	printf '%s\n' "$2" >>"$EXPECTED"
}

# alert_msgs NAME STATE: the messages of those alerts, one a line
alert_msgs() {
	records alert | jq -r --arg a "$1" --arg s "$2" 'select(.alert == $a and .state == $s) | .message'
}
has_alert() { [ "$(count_alerts "$1" "$2")" -ge 1 ]; }
failures_at_least() { [ "$(count_alerts failure firing)" -ge "$1" ]; }

# expect_alerts NAME STATE N: exactly N such alerts so far
expect_alerts() {
	local n
	n=$(count_alerts "$1" "$2")
	[ "$n" = "$3" ] || fail "$n '$1' alerts '$2', want $3: $(alert_msgs "$1" "$2" | tr '\n' ';')"
}

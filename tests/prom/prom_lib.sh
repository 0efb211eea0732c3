# prom_lib.sh: helpers of the tests that run a real Prometheus (run_prom.sh, tests/fleet/
# prom_fleet.sh): a server on a free port, and its HTTP API queried until a value arrives. Sourced
# after `set -euo pipefail`; the caller defines fail(), and api (http://127.0.0.1:PORT/api/v1)
# before querying. Every wait polls with a deadline.

# start_on_free_port VAR PIDVAR READY_PATH STDERR CMD...: runs CMD (stderr to STDERR) with {PORT}
# replaced by random ports until it binds one and answers READY_PATH (no probe-then-bind race).
start_on_free_port() {
	local var=$1 pidvar=$2 ready=$3 errfile=$4 p pid deadline
	shift 4
	for _ in $(seq 20); do
		p=$((20000 + RANDOM % 30000))
		"${@//\{PORT\}/$p}" 2>"$errfile" &
		pid=$!
		printf -v "$pidvar" %s "$pid"
		deadline=$((SECONDS + 30))
		while [ $SECONDS -lt $deadline ]; do
			if ! kill -0 "$pid" 2>/dev/null; then
				wait "$pid" 2>/dev/null || true
				printf -v "$pidvar" %s ""
				continue 2
			fi
			if curl -sf -o /dev/null "http://127.0.0.1:$p$ready"; then
				printf -v "$var" %s "$p"
				return 0
			fi
			sleep 0.1
		done
		fail "$1 did not answer on port $p within 30 s"
	done
	fail "no free port found for $1"
}

# query PROMQL: prints the single result as "value<TAB>labels-json", or nothing
query() {
	curl -sf -G --data-urlencode "query=$1" "$api/query" | python3 -c '
import json, sys
d = json.load(sys.stdin)
r = d["data"]["result"] if d.get("status") == "success" else []
if len(r) == 1:
    print(r[0]["value"][1] + "\t" + json.dumps(r[0]["metric"], sort_keys=True))'
}
# wait_for PROMQL EXPECTED: polls until the value equals EXPECTED (relative WAIT_RTOL, default
# 1e-12), for WAIT_S seconds (default 60)
wait_for() {
	local q=$1 want=$2 got= deadline=$((SECONDS + ${WAIT_S:-60}))
	while [ $SECONDS -lt $deadline ]; do
		got=$(query "$q" | cut -f1)
		if [ -n "$got" ] && python3 -c 'import sys; a, b, r = map(float, sys.argv[1:4]); sys.exit(0 if abs(a - b) <= r * max(abs(a), abs(b)) else 1)' "$got" "$want" "${WAIT_RTOL:-1e-12}"; then
			echo "ok: $q = $got"
			return 0
		fi
		sleep 0.2
	done
	fail "$q: got '${got:-no result}', want $want (${WAIT_S:-60} s)"
}

# lib.sh: helpers of the fleet tests (tests/fleet): a scratch directory, several `trainmon watch`
# daemons each on a free loopback port, a failure that shows their stderr. Sourced after
# `set -euo pipefail`; every process started here is killed at exit.
trap "" PIPE
: "${TRAINMON:?set TRAINMON to the binary}"
command -v curl >/dev/null || { echo "SKIP: curl not installed (scripts/deps.sh --test installs it)"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 not installed (scripts/deps.sh --test installs it)"; exit 77; }

tmp=$(mktemp -d)
pids=()       # every daemon started (killed at exit)
prom_pid=     # a Prometheus (tests/prom/prom_lib.sh's start_on_free_port), killed at exit
cleanup() {
	local rc=$? p
	set +e
	for p in "${pids[@]+"${pids[@]}"}" $prom_pid; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]+"${pids[@]}"}" $prom_pid; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	for e in "$tmp"/err.*; do [ -s "$e" ] && tail -20 "$e" | sed "s/^/${e##*/}: /" >&2; done
	exit 1
}

# start_daemon NAME ARGS...: `trainmon watch --listen 127.0.0.1:PORT ARGS...` on a free port
# (random ports until one binds: exit status 3 = in use; any other exit fails the test). Sets
# PID_NAME and PORT_NAME; stderr in $tmp/err.NAME.
start_daemon() {
	local name=$1 p pid deadline rc
	shift
	for _ in $(seq 20); do
		p=$((20000 + RANDOM % 30000))
		"$TRAINMON" watch --listen "127.0.0.1:$p" "$@" >"$tmp/out.$name" 2>"$tmp/err.$name" &
		pid=$!
		deadline=$((SECONDS + 20))
		while [ $SECONDS -lt $deadline ]; do
			if ! kill -0 "$pid" 2>/dev/null; then
				rc=0
				wait "$pid" || rc=$?
				[ "$rc" = 3 ] || fail "daemon $name exited with status $rc before answering on port $p"
				continue 2
			fi
			if curl -s -o /dev/null "http://127.0.0.1:$p/healthz"; then
				pids+=("$pid")
				printf -v "PID_$name" %s "$pid"
				printf -v "PORT_$name" %s "$p"
				return 0
			fi
			sleep 0.05
		done
		fail "daemon $name did not answer on port $p within 20 s"
	done
	fail "no free port found for daemon $name"
}

# stop_daemon NAME: SIGTERM, and it must exit with status 0
stop_daemon() {
	local v="PID_$1" rc=0
	kill -TERM "${!v}"
	wait "${!v}" || rc=$?
	[ "$rc" = 0 ] || fail "daemon $1: exit status $rc after SIGTERM"
}

# scrape NAME: the daemon's /metrics on stdout
scrape() { local v="PORT_$1"; curl -sf -m 10 "http://127.0.0.1:${!v}/metrics"; }

# files_of NAME: the files the daemon follows (the file label of trainmon_run_steps_total), sorted
files_of() {
	scrape "$1" | sed -n 's/^trainmon_run_steps_total{.*file="\([^"]*\)".*/\1/p' | sort
}

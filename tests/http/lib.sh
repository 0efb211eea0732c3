# lib.sh: shared helpers for the /metrics tests (tests/http): a scratch directory, a daemon on a
# free loopback port, a failure that shows the daemon's stderr, and CPU time of a process.
# Sourced by each test after `set -euo pipefail`; every process started here is killed at exit.
trap "" PIPE   # a server that closes first must not kill the script writing to it
: "${TRAINMON:?set TRAINMON to the binary}"
command -v curl >/dev/null || { echo "SKIP: curl not installed (scripts/deps.sh --test installs it)"; exit 77; }

tmp=$(mktemp -d)
pid=
helpers=()   # pids of helper processes (attackers), killed at exit
cleanup() {
	local rc=$? h
	set +e   # a helper killed here must not turn the test's status into its own
	for h in "${helpers[@]+"${helpers[@]}"}"; do kill "$h" 2>/dev/null; wait "$h" 2>/dev/null; done
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -s "$tmp/err" ] && sed 's/^/trainmon stderr: /' "$tmp/err" | tail -20 >&2; exit 1; }

# start_trainmon ARGS...: runs `trainmon watch --listen 127.0.0.1:PORT ARGS...` (PREFIX, if set,
# is a command put before it, e.g. prlimit) on a free port: random ones are tried until trainmon
# binds one (exit status 3 = in use), no races; any other exit fails the test. Its stderr goes to
# $tmp/err, or to ERR_TO when set (a pipe nobody reads, say). Sets pid, port and base.
start_trainmon() {
	local p deadline rc
	port=
	for _ in $(seq 20); do
		p=$((20000 + RANDOM % 30000))
		${PREFIX:-} "$TRAINMON" watch --listen "127.0.0.1:$p" "$@" >"$tmp/out" 2>"${ERR_TO:-$tmp/err}" &
		pid=$!
		deadline=$((SECONDS + 10))
		while [ $SECONDS -lt $deadline ]; do
			if ! kill -0 "$pid" 2>/dev/null; then
				rc=0
				wait "$pid" || rc=$?
				pid=
				[ "$rc" = 3 ] || fail "trainmon exited with status $rc before answering on port $p"
				break
			fi
			if curl -s -o /dev/null "http://127.0.0.1:$p/metrics"; then
				port=$p
				break 2
			fi
			sleep 0.05
		done
		[ -n "$pid" ] && fail "trainmon did not answer on port $p within 10 s"
	done
	[ -n "$port" ] || fail "no free port found"
	base="http://127.0.0.1:$port"
}

# stop_trainmon: SIGTERM, and the daemon must exit with status 0
stop_trainmon() {
	local rc=0
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	pid=
	[ "$rc" = 0 ] || fail "exit status $rc after SIGTERM"
}

# cpu_ticks PID: user + system time of PID so far, in clock ticks (getconf CLK_TCK a second)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# metric NAME: the value of an unlabelled sample in a fresh scrape (empty if none)
metric() { curl -s -m 5 "$base/metrics" | awk -v n="$1" '$1 == n { print $2 }' || true; }

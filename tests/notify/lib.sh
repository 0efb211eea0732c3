# lib.sh: helpers for the notification tests (tests/notify): a real HTTP receiver (receiver.py)
# that can be down, hang or fail, and a real Alertmanager (Debian's prometheus-alertmanager) on
# loopback with a temporary config and storage. Sourced after ../tail/lib.sh and
# ../alerts/megatron.sh; every process started here is stopped when the test exits.
command -v python3 >/dev/null || skip "python3 is not installed (scripts/deps.sh --test)"
command -v curl >/dev/null || skip "curl is not installed (scripts/deps.sh --test)"
RECEIVER_PY=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/receiver.py
# the interpreter itself: a version manager's python3 shim can take seconds to start on a busy machine
PY=$(python3 -c 'import sys; print(sys.executable)')
declare -A RECV_PID=()

# free_port: a TCP port nothing listens on now (the kernel's choice)
free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_receiver NAME [PORT]: receiver NAME logs to $SCR/NAME.log and answers as $SCR/NAME.mode
# says (ok, 500, hang); on PORT, or a free one. Sets RECV_PORT.
start_receiver() {
	local name=$1 port=${2:-0}
	rm -f "$SCR/$name.port"
	"$PY" "$RECEIVER_PY" "$SCR/$name.port" "$SCR/$name.log" "$SCR/$name.mode" "$port" 2>>"$SCR/$name.err" &
	RECV_PID[$name]=$!
	CLEANUP_HOOKS+=("kill ${RECV_PID[$name]} 2>/dev/null")
	wait_for "receiver $name to listen" 30 test -s "$SCR/$name.port"
	RECV_PORT=$(cat "$SCR/$name.port")
}

# stop_receiver NAME: the receiver goes away (connections to its port are refused)
stop_receiver() {
	kill "${RECV_PID[$1]}" 2>/dev/null
	wait "${RECV_PID[$1]}" 2>/dev/null
	RECV_PID[$1]=""
}

# received NAME: the requests NAME got, one JSON object a line
received() { [ -f "$SCR/$1.log" ] && cat "$SCR/$1.log" || true; }
nreceived() { received "$1" | wc -l | tr -d ' '; }
received_at_least() { [ "$(nreceived "$1")" -ge "$2" ]; }

# metric_of PORT NAME LABELS: the value of NAME{LABELS...} (a substring of its labels) on /metrics
metric_of() {
	curl -s -m 5 "http://127.0.0.1:$1/metrics" | awk -v n="$2" -v l="$3" \
		'index($1, n "{") == 1 && index($1, l) { print $2 }' | head -n 1
}

# start_alertmanager: a real Alertmanager on a free loopback port, clustering off, routing every
# alert (grouped by all labels) to receiver "am" with send_resolved, group_wait and group_interval
# 1 s. Sets AM_URL.
start_alertmanager() {
	command -v prometheus-alertmanager >/dev/null && command -v amtool >/dev/null ||
		skip "prometheus-alertmanager is not installed (scripts/deps.sh --test)"
	start_receiver am
	local am_port
	am_port=$(free_port)
	mkdir -p "$SCR/am-data"
	cat >"$SCR/am.yml" <<YAML
route:
  receiver: trainmon-test
  group_by: ['...']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: trainmon-test
    webhook_configs:
      - url: http://127.0.0.1:$RECV_PORT/am
        send_resolved: true
YAML
	prometheus-alertmanager --config.file="$SCR/am.yml" --storage.path="$SCR/am-data" \
		--web.listen-address="127.0.0.1:$am_port" --cluster.listen-address= >"$SCR/am.out" 2>&1 &
	local am_pid=$!
	CLEANUP_HOOKS+=("kill $am_pid 2>/dev/null")
	AM_URL="http://127.0.0.1:$am_port"
	wait_for "Alertmanager to be ready" 20 curl -sf -o /dev/null "$AM_URL/-/ready"
}

# am_alerts [MATCHER...]: the active alerts Alertmanager holds, as amtool prints them in JSON
am_alerts() { amtool --alertmanager.url="$AM_URL" alert query -o json "$@"; }
am_count() { am_alerts "$@" | jq length; }
am_has() { [ "$(am_count "$@")" -ge 1 ]; }
am_none() { [ "$(am_count "$@")" = 0 ]; }

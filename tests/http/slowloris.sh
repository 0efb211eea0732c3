#!/usr/bin/env bash
# slowloris.sh: 300 connections from 127.0.0.1, each trickling a header line every 3 s and
# reconnecting when closed (slowloris.py), must not lock scrapes out: during the attack every one
# of several scrapes (curl --max-time 2) answers 200, the attacker's reconnecting does not drive
# the daemon's CPU (a connection is cut for room only after 100 ms, and accept rests meanwhile:
# 7 % of a core measured, where cutting at once followed the attacker to 65-95 %), and
# trainmon_http_slow_clients_total counts the connections cut. --http-timeout 2 makes the
# attack's connections pass their header deadline within the test. A test of the reliability
# issue's "slowloris" item; it fails without the header deadline and the cap's eviction.
# Usage: TRAINMON=path/to/trainmon slowloris.sh SOURCE_DIR
set -euo pipefail
src=${1:?usage: slowloris.sh SOURCE_DIR}
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }

mkdir "$tmp/logs"
cp "$src/sample_logs/megatron_gpt3_1.3b-4417021.out" "$tmp/logs/"
start_trainmon --quiet --gpu a100 --http-timeout 2 "$tmp/logs"

python3 "$(dirname "$0")/slowloris.py" "$port" 300 7 >"$tmp/attack" &
helpers+=($!)
# the attack is on once 300 connections were opened: the daemon holds 64, the backlog the rest
deadline=$((SECONDS + 5))
while [ "$(ss -Htn state established "( dport = :$port )" 2>/dev/null | wc -l)" -lt 200 ] && [ $SECONDS -lt $deadline ]; do
	sleep 0.1
done
t0=$(cpu_ticks "$pid")
start=$SECONDS
ok=0
for i in $(seq 5); do   # 5 scrapes about 1 s apart: across two 2 s header deadlines
	read -r code took < <(curl -s -m 2 -o /dev/null -w '%{http_code} %{time_total}\n' "$base/metrics" || true)
	[ "$code" = 200 ] || fail "scrape $i during the attack: HTTP $code"
	echo "scrape $i: ${took} s"
	ok=$((ok + 1))
	sleep 1
done
t1=$(cpu_ticks "$pid")
elapsed=$((SECONDS - start))
hz=$(getconf CLK_TCK)
# CPU: at most cap / 100 ms accepts a second whatever the attacker does (about 700 here): 7 % of a
# core measured (10 % under ASan); half a core is the bound, a daemon that follows the attacker
# takes most of one. A scrape waits about 0.4 s behind the backlog (measured).
[ $(( (t1 - t0) * 100 )) -lt $(( hz * (elapsed > 0 ? elapsed : 1) * 50 )) ] ||
	fail "daemon used $((t1 - t0)) ticks in ${elapsed} s during the attack: it follows the attacker"
echo "ok: $ok/5 scrapes answered during the attack; daemon CPU $((t1 - t0)) ticks in ${elapsed} s (${hz}/s)"
cut=$(metric trainmon_http_slow_clients_total)
[ "${cut:-0}" -gt 0 ] || fail "trainmon_http_slow_clients_total is '$cut'"
echo "ok: trainmon_http_slow_clients_total $cut"
kill -0 "$pid" 2>/dev/null || fail "daemon died"
echo "the attacker opened $(cat "$tmp/attack" 2>/dev/null || echo "?") connections"
echo "PASS"

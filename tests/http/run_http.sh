#!/usr/bin/env bash
# run_http.sh: bad requests against `trainmon watch --listen` get HTTP errors and never stop the
# daemon: unknown path 404, other methods 405 (with Allow), request headers and URLs over the
# connection memory limit an error status (431/414/413/400, as libmicrohttpd chooses), garbage
# and half-sent requests, 200 idle connections and 200 concurrent requests. After each, the
# daemon must still answer /metrics; at the end SIGTERM stops it with status 0 and an empty
# stderr. Waits poll with deadlines; nothing sleeps for a fixed time to "let things settle".
# Usage: TRAINMON=path/to/trainmon run_http.sh SOURCE_DIR
set -euo pipefail
src=${1:?usage: run_http.sh SOURCE_DIR}
. "$(dirname "$0")/lib.sh"

mkdir "$tmp/logs"
cp "$src/sample_logs/megatron_gpt3_1.3b-4417021.out" "$tmp/logs/"
start_trainmon --quiet --gpu a100 "$tmp/logs"

status() { curl -s -m 10 -o /dev/null -w '%{http_code}' "$@"; }
alive() {
	kill -0 "$pid" 2>/dev/null || fail "daemon died after: $1"
	local deadline=$((SECONDS + 15)) code
	while [ $SECONDS -lt $deadline ]; do
		code=$(status "$base/metrics" || true)
		[ "$code" = 200 ] && return 0
		sleep 0.1
	done
	fail "/metrics does not answer 200 after: $1 (last status $code)"
}
expect() {   # expect WHAT ALLOWED_CODES CURL_ARGS...
	local what=$1 allowed=$2 code
	shift 2
	code=$(status "$@" || true)
	[[ " $allowed " == *" $code "* ]] || fail "$what: HTTP $code, expected one of: $allowed"
	echo "ok: $what -> $code"
	alive "$what"
}

# the good path
hdrs=$(curl -s -m 10 -D - -o "$tmp/metrics" "$base/metrics")
grep -qi '^content-type: text/plain; version=0.0.4' <<<"$hdrs" || fail "/metrics content type: $hdrs"
grep -q '^trainmon_run_step{run="megatron_gpt3_1.3b-4417021"' "$tmp/metrics" || fail "/metrics has no run"
echo "ok: GET /metrics -> 200 text/plain; version=0.0.4"
expect "HEAD /metrics" 200 -I "$base/metrics"
expect "GET /metrics?x=1" 200 "$base/metrics?x=1"
expect "GET /" 200 "$base/"

# unknown paths and methods
expect "GET /nope" 404 "$base/nope"
expect "GET /metrics/extra" 404 "$base/metrics/extra"
expect "POST /metrics" 405 -X POST --data 'a=1' "$base/metrics"
expect "PUT /metrics" 405 -X PUT --data-binary @"$tmp/metrics" "$base/metrics"
expect "DELETE /metrics" 405 -X DELETE "$base/metrics"
head -c 20000000 /dev/zero >"$tmp/big"
expect "POST 20 MB (answered before the body is read)" 405 -X POST --data-binary @"$tmp/big" "$base/metrics"
rm -f "$tmp/big"
allow=$(curl -s -m 10 -D - -o /dev/null -X POST "$base/metrics" | tr -d '\r' | grep -i '^allow:' || true)
[ "$allow" = "Allow: GET, HEAD" ] || fail "405 without 'Allow: GET, HEAD' ($allow)"
echo "ok: 405 carries $allow"

# over the 64 KiB connection memory limit
big=$(head -c 100000 /dev/zero | tr '\0' a)
expect "100 kB header" "431 413 400" -H "X-Big: $big" "$base/metrics"
many=()
for i in $(seq 2000); do many+=(-H "X-H$i: 0123456789012345678901234567890123456789"); done
expect "2000 headers" "431 413 400" "${many[@]}" "$base/metrics"
expect "100 kB URL" "414 431 413 400" "$base/metrics?$big"

# raw garbage, a request line without a version, a half-sent request: answered or closed
raw() {   # raw BYTES: sends them, returns the status line (or nothing if the server closed)
	local fd line=
	exec {fd}<>"/dev/tcp/127.0.0.1/$port"
	printf '%b' "$1" >&"$fd" 2>/dev/null || true
	IFS= read -r -t 5 line <&"$fd" || true
	exec {fd}>&-
	printf '%s' "${line%$'\r'}"
}
line=$(raw 'GARBAGE\r\n\r\n')
[[ -z "$line" || "$line" == "HTTP/1."[01]" 4"* ]] || fail "garbage request: '$line'"
echo "ok: garbage -> '${line:-closed}'"
alive "garbage"
line=$(raw 'GET /metrics HTTP/9.9\r\nHost: x\r\n\r\n')
[[ -z "$line" || "$line" == "HTTP/1."[01]" "[45]* ]] || fail "HTTP/9.9 request: '$line'"
echo "ok: HTTP/9.9 -> '${line:-closed}'"
alive "HTTP/9.9"
exec {half}<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ' >&"$half"
alive "a half-sent request"
exec {half}>&-
alive "closing a half-sent request"

# 200 idle connections (bounded by a deadline): over the cap of 64, so each new one closes the one
# waiting longest for its request header, and a scrape still gets in
fds=()
deadline=$((SECONDS + 20))
for i in $(seq 200); do
	[ $SECONDS -lt $deadline ] || break
	{ exec {fd}<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || continue   # braces: a bare exec 2>/dev/null would keep stderr closed
	fds+=("$fd")
done
echo "ok: opened ${#fds[@]} idle connections"
kill -0 "$pid" 2>/dev/null || fail "daemon died with 200 idle connections"
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "$base/metrics" || true)
[ "$code" = 200 ] || fail "/metrics with 200 idle connections open: HTTP $code"
echo "ok: /metrics answers with 200 idle connections open"
for fd in "${fds[@]}"; do exec {fd}>&-; done
alive "200 idle connections"

# 200 concurrent requests: each gets an answer or a refused/reset connection, within the deadline
for i in $(seq 200); do
	curl -s -m 20 -o /dev/null -w '%{http_code}\n' "$base/metrics" >>"$tmp/codes" 2>/dev/null &
done
wait_deadline=$((SECONDS + 60))
while [ "$(jobs -pr | grep -vc "^$pid\$" || true)" -gt 0 ] && [ $SECONDS -lt $wait_deadline ]; do sleep 0.1; done
[ $SECONDS -lt $wait_deadline ] || fail "200 concurrent requests did not finish within 60 s"
ok=$(grep -c '^200$' "$tmp/codes" || true)
bad=$(grep -vcE '^(200|000|503)$' "$tmp/codes" || true)
[ "$bad" = 0 ] || fail "concurrent requests: unexpected statuses: $(sort "$tmp/codes" | uniq -c | tr '\n' ' ')"
[ "$ok" -gt 0 ] || fail "no concurrent request was served"
echo "ok: 200 concurrent requests: $ok served ($(sort "$tmp/codes" | uniq -c | tr '\n' ' '))"
alive "200 concurrent requests"

# still the same daemon, still counting; then a clean stop
scrapes=$(curl -s -m 10 "$base/metrics" | awk '$1 == "trainmon_scrapes_total" { print $2 }')
[ "${scrapes:-0}" -gt 100 ] || fail "trainmon_scrapes_total is '$scrapes'"
errors=$(curl -s -m 10 "$base/metrics" | awk '$1 == "trainmon_http_errors_total" { print $2 }')
[ "${errors:-0}" -ge 6 ] || fail "trainmon_http_errors_total is '$errors'"
echo "ok: trainmon_scrapes_total $scrapes, trainmon_http_errors_total $errors"
stop_trainmon
[ ! -s "$tmp/err" ] || fail "stderr not empty"
echo "PASS"

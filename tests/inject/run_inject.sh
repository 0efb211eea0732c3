#!/usr/bin/env bash
# run_inject.sh: failure injection through the LD_PRELOAD shim. Walks n over every read(2) of
# `trainmon analyze` on a sample log with EIO: each run must end with exit 0 or 3 (never a crash
# or a sanitizer report), name the file, and print no wrong numbers (a failed read prints no
# summary); a log truncated while it is read exits 3 with a note. Then `trainmon watch`: an open(2) failing with EACCES, and inotify_add_watch failing
# with ENOSPC (the watch limit): the daemon says so (naming the sysctl), keeps following the
# other files, and exits 0 on SIGTERM. Prints "N passed, N failed".
set -u
: "${TRAINMON:?}" "${SHIM:?}" "${TM_SOURCE_DIR:?}"
log="$TM_SOURCE_DIR/sample_logs/megatron_gpt3_1.3b-4417021.out"
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# every read(2) analyze makes (rule packs, then the log), and a few past the last one
for n in $(seq 1 40); do
  out=$(TM_FAIL_FN=read TM_FAIL_N=$n TM_FAIL_ERRNO=5 LD_PRELOAD="$SHIM" "$TRAINMON" analyze --format json "$log" 2>/tmp/inject.err.$$)
  rc=$?
  err=$(cat /tmp/inject.err.$$)
  if [ $rc -ge 128 ] || grep -q "Sanitizer\|runtime error" <<<"$err"; then bad "read #$n: crash (rc $rc): $err"; continue; fi
  if [ $rc -ne 0 ] && [ $rc -ne 3 ]; then bad "read #$n: exit $rc, want 0 or 3: $err"; continue; fi
  if [ $rc -eq 3 ] && ! grep -qE "(\.out: read error|\.yaml: error: cannot read rule pack): Input/output error" <<<"$err"; then
    bad "read #$n: exit 3 without naming the file: $err"; continue; fi
  if [ $rc -eq 3 ] && grep -q '"mfu"' <<<"$out"; then bad "read #$n: a summary after a failed read"; continue; fi
  ok
done
rm -f /tmp/inject.err.$$
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
# analyze: the log is truncated while it is read: exit 3 and say so, never numbers that look whole
cp "$log" "$d/shrinks.out"
out=$(TM_TRUNCATE_PATH=shrinks.out LD_PRELOAD="$SHIM" "$TRAINMON" analyze --format json "$d/shrinks.out" 2>"$d/err")
rc=$?
[ $rc -eq 3 ] && grep -q 'shrinks.out: truncated while it was read' "$d/err" && ! grep -q '"mfu"' <<<"$out" && ok ||
  bad "analyze of a file truncated while read: exit $rc, want 3 and a note: $(cat "$d/err")"
# watch: one file cannot be opened, the other is followed
printf 'first line\n' >"$d/a.out"
printf 'other line\n' >"$d/b.out"
TM_FAIL_FN=open TM_FAIL_PATH=a.out TM_FAIL_N=1 TM_FAIL_ERRNO=13 LD_PRELOAD="$SHIM" \
  "$TRAINMON" watch --quiet --trace-lines --jsonl "$d/out.jsonl" --poll 0.2 "$d" 2>"$d/err" &
pid=$!
for _ in $(seq 1 100); do grep -q '"text":"first line"' "$d/out.jsonl" 2>/dev/null && break; sleep 0.05; done
kill -TERM $pid; wait $pid; rc=$?
grep -q 'a.out: Permission denied (retrying)' "$d/err" && ok || bad "watch open EACCES: no note naming the file: $(cat "$d/err")"
grep -q '"text":"other line"' "$d/out.jsonl" && ok || bad "watch open EACCES: the other file was not followed"
grep -q '"text":"first line"' "$d/out.jsonl" && ok || bad "watch open EACCES: the file was not retried"
[ $rc -eq 0 ] && ok || bad "watch exit $rc after SIGTERM"
# watch: the inotify watch limit
rm -f "$d/out.jsonl"
TM_FAIL_FN=inotify_add_watch TM_FAIL_N=1 TM_FAIL_ERRNO=28 LD_PRELOAD="$SHIM" \
  "$TRAINMON" watch --quiet --trace-lines --jsonl "$d/out.jsonl" "$d" 2>"$d/err" &
pid=$!
printf 'late line\n' >>"$d/b.out"
for _ in $(seq 1 100); do grep -q '"text":"late line"' "$d/out.jsonl" 2>/dev/null && break; sleep 0.05; done
kill -TERM $pid; wait $pid
grep -q 'fs.inotify.max_user_watches' "$d/err" && ok || bad "ENOSPC: the note does not name the sysctl: $(cat "$d/err")"
grep -q '"text":"late line"' "$d/out.jsonl" && ok || bad "ENOSPC: the directory was not polled instead"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]

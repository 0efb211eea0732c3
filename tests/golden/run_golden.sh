#!/usr/bin/env bash
# run_golden.sh: runs golden end-to-end cases of the real trainmon binary (zstd cli-tests style).
#
# A case is a directory holding `cmd` (the arguments after `trainmon`, one shell line, run in the
# case directory with LC_ALL=C TZ=UTC) and the expected results: `expected.stdout`, and optionally
# `expected.stderr` and `expected.exit` (default 0). In output, the value of $TM_SHARED is written
# as $TM_SHARED, so cases over ../shared/logs do not depend on where the checkout is. A case whose
# cmd names $TM_SHARED is skipped (exit 77) when that directory is absent.
#
# usage: run_golden.sh [--update] CASE_DIR...      (TRAINMON = the binary to test)
set -u
update=0
if [ "${1:-}" = "--update" ]; then update=1; shift; fi
: "${TRAINMON:?set TRAINMON to the trainmon binary}"
pass=0 fail=0 skip=0
for dir in "$@"; do
  dir=${dir%/}
  name=${dir#"${TM_SOURCE_DIR:-}/"}
  if grep -q 'TM_SHARED' "$dir/cmd" && [ ! -d "${TM_SHARED:-/nonexistent}/logs" ]; then
    echo "SKIP $name (no ../shared)"; skip=$((skip + 1)); continue
  fi
  out=$(mktemp -d)
  (
    cd "$dir" || exit 99
    export LC_ALL=C TZ=UTC
    trainmon() { "$TRAINMON" "$@"; }
    eval "trainmon $(cat cmd)" >"$out/stdout" 2>"$out/stderr"
    echo $? >"$out/exit"
  )
  for f in stdout stderr; do
    if [ -n "${TM_SHARED:-}" ]; then
      sed -i "s|${TM_SHARED}|\$TM_SHARED|g" "$out/$f"
    fi
  done
  if [ "$update" = 1 ]; then
    cp "$out/stdout" "$dir/expected.stdout"
    if [ -s "$out/stderr" ]; then cp "$out/stderr" "$dir/expected.stderr"; else rm -f "$dir/expected.stderr"; fi
    if [ "$(cat "$out/exit")" != 0 ]; then cp "$out/exit" "$dir/expected.exit"; else rm -f "$dir/expected.exit"; fi
    echo "UPDATED $name"; rm -rf "$out"; pass=$((pass + 1)); continue
  fi
  ok=1
  want_exit=0; [ -f "$dir/expected.exit" ] && want_exit=$(cat "$dir/expected.exit")
  if [ "$(cat "$out/exit")" != "$want_exit" ]; then
    echo "FAIL $name: exit $(cat "$out/exit"), want $want_exit"; ok=0
  fi
  if ! diff -u "$dir/expected.stdout" "$out/stdout" >"$out/diff"; then
    echo "FAIL $name: stdout differs"; head -40 "$out/diff"; ok=0
  fi
  want_err=/dev/null; [ -f "$dir/expected.stderr" ] && want_err="$dir/expected.stderr"
  if ! diff -u "$want_err" "$out/stderr" >"$out/diff"; then
    echo "FAIL $name: stderr differs"; head -40 "$out/diff"; ok=0
  fi
  if [ $ok = 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
  rm -rf "$out"
done
echo "$pass passed, $fail failed, $skip skipped"
if [ $fail -gt 0 ]; then exit 1; fi
if [ $pass -eq 0 ] && [ $skip -gt 0 ]; then exit 77; fi
exit 0

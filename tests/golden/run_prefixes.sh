#!/usr/bin/env bash
# run_prefixes.sh: line anatomy round trip. For the log of every golden `analyze` case, each line
# is rewritten with each prefix a collector, launcher or logger puts in front of it (and once with
# every line cut into a CRI partial and final part); `analyze --format csv` must then give the same
# steps and step times as on the log itself (the file name, line and ts columns left out: only the
# prefixes' times and the split's line numbers may differ). Cases over ../shared are skipped when
# it is absent (exit 77 when nothing ran).
set -u
: "${TRAINMON:?set TRAINMON to the trainmon binary}"
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C TZ=UTC
prefixes=(
  'rfc3339|2025-01-02T03:04:05.123456789Z '
  'cri|2025-01-02T03:04:05.123456789Z stdout F '
  'journald|2025-01-02T03:04:05+0000 gpu-node-1 python[4112]: '
  'syslog|Jan  2 03:04:05 gpu-node-1 python[4112]: '
  'ts|Jan 02 03:04:05 '
  'python|2025-01-02 03:04:05,269 '
  'python-level|2025-01-02 03:04:05,269 - INFO - '
  'bracketed|[2025-01-02 03:04:05] '
  'bracketed-level|[2025-01-02 03:04:05,568581][I] '
  'glog|I0102 03:04:05.866614 140737350317184 programs.py:366] '
  'kubectl+python|2025-01-02T03:04:05Z 2025-01-02 03:04:05,269 INFO '
)
# csv without file (1), line (3), ts (12) and ts_epoch (13). Step times a log gets from its own
# timestamps (step_time_source 14 "timestamps") cannot survive a prefix that stamps every line
# with one time: for such a log (notimes=1) the columns that depend on them (step_time_s 4,
# tokens_per_s 5, warmup 11, source 14, anomaly 15) are left out too.
strip_cols() {
  awk -F, -v notimes="${1:-0}" 'BEGIN { OFS = "," }
    { $1 = ""; $3 = ""; $12 = ""; $13 = ""; if (notimes) { $4 = ""; $5 = ""; $11 = ""; $14 = ""; $15 = "" }; print }'
}
pass=0 fail=0 skip=0
for cmd in $(find "$here" -name cmd | sort); do
  grep -q '^analyze' "$cmd" || continue
  grep -q '|' "$cmd" && continue           # a pipeline, not just a log
  dir=$(dirname "$cmd")
  log=$(cd "$dir" && TM_SHARED=${TM_SHARED:-/nonexistent} && eval "set -- $(cat cmd)"; eval "echo \"\${$#}\"")
  case "$log" in
    */*) ;;
    *) continue ;;
  esac
  [ "${log#/}" = "$log" ] && log="$dir/$log"
  if [ ! -f "$log" ]; then skip=$((skip + 1)); continue; fi
  log=$(realpath "$log")
  case " ${seen:-} " in *" $log "*) continue ;; esac   # cases sharing a log: once
  seen="${seen:-} $log"
  name=${dir#"$here/"}
  "$TRAINMON" analyze --format csv "$log" 2>/dev/null >"$tmp/csv"
  notimes=0
  grep -q ',timestamps,[^,]*$' "$tmp/csv" && notimes=1
  strip_cols $notimes <"$tmp/csv" >"$tmp/want"
  [ -s "$tmp/want" ] || continue
  for entry in "${prefixes[@]}" 'cri-split|'; do
    kind=${entry%%|*} pre=${entry#*|}
    if [ "$kind" = cri-split ]; then
      awk '{ h = int(length($0) / 2)
             print "2025-01-02T03:04:05.1Z stdout P " substr($0, 1, h)
             print "2025-01-02T03:04:05.2Z stdout F " substr($0, h + 1) }' "$log" >"$tmp/log"
    else
      awk -v p="$pre" '{ print p $0 }' "$log" >"$tmp/log"
    fi
    "$TRAINMON" analyze --format csv "$tmp/log" 2>/dev/null | strip_cols $notimes >"$tmp/got"
    if cmp -s "$tmp/want" "$tmp/got"; then
      pass=$((pass + 1))
    else
      echo "FAIL $name with $kind prefixes"; diff "$tmp/want" "$tmp/got" | head -6; fail=$((fail + 1))
    fi
  done
done
echo "$pass passed, $fail failed, $skip logs absent"
[ $fail -eq 0 ] || exit 1
[ $pass -gt 0 ] || exit 77
exit 0

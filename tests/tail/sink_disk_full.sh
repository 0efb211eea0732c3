#!/usr/bin/env bash
# sink_disk_full: --jsonl on a full filesystem (a 256 KiB tmpfs, filled up after start). 1100
# lines are followed while no record can be written: the daemon tells the error (with its errno
# text), every line of the JSON lines file still parses (a short write is cut back, never left as
# half a record), and when space returns every record is written, exactly once. Needs root to
# mount the tmpfs; skipped otherwise.
. "$(dirname "$0")/lib.sh"
FULL=$SCR/full
mkdir -p "$FULL"
mount -t tmpfs -o size=256k tmpfs "$FULL" 2>/dev/null || skip "cannot mount a tmpfs (not root?)"
CLEANUP_HOOKS+=("umount -l '$FULL'")
JSONL=$FULL/out.jsonl
start_daemon
dd if=/dev/zero of="$FULL/pad" bs=1k 2>/dev/null   # until ENOSPC
all_parse() { jq -c . "$JSONL" >/dev/null 2>&1 && [ "$(tail -c 1 "$JSONL" | od -An -c | tr -d ' ')" = '\n' ]; }
emit_gen "$D/a.log" a 1 1100
wait_for "the write error on stderr" 10 stderr_has "No space left on device"
written=$(nlines)
all_parse || fail "the JSON lines file holds a partial record while the disk is full"
log "disk full: $written of 1100 lines written, the error told, every line of the file parses"
rm -f "$FULL/pad"
wait_for "all lines written once space returned" 20 all_expected
wait_for "the note that writes work again" 10 stderr_has "writing again"
stop_daemon
all_parse || fail "the JSON lines file holds a partial record after recovery"
check_multiset
pass "disk full: error told, no partial record, all 1100 records written once space returned"

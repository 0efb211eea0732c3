#!/usr/bin/env bash
# run_install.sh: what `cmake --install` ships, and the shipped etc/ files.
#   install BUILD_DIR     install into a temporary prefix; the installed binary, run from
#                         elsewhere with TRAINMON_PATTERNS unset, loads the installed packs
#                         (PREFIX/bin/../share/trainmon/patterns); man pages, examples, the
#                         systemd unit (with the prefix's paths) and the config are in place, and
#                         a second install keeps an edited config
#   config SOURCE_DIR     `trainmon watch --config etc/trainmon.yaml` starts on an empty
#                         directory without a single diagnostic and stops on SIGTERM with 0
#   unit SOURCE_DIR       `systemd-analyze verify` accepts etc/systemd/trainmon.service
#                         (skipped without systemd-analyze)
# Usage: TRAINMON=path/to/trainmon run_install.sh MODE DIR
set -euo pipefail
trap "" PIPE
mode=${1:?usage: run_install.sh install|config|unit DIR}
dir=${2:?usage: run_install.sh install|config|unit DIR}
dir=$(cd "$dir" && pwd)
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

case $mode in
install)
	prefix="$tmp/prefix"
	cmake --install "$dir" --prefix "$prefix" >"$tmp/install.log" || { cat "$tmp/install.log"; fail "cmake --install"; }
	for f in bin/trainmon share/man/man1/trainmon.1 share/man/man5/trainmon-rules.5 \
		share/trainmon/patterns/megatron.yaml share/doc/trainmon/examples/trainmon.yaml \
		share/doc/trainmon/examples/trainmon.service share/doc/trainmon/examples/trainmon-alerts.yml \
		share/doc/trainmon/examples/trainmon-alerts.test.yml share/doc/trainmon/examples/trainmon-grafana.json \
		share/doc/trainmon/examples/trainmon-chains.yml share/doc/trainmon/examples/trainmon-chains.test.yml \
		lib/systemd/system/trainmon.service lib/systemd/system/trainmon@.service \
		share/doc/trainmon/examples/trainmon-fleet.yml share/doc/trainmon/examples/trainmon-daemonset.yaml \
		etc/trainmon/trainmon.yaml; do
		[ -f "$prefix/$f" ] || fail "not installed: $f"
	done
	echo "ok: installed files"
	# the installed binary finds the installed packs by itself
	cd /
	out=$(env -u TRAINMON_PATTERNS "$prefix/bin/trainmon" rules check) || fail "installed rules check: $out"
	echo "ok: installed binary: $out"
	dirs=$(env -u TRAINMON_PATTERNS "$prefix/bin/trainmon" rules list | sed -n 's/.*(\(.*\)\/[^/]*\.yaml)$/\1/p' | sort -u)
	[ "$dirs" = "$prefix/bin/../share/trainmon/patterns" ] || fail "packs loaded from '$dirs', not the installed directory"
	echo "ok: packs loaded from $dirs"
	n_inst=$(ls "$prefix/share/trainmon/patterns"/*.yaml | wc -l)
	n_list=$(env -u TRAINMON_PATTERNS "$prefix/bin/trainmon" rules list | grep -c '\.yaml)$')
	[ "$n_inst" = "$n_list" ] || fail "$n_inst packs installed, $n_list loaded"
	# the unit runs this prefix's binary with this prefix's config
	grep -qx "ExecStart=$prefix/bin/trainmon watch --config $prefix/etc/trainmon/trainmon.yaml \$TRAINMON_DIRS" \
		"$prefix/lib/systemd/system/trainmon.service" || fail "unit ExecStart: $(grep ExecStart= "$prefix/lib/systemd/system/trainmon.service")"
	grep -q "^ExecStart=$prefix/bin/trainmon watch --config $prefix/etc/trainmon/trainmon.yaml --shard %i/" \
		"$prefix/lib/systemd/system/trainmon@.service" || fail "template unit ExecStart: $(grep ExecStart= "$prefix/lib/systemd/system/trainmon@.service")"
	echo "ok: unit paths"
	# the man pages render
	if command -v man >/dev/null; then
		page=$(MANWIDTH=80 man -l "$prefix/share/man/man1/trainmon.1" 2>/dev/null || true)
		grep -q 'trainmon watch' <<<"$page" || fail "man -l trainmon.1"
		page=$(MANWIDTH=80 man -l "$prefix/share/man/man5/trainmon-rules.5" 2>/dev/null || true)
		grep -q 'step_base' <<<"$page" || fail "man -l trainmon-rules.5"
		echo "ok: man pages render"
	fi
	# reinstalling never overwrites an edited config
	echo "# edited" >>"$prefix/etc/trainmon/trainmon.yaml"
	cmake --install "$dir" --prefix "$prefix" >"$tmp/install.log" || fail "second cmake --install"
	tail -1 "$prefix/etc/trainmon/trainmon.yaml" | grep -qx '# edited' || fail "second install overwrote the config"
	echo "ok: the edited config was kept"
	;;
config)
	: "${TRAINMON:?set TRAINMON to the binary}"
	mkdir "$tmp/empty"
	started=
	for _ in $(seq 20); do   # the config listens on 9464: a flag moves it to a free port
		p=$((20000 + RANDOM % 30000))
		"$TRAINMON" watch --config "$dir/etc/trainmon.yaml" --state "$tmp/state.json" \
			--listen "127.0.0.1:$p" "$tmp/empty" >"$tmp/out" 2>"$tmp/err" &
		pid=$!
		deadline=$((SECONDS + 10))
		while [ $SECONDS -lt $deadline ] && kill -0 "$pid" 2>/dev/null; do
			if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
				started=$p
				break 2
			fi
			sleep 0.05
		done
		rc=0
		wait "$pid" || rc=$?
		pid=
		[ "$rc" = 3 ] && grep -q 'in use' "$tmp/err" && continue
		cat "$tmp/err" >&2
		fail "trainmon watch --config etc/trainmon.yaml exited with $rc"
	done
	[ -n "$started" ] || fail "no free port"
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	pid=
	[ "$rc" = 0 ] || fail "exit status $rc after SIGTERM"
	[ ! -s "$tmp/err" ] || { cat "$tmp/err" >&2; fail "diagnostics on stderr"; }
	[ -f "$tmp/state.json" ] || fail "no state saved on exit"
	echo "PASS: etc/trainmon.yaml loads without diagnostics"
	;;
unit)
	command -v systemd-analyze >/dev/null || { echo "SKIP: systemd-analyze not installed"; exit 77; }
	# verify wants ExecStart's binary to exist: point it at one that does
	sed "s#/usr/local/bin/trainmon#${TRAINMON:-/bin/true}#" "$dir/etc/systemd/trainmon.service" >"$tmp/trainmon.service"
	SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "$tmp/trainmon.service" || fail "systemd-analyze verify"
	echo "PASS: systemd-analyze verify etc/systemd/trainmon.service"
	;;
*)
	fail "unknown mode $mode"
	;;
esac

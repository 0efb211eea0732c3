#!/usr/bin/env bash
# man_options.sh: the man pages cannot drift from the binary.
#   options TRAINMON.1   every --option printed by `trainmon --help`, `trainmon help CMD` and
#                        `trainmon CMD --help`, and every command, appears in the page
#   example RULES.5      the rule pack in the page's EXAMPLE section passes `trainmon rules check`
#   lint PAGE...         groff -man -ww reports nothing (skipped when groff is not installed)
# Usage: TRAINMON=path/to/trainmon man_options.sh MODE FILE...
set -euo pipefail
mode=${1:?usage: man_options.sh options|example|lint FILE...}
shift
: "${TRAINMON:?set TRAINMON to the binary}"

# roff source to plain text: \- is a hyphen, font escapes and \& vanish, \e is a backslash
plain() { sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\&//g' -e 's/\\e/\\/g' "$1"; }

case $mode in
options)
	page=$1
	text=$(plain "$page")
	missing=0
	check() {   # check WHERE OPTION
		if ! grep -qE -e "(^|[^a-z0-9-])$2([^a-z0-9-]|\$)" <<<"$text"; then
			echo "$page: $2 (from $1) is not documented" >&2
			missing=$((missing + 1))
		fi
	}
	cmds=$("$TRAINMON" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
	[ -n "$cmds" ] || { echo "no commands in trainmon --help" >&2; exit 1; }
	for o in $("$TRAINMON" --help | grep -oE -e '--[a-z0-9][a-z0-9-]*' | sort -u); do check "trainmon --help" "$o"; done
	n=0
	for c in $cmds; do
		[ "$c" = help ] && continue
		grep -qE -e "^\.(SH|B|TP|BR|BI) .*\b$c\b" <<<"$text" || { echo "$page: command $c is not documented" >&2; missing=$((missing + 1)); }
		opts=$( { "$TRAINMON" help "$c"; "$TRAINMON" "$c" --help; } | grep -oE -e '--[a-z0-9][a-z0-9-]*' | sort -u)
		for o in $opts; do
			check "trainmon $c" "$o"
			n=$((n + 1))
		done
	done
	for s in 0 1 2 3; do
		grep -qE "^\.B $s\$" < <(sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' "$page") ||
			{ echo "$page: exit status $s is not documented" >&2; missing=$((missing + 1)); }
	done
	[ "$missing" = 0 ] || { echo "FAIL: $missing undocumented" >&2; exit 1; }
	echo "PASS: $n options of $(wc -w <<<"$cmds") commands, and exit statuses 0-3, documented in $page"
	;;
example)
	page=$1
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	plain "$page" | sed -n '/^\.SH EXAMPLE/,/^\.SH /p' | sed -n '/^\.nf/,/^\.fi/p' | sed '1d;$d' >"$tmp/example.yaml"
	[ -s "$tmp/example.yaml" ] || { echo "FAIL: no example in $page" >&2; exit 1; }
	"$TRAINMON" rules check --no-default-rules "$tmp/example.yaml"
	;;
lint)
	command -v groff >/dev/null || { echo "SKIP: groff not installed"; exit 77; }
	bad=0
	for page in "$@"; do
		out=$(LC_ALL=C.UTF-8 groff -man -ww -z "$page" 2>&1) || bad=1
		[ -z "$out" ] || { echo "$page: $out" >&2; bad=1; }
	done
	[ "$bad" = 0 ] || { echo "FAIL: groff warnings" >&2; exit 1; }
	echo "PASS: groff -man -ww is silent on $*"
	;;
*)
	echo "usage: man_options.sh options|example|lint FILE..." >&2
	exit 2
	;;
esac

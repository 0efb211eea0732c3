#!/usr/bin/env bash
# run_docs.sh: runs every `$ trainmon ...` command of the ```console blocks in the given Markdown
# files and diffs its stdout against the lines that follow it in the block (up to the next `$ `
# line or the end of the block). `trainmon` resolves to $TRAINMON through a PATH entry, so pipes
# and redirections in a command work as written. A command line ending in `\` continues on the
# next line. Runs with LC_ALL=C TZ=UTC in the directory of each Markdown file.
# Exit 0 only if every command's output matches; prints "N passed, N failed" at the end.
set -u

if [ $# -eq 0 ]; then
	echo "usage: TRAINMON=/path/to/trainmon run_docs.sh docs/FILE.md..." >&2
	exit 2
fi
if [ -z "${TRAINMON:-}" ] || [ ! -x "$TRAINMON" ]; then
	echo "run_docs.sh: set TRAINMON to the built trainmon binary" >&2
	exit 2
fi

bindir=$(mktemp -d)
trap 'rm -rf "$bindir"' EXIT
ln -s "$(cd "$(dirname "$TRAINMON")" && pwd)/$(basename "$TRAINMON")" "$bindir/trainmon"
export PATH="$bindir:$PATH" LC_ALL=C TZ=UTC

passed=0
failed=0

# check FILE LINE CMD EXPECTED: runs one command, compares, counts.
check() {
	local file=$1 line=$2 cmd=$3 expected=$4 actual
	actual=$(cd "$(dirname "$file")" && bash -c "$cmd" 2>/dev/null; printf x)
	actual=${actual%x}
	if [ "$actual" == "$expected" ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL $file:$line: \$ $cmd"
		diff <(printf '%s' "$expected") <(printf '%s' "$actual") | head -40
	fi
}

for file in "$@"; do
	if [ ! -r "$file" ]; then
		echo "run_docs.sh: cannot read $file" >&2
		failed=$((failed + 1))
		continue
	fi
	in_block=0 cmd="" cmd_line=0 expected="" continuing=0 n=0
	while IFS= read -r l || [ -n "$l" ]; do
		n=$((n + 1))
		if [ $in_block -eq 0 ]; then
			[[ "$l" == '```console'* ]] && in_block=1
			continue
		fi
		if [[ "$l" == '```'* ]]; then
			[ -n "$cmd" ] && check "$file" "$cmd_line" "$cmd" "$expected"
			in_block=0 cmd="" expected="" continuing=0
			continue
		fi
		if [ $continuing -eq 1 ]; then
			cmd="${cmd%\\}${l}"
			[[ "$l" == *\\ ]] || continuing=0
			continue
		fi
		if [[ "$l" == '$ '* ]]; then
			[ -n "$cmd" ] && check "$file" "$cmd_line" "$cmd" "$expected"
			cmd="" expected=""
			if [[ "$l" == '$ trainmon'* ]]; then
				cmd=${l#'$ '}
				cmd_line=$n
				[[ "$l" == *\\ ]] && continuing=1
			fi
			continue
		fi
		[ -n "$cmd" ] && expected+="$l"$'\n'
	done < "$file"
	if [ $in_block -eq 1 ]; then
		echo "run_docs.sh: $file: unterminated \`\`\`console block" >&2
		failed=$((failed + 1))
	fi
done

echo "$passed passed, $failed failed"
[ $failed -eq 0 ] && [ $passed -gt 0 ]

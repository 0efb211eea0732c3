#!/usr/bin/env bash
# check_includes.sh: the quoted-include graph of src/ and include/ has no cycle between modules,
# and no header in include/ (the public contract) includes a header of src/ (internals).
# A module is a file's basename without .c/.h: a .c including its own .h is no edge, and neither is
# src/daemon.h (internals) including include/trainmon/daemon.h (contract). One file has another
# name than its module: vocab.c implements rules.h's vocabulary (tm_field_name, ...), so it is
# module rules; and a module's internal header X_int.h (shared by the files of module X, e.g.
# opt_int.h by opt.c, opt_config.c and opt_help.c) is module X. Cycles are found by tsort(1), which names the modules of each loop it meets.
# Usage: check_includes.sh [SOURCE_DIR]   (default: the directory above this script)
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"

# module FILE: sets mod to the basename without extension, with the one alias above
module() {
	mod=${1##*/}
	mod=${mod%.*}
	mod=${mod%_int}
	[ "$mod" = vocab ] && mod=rules
	return 0
}

status=0
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT

for f in src/*.c src/*.h include/trainmon/*.h; do
	[ -e "$f" ] || continue
	module "$f"
	from=$mod
	while IFS= read -r inc; do
		module "$inc"
		to=$mod
		# a public header may include only public headers (trainmon/...)
		if [[ $f == include/* && $inc != trainmon/* ]]; then
			echo "check_includes: $f includes \"$inc\", which is not a public header" >&2
			status=1
		fi
		[ "$from" = "$to" ] || echo "$from $to"
	done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
	echo "$from $from"              # every module is a node, even with no edges
done | sort -u >"$edges"

if ! out=$(tsort "$edges" 2>&1 >/dev/null) || [ -n "$out" ]; then
	if grep -q "loop" <<<"$out"; then
		echo "check_includes: include cycle between modules:" >&2
		grep -v "input contains a loop" <<<"$out" | sed 's/^tsort: /  /' >&2
		status=1
	fi
fi
[ $status -eq 0 ] && echo "check_includes: $(wc -l <"$edges") module pairs, no cycle, include/ is self-contained"
exit $status

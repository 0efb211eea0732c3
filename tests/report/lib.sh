# lib.sh: what the report tests share: a scratch directory, a headless Chromium that makes no
# request of its own, and the checks of a page it loaded. Sourced by the tests in this directory.
#   TRAINMON      the binary under test
#   TM_ARTIFACTS  where screenshots and dumped DOMs are kept (a directory of the build)
set -euo pipefail
: "${TRAINMON:?set TRAINMON to the trainmon binary}"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
check="python3 $here/check_html.py"
art=${TM_ARTIFACTS:-$PWD/report-artifacts}
mkdir -p "$art"
tmp=$(mktemp -d)
trap '[ -n "${TM_KEEP:-}" ] || rm -rf "$tmp"' EXIT
export LC_ALL=C TZ=UTC

fail() { echo "FAIL: $*" >&2; exit 1; }

need_chromium() {
	for c in chromium chromium-browser google-chrome; do
		if command -v "$c" >/dev/null; then chrome=$c; return 0; fi
	done
	echo "SKIP: no chromium (scripts/deps.sh --test installs Debian's)"
	exit 77
}

# chrome_run OUT_PREFIX URL ARGS...: headless, as root in CI (no sandbox), a profile of its own,
# Chromium's own background traffic off and every host name unresolvable, the page's network
# activity in OUT_PREFIX.netlog.json and its console in OUT_PREFIX.log.
chrome_run() {
	local out=$1 url=$2
	shift 2
	timeout 120 "$chrome" --no-sandbox --headless=new --disable-gpu --hide-scrollbars --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync --disable-default-apps \
		--disable-extensions --no-pings --host-resolver-rules="MAP * ~NOTFOUND" \
		--user-data-dir="$tmp/profile" --enable-logging=stderr --v=0 \
		--log-net-log="$out.netlog.json" "$@" "$url" 2>"$out.log"
}

# page_ok OUT_PREFIX: the page loaded without a console message or a refused load, and asked
# for nothing over the network.
page_ok() {
	if grep -E 'CONSOLE|Refused to|Uncaught|Content Security Policy' "$1.log"; then
		fail "the browser reported errors for the page ($1.log)"
	fi
	$check netlog "$1.netlog.json" || fail "the page made network requests"
}

# chart_counts JSON: "charts paths points" of check_html.py strict's output
chart_counts() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); c=d["charts"]; print(len(c), sum(len(x["points"]) for x in c), sum(sum(x["points"]) for x in c))' "$1"
}

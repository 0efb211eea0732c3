#!/usr/bin/env bash
# soak.sh [SECONDS] [SEED]: runs bench/soak.py (default one hour) against the built trainmon,
# once with inotify and, with SOAK_POLL=1, with --poll. Not part of CI; see soak.py for what it
# checks, and docs/design.md for its latest figures.
set -euo pipefail
cd "$(dirname "$0")/.."
export TRAINMON=${TRAINMON:-$PWD/build/trainmon}
export TRAINMON_PATTERNS=$PWD/patterns
[ -x "$TRAINMON" ] || { echo "build trainmon first (or set TRAINMON)" >&2; exit 2; }
args=(--seconds "${1:-3600}" --seed "${2:-1}")
[ "${SOAK_POLL:-0}" = 1 ] && args+=(--poll)
exec python3 bench/soak.py "${args[@]}"

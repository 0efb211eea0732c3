#!/usr/bin/env bash
# deps.sh: installs what trainmon needs to build (and, with --test, to run its whole test suite)
# from Debian's packages. Installs only what is missing; needs root (or sudo) for apt-get.
set -euo pipefail
build_pkgs=(cmake gcc make pkg-config libpcre2-dev libyaml-dev libmicrohttpd-dev libncurses-dev libcurl4-openssl-dev)
test_pkgs=()
if [ "${1:-}" = "--test" ]; then
  test_pkgs=(python3 jq curl prometheus prometheus-alertmanager groff-base tmux chromium)
  # node and npm for tests/fleet/kubernetes.sh (the Kubernetes schemas come from npm), unless a
  # Node.js is installed already (another distribution's nodejs bundles npm and conflicts)
  command -v npm >/dev/null || test_pkgs+=(nodejs npm)
fi
missing=()
for p in "${build_pkgs[@]}" "${test_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "deps.sh: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

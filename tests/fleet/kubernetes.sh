#!/usr/bin/env bash
# kubernetes.sh: etc/kubernetes validated against the Kubernetes API's schemas with npm's
# kubernetes-models and @kubernetes-models/prometheus-operator (k8s_validate.mjs: the schemas,
# plus the properties the manifests promise, by name); a manifest broken on purpose must fail;
# and the config the DaemonSet's ConfigMap holds starts `trainmon watch`. The npm packages are
# installed (pinned versions) into NPM_DIR on first use; without node/npm, Debian's nodejs and
# npm are installed when we are root (scripts/deps.sh --test does the same). Skips (77) when
# either cannot be installed (offline).
# Usage: TRAINMON=... NPM_DIR=DIR kubernetes.sh SOURCE_DIR
set -euo pipefail
src=${1:?usage: kubernetes.sh SOURCE_DIR}
: "${NPM_DIR:?set NPM_DIR to a directory for the npm packages}"
. "$(dirname "$0")/lib.sh"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null 2>&1 || true
	fi
	command -v node >/dev/null && command -v npm >/dev/null || { echo "SKIP: node and npm not installed and not installable"; exit 77; }
fi
pkgs=(kubernetes-models@4.5.1 @kubernetes-models/prometheus-operator@4.4.4 yaml@2.8.1)
mkdir -p "$NPM_DIR"
if [ ! -f "$NPM_DIR/.installed" ] || [ "$(cat "$NPM_DIR/.installed")" != "${pkgs[*]}" ]; then
	[ -f "$NPM_DIR/package.json" ] || echo '{"name": "trainmon-k8s-validate", "private": true}' >"$NPM_DIR/package.json"
	if ! (cd "$NPM_DIR" && timeout 300 npm install --no-audit --no-fund --silent "${pkgs[@]}") >"$tmp/npm.log" 2>&1; then
		tail -5 "$tmp/npm.log"
		echo "SKIP: npm install ${pkgs[*]} failed (offline?)"
		exit 77
	fi
	echo "${pkgs[*]}" >"$NPM_DIR/.installed"
fi
cp "$(dirname "$0")/k8s_validate.mjs" "$NPM_DIR/"
node "$NPM_DIR/k8s_validate.mjs" "$src"/etc/kubernetes/*.yaml || fail "etc/kubernetes does not validate"

# the validator catches a broken manifest: a port as text, a writable host mount, no probe
sed 's/containerPort: 9464/containerPort: metrics9464/; 0,/readOnly: true/s//readOnly: false/; s/livenessProbe:/livenessProbeX:/' \
	"$src/etc/kubernetes/trainmon-daemonset.yaml" >"$tmp/broken.yaml"
node "$NPM_DIR/k8s_validate.mjs" "$tmp/broken.yaml" >"$tmp/broken.out" && fail "a broken DaemonSet validated"
for want in "containerPort must be integer" "/var/log/pods is mounted writable" "no HTTP livenessProbe"; do
	grep -q "$want" "$tmp/broken.out" || { cat "$tmp/broken.out"; fail "the broken DaemonSet: no '$want'"; }
done
echo "ok: a broken DaemonSet is refused"

# the ConfigMap's trainmon.yaml starts the daemon (loopback instead of 0.0.0.0, a port of ours)
python3 - "$src/etc/kubernetes/trainmon-daemonset.yaml" >"$tmp/cfg.yaml" <<'PY'
import re, sys
m = re.search(r'trainmon\.yaml: \|\n((?:    .*\n|\n)+)', open(sys.argv[1]).read())
print('\n'.join(l[4:] for l in m.group(1).splitlines()))
PY
grep -q 'listen: 0.0.0.0:9464' "$tmp/cfg.yaml" || fail "the ConfigMap's config does not listen on 0.0.0.0:9464"
sed -i '/listen: 0.0.0.0:9464/d' "$tmp/cfg.yaml"
mkdir -p "$tmp/pods/ml_p-0_u1/c"
printf '2024-05-01T10:00:00.000000000Z stdout F hello\n' >"$tmp/pods/ml_p-0_u1/c/0.log"
start_daemon k8s --config "$tmp/cfg.yaml" --quiet "$tmp/pods"
deadline=$((SECONDS + 20))
until scrape k8s | grep -q '^trainmon_run_steps_total{cluster="example-cluster",run="ml/p-0/c",.*namespace="ml",pod="p-0",container="c"}'; do
	[ $SECONDS -lt $deadline ] || { scrape k8s | grep run_steps >&2 || true; fail "the pod log is not a run ml/p-0/c with its labels"; }
	sleep 0.2
done
stop_daemon k8s
[ ! -s "$tmp/err.k8s" ] || fail "trainmon wrote to stderr"
echo "ok: the ConfigMap's config starts trainmon watch; the pod log is run ml/p-0/c"
echo PASS

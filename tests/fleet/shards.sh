#!/usr/bin/env bash
# shards.sh: three real daemons (--shard 0/3, 1/3, 2/3) over one tree of 64 logs: Slurm chains
# (llama-7b-<jobid>.out segments in one directory), Slurm's default slurm-<jobid>.out names, rank
# logs, and Kubernetes pod logs (/var/log/pods layout, CRI lines, a container restart). Checks:
# every file is followed by exactly one daemon (the file labels of their /metrics); the segments
# of a chain and the restarts of a container stay on one daemon, also for files made later; a
# daemon holds no fd of a file that is not its share (/proc/PID/fd); each file's shard is the
# documented function (jump hash of FNV-1a 64 of the chain key, recomputed here in Python);
# trainmon_shard_info and the --label on every series; bad --shard, --label, --chain-by and
# labels: values refused with exit status 2 (1 for the config). Usage: TRAINMON=... shards.sh SOURCE_DIR
set -euo pipefail
src=${1:?usage: shards.sh SOURCE_DIR}
. "$(dirname "$0")/lib.sh"

tree="$tmp/tree"
line='iteration       10/    5000 | consumed samples:         5120 | elapsed time per iteration (ms): 2158.3 | learning rate: 1.500E-05 | global batch size:   512 | lm loss: 9.853532E+00 | loss scale: 4096.0 | grad norm: 2.347 | number of skipped iterations:   0 | number of nan iterations:   0 |'
cri() { printf '2024-05-01T10:00:00.000000000Z stdout F %s\n' "$line"; }
for e in 1 2 3 4 5 6; do                       # 6 chains of 3 segments: 18
	mkdir -p "$tree/exp$e"
	for j in 1 2 3; do echo "$line" >"$tree/exp$e/llama-7b-$((4417000 + e * 10 + j)).out"; done
done
for j in $(seq 1 12); do echo "$line" >"$tree/slurm-$((5000000 + j)).out"; done     # 12
mkdir -p "$tree/rankrun"
for r in $(seq 0 7); do echo "$line" >"$tree/rankrun/rank$r.log"; done             # 8
mkdir -p "$tree/pods"
for p in $(seq 0 12); do                       # 13 pods, each container restarted once: 26
	d="$tree/pods/ml_llama-$p-0_0f1e2d3c-$p/trainer"
	mkdir -p "$d"
	cri >"$d/0.log"
	cri >"$d/1.log"
done
total=$(find "$tree" -type f | wc -l)
[ "$total" = 64 ] || fail "tree has $total files, want 64"

# usage errors (exit 2) and a config error (exit 1), with their messages
usage() {
	local want=$1 rc=0
	shift
	"$TRAINMON" watch "$@" "$tree" >/dev/null 2>"$tmp/usage.err" || rc=$?
	[ "$rc" = "$want" ] && grep -q . "$tmp/usage.err" || fail "trainmon watch $*: exit $rc, want $want: $(cat "$tmp/usage.err")"
}
usage 2 --shard 3/3
usage 2 --shard 1/0
usage 2 --shard x
usage 2 --label run=x
usage 2 --label 9x=y
usage 2 --chain a --chain-by b
usage 2 --chain-by '(x'
printf 'labels:\n  file: x\n' >"$tmp/bad.yaml"
usage 1 --config "$tmp/bad.yaml"
grep -q "bad.yaml:2:3: error: labels: 'file' is a label trainmon's own series carry" "$tmp/usage.err" ||
	fail "labels: file: $(cat "$tmp/usage.err")"
echo "ok: bad --shard, --label, --chain/--chain-by and labels: are refused"

for i in 0 1 2; do
	start_daemon "s$i" --quiet --recursive --shard "$i/3" --label cluster=test --rotate-wait 1 "$tree"
done
echo "ok: 3 daemons on ports $PORT_s0 $PORT_s1 $PORT_s2"

# wait until the three follow 64 files between them
deadline=$((SECONDS + 60))
while :; do
	n=0
	for i in 0 1 2; do n=$((n + $(files_of "s$i" | wc -l))); done
	[ "$n" -ge "$total" ] && break
	[ $SECONDS -lt $deadline ] || fail "the daemons follow $n files between them after 60 s, want $total"
	sleep 0.2
done

# check: every file exactly once; chains and container restarts on one daemon; the documented
# hash; no fd of another shard's file
check() {
	local want=$1
	for i in 0 1 2; do files_of "s$i" | sed "s/^/$i /" ; done >"$tmp/owned"
	python3 - "$tree" "$want" "$tmp/owned" <<'PY' || fail "ownership (above)"
import os, re, sys
tree, want, owned = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def fnv(b):
    h = 14695981039346656037
    for c in b:
        h = ((h ^ c) * 1099511628211) % 2**64
    return h
def jump(key, n):
    b, j = -1, 0
    while j < n:
        b = j
        key = (key * 2862933555777941757 + 1) % 2**64
        j = int((b + 1) * (float(1 << 31) / float((key >> 33) + 1)))
    return b
def chain_key(path):            # the documented default (docs/scaling.md), for this tree's names
    rel = os.path.relpath(path, tree)
    m = re.match(r'pods/([^_/]+)_([^/]+)_[^_/]+/([^/]+)/\d+\.log$', rel)
    if m:
        return '%s/%s/%s' % m.groups()
    d, name = os.path.split(rel)
    stem = re.sub(r'\.[A-Za-z0-9]+$', '', name)
    job = re.sub(r'[-_]\d+$', '', stem)
    if job == 'slurm':
        job = stem
    return (d + '/' if d else '') + job
files = sorted(os.path.join(r, f) for r, _, fs in os.walk(tree) for f in fs)
by = {}
for l in open(owned):
    i, f = l.rstrip('\n').split(' ', 1)
    by.setdefault(f, []).append(int(i))
bad = 0
for f in files:
    got = by.get(f, [])
    if len(got) != 1:
        print('FAIL: %s followed by %d daemons %s' % (f, len(got), got)); bad += 1; continue
    want_shard = jump(fnv(chain_key(f).encode()), 3)
    if got[0] != want_shard:
        print('FAIL: %s (key %s) on shard %d, the documented hash says %d' % (f, chain_key(f), got[0], want_shard)); bad += 1
extra = set(by) - set(files)
for f in extra:
    print('FAIL: %s followed but not in the tree' % f); bad += 1
keys = {}
for f in files:
    keys.setdefault(chain_key(f), set()).update(by.get(f, []))
split = [k for k, s in keys.items() if len(s) > 1]
if split:
    print('FAIL: chains split over shards:', split); bad += 1
share = [sum(1 for v in by.values() if v == [i]) for i in range(3)]
if len(files) != want:
    print('FAIL: %d files in the tree, want %d' % (len(files), want)); bad += 1
print('ok: %d files, each on one daemon (%s), %d chain keys, none split' % (len(files), '/'.join(map(str, share)), len(keys)))
sys.exit(1 if bad else 0)
PY
	for i in 0 1 2; do
		v="PID_s$i"
		for fd in /proc/${!v}/fd/*; do readlink "$fd" 2>/dev/null || true; done | grep "^$tree/" | sort -u >"$tmp/fds.$i" || true
		grep "^$i " "$tmp/owned" | cut -d' ' -f2- | sort >"$tmp/mine.$i"
		[ -s "$tmp/fds.$i" ] || fail "daemon $i holds no fd of the tree (is /proc readable?)"
		if comm -23 "$tmp/fds.$i" "$tmp/mine.$i" | grep -q .; then
			fail "daemon $i holds fds of files that are not its share: $(comm -23 "$tmp/fds.$i" "$tmp/mine.$i" | head -3)"
		fi
	done
	echo "ok: no daemon holds an fd of another shard's file"
}
check 64

# files made while running: a new segment of chain exp3, a third restart of a container, a new
# job: each lands on one daemon, a chain's on the daemon of its other segments
echo "$line" >"$tree/exp3/llama-7b-4417099.out"
cri >"$tree/pods/ml_llama-4-0_0f1e2d3c-4/trainer/2.log"
echo "$line" >"$tree/slurm-5000099.out"
deadline=$((SECONDS + 60))
while :; do
	n=0
	for i in 0 1 2; do n=$((n + $(files_of "s$i" | wc -l))); done
	[ "$n" -ge 67 ] && break
	[ $SECONDS -lt $deadline ] || fail "after 3 new files the daemons follow $n, want 67"
	sleep 0.2
done
check 67

for i in 0 1 2; do
	m=$(scrape "s$i")
	grep -qx "trainmon_shard_info{cluster=\"test\",shard=\"$i\",shards=\"3\"} 1" <<<"$m" || fail "s$i: no shard_info"
	if grep -v '^#' <<<"$m" | grep -v '^$' | grep -vq 'cluster="test"'; then
		fail "s$i: a series without the static label: $(grep -v '^#' <<<"$m" | grep -v 'cluster="test"' | head -1)"
	fi
	grep -q 'trainmon_run_steps_total{cluster="test",run="ml/llama-' <<<"$m" || [ "$(grep -c 'pods/' "$tmp/mine.$i")" = 0 ] ||
		fail "s$i: pod runs are not named namespace/pod/container"
done
echo "ok: trainmon_shard_info, the cluster label on every series, pod runs named namespace/pod/container"
if command -v promtool >/dev/null; then
	scrape s0 | promtool check metrics || fail "promtool check metrics"
	echo "ok: promtool check metrics"
fi
for i in 0 1 2; do stop_daemon "s$i"; done
pids=()
echo PASS

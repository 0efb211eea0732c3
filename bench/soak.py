#!/usr/bin/env python3
"""soak.py: `trainmon watch` for a long time against a hostile writer, then an audit.

The writer keeps several Megatron-style logs growing and, at random, rotates one by rename
(train.log -> train.log.1 -> train.log.2 ..., every generation kept; names the glob does not
match, so only the daemon's own rotation handling can read what was still unread), copytruncates one (after the daemon has
read it, so no line is inherently lost), creates and later deletes short-lived job files (Slurm
churn), scrapes /metrics, sends SIGHUP, and restarts the daemon: cleanly (SIGTERM) or with
kill -9. Every line carries a unique id; the daemon runs with --trace-lines, so its --jsonl
output names every line it read.

Audit at the end:
  * every line written is read at least once (none missing);
  * lines read twice are counted; they are allowed only after a kill -9 (the lines after the
    last state save are read again: at-least-once), and are reported per kind of restart;
  * RSS (VmRSS) and open fds of the daemon, sampled every 10 s, do not grow: the last third's
    mean against the first third's, and the peak (runs keep 1000 step records, --max-steps, so
    RSS measures leaks, not the log's length);
  * every scrape answered within 2 s.

Usage: soak.py [--seconds N] [--seed S] [--poll]   (TRAINMON=path/to/trainmon, default build/)
Exit 0 when the audit passes. Talks to 127.0.0.1 only. Not part of CI (it runs for an hour by
default); docs/design.md quotes its figures.
"""
import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    def __init__(self, binary, work, poll):
        self.binary, self.work, self.poll = binary, work, poll
        self.proc = None
        self.port = None
        self.starts = 0

    def start(self):
        self.port = free_port()
        args = [self.binary, "watch", "--quiet", "--trace-lines",
                "--jsonl", os.path.join(self.work, "out.%d.jsonl" % self.starts),
                "--state", os.path.join(self.work, "state"), "--state-every", "2",
                "--rotate-wait", "0.5", "--expire", "5", "--max-steps", "1000",
                "--listen", "127.0.0.1:%d" % self.port, os.path.join(self.work, "logs")]
        if self.poll:
            args[2:2] = ["--poll", "0.2"]
        self.proc = subprocess.Popen(args, stderr=open(os.path.join(self.work, "err.%d" % self.starts), "w"))
        self.starts += 1
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.scrape(timeout=0.5) is not None:
                return
            time.sleep(0.05)
        raise SystemExit("soak: the daemon did not answer /metrics within 10 s")

    def scrape(self, timeout=2.0):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.port, timeout=timeout) as r:
                return r.read().decode("utf-8", "replace")
        except OSError:
            return None

    def stop(self, sig):
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise SystemExit("soak: the daemon did not stop within 15 s of signal %d" % sig)

    def sample(self):
        pid = self.proc.pid
        try:
            with open("/proc/%d/status" % pid) as f:
                rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
            fds = len(os.listdir("/proc/%d/fd" % pid))
        except (OSError, StopIteration):
            return None
        return rss, fds


class Audit:
    """Line ids the daemon reported, with their counts, over every run's --jsonl; read
    incrementally (each file from where the last call stopped, whole lines only)."""

    def __init__(self, work):
        self.work = work
        self.offsets = {}
        self.seen = {}

    def update(self):
        for name in sorted(os.listdir(self.work)):
            if not name.startswith("out."):
                continue
            path = os.path.join(self.work, name)
            with open(path, "rb") as f:
                f.seek(self.offsets.get(name, 0))
                data = f.read()
            end = data.rfind(b"\n") + 1
            self.offsets[name] = self.offsets.get(name, 0) + end
            for raw in data[:end].splitlines():
                try:
                    obj = json.loads(raw)
                except ValueError:
                    continue           # a record cut by kill -9 (the at-least-once window)
                if obj.get("type") != "line":
                    continue
                text = obj.get("text", "")
                k = text.find(" id=")
                if k >= 0:
                    ident = text[k + 4:].split()[0]
                    self.seen[ident] = self.seen.get(ident, 0) + 1
        return self.seen


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3600)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--poll", action="store_true")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    binary = os.environ.get("TRAINMON", os.path.join(os.path.dirname(__file__), "..", "build", "trainmon"))
    work = tempfile.mkdtemp(prefix="trainmon-soak.")
    logs = os.path.join(work, "logs")
    os.mkdir(logs)
    d = Daemon(binary, work, a.poll)
    written = {}                       # id -> file name at write time
    live = {"train%d.log" % i: 0 for i in range(4)}    # name -> next iteration
    churn = {}                         # name -> time of last write
    counts = {"rotate": 0, "copytruncate": 0, "churn": 0, "hup": 0, "term": 0, "kill9": 0,
              "scrapes": 0, "slow_scrapes": 0}
    samples = []
    seq = 0

    def write(name, n):
        nonlocal seq
        path = os.path.join(logs, name)
        with open(path, "a") as f:
            for _ in range(n):
                it = live.get(name, 0) + 1
                if name in live:
                    live[name] = it
                seq += 1
                ident = "%s-%d" % (name, seq)
                f.write(" iteration %8d/ 1000000 | consumed samples: %d | elapsed time per iteration (ms): "
                        "%.1f | learning rate: 1.0E-04 | lm loss: 2.5E+00 | id=%s\n"
                        % (it, it * 512, 1000 + rnd.random() * 50, ident))
                written[ident] = name

    audit = Audit(work)

    def caught_up():
        """Waits (bounded) until the daemon reported every line written so far."""
        deadline = time.time() + 20
        while time.time() < deadline:
            seen = audit.update()
            if all(k in seen for k in written):
                return True
            time.sleep(0.2)
        return False

    d.start()
    t0 = time.time()
    last_sample = 0.0
    try:
        while time.time() - t0 < a.seconds:
            for name in list(live):
                write(name, rnd.randint(1, 20))
            for name in list(churn):
                if time.time() - churn[name] > 5:
                    os.unlink(os.path.join(logs, name))
                    del churn[name]
            r = rnd.random()
            if r < 0.05:                                  # rename rotation
                name = rnd.choice(list(live))
                base = os.path.join(logs, name)
                top = 1                               # keep every generation: a writer that
                while os.path.exists("%s.%d" % (base, top)):   # deleted the oldest would lose
                    top += 1                          # lines the daemon had no chance to read
                for g in range(top - 1, 0, -1):
                    os.replace("%s.%d" % (base, g), "%s.%d" % (base, g + 1))
                os.replace(base, base + ".1")
                counts["rotate"] += 1
            elif r < 0.07:                                # copytruncate, once everything was read
                if caught_up():
                    name = rnd.choice(list(live))
                    base = os.path.join(logs, name)
                    shutil.copyfile(base, base + ".copy")
                    os.truncate(base, 0)
                    counts["copytruncate"] += 1
            elif r < 0.17:                                # Slurm churn
                name = "slurm-%d.out" % (1000000 + seq)
                write(name, rnd.randint(1, 50))
                churn[name] = time.time()
                counts["churn"] += 1
            elif r < 0.19:
                d.proc.send_signal(signal.SIGHUP)
                counts["hup"] += 1
            elif r < 0.20:
                d.stop(signal.SIGTERM)
                counts["term"] += 1
                d.start()
            elif r < 0.21:
                d.stop(signal.SIGKILL)
                counts["kill9"] += 1
                d.start()
            t = time.time()
            body = d.scrape(timeout=2.0)
            counts["scrapes"] += 1
            if body is None or time.time() - t > 2.0:
                counts["slow_scrapes"] += 1
            if time.time() - last_sample >= 10:
                s = d.sample()
                if s:
                    samples.append((time.time() - t0, s[0], s[1]))
                last_sample = time.time()
            time.sleep(0.1)
        caught_up()
        d.stop(signal.SIGTERM)
    finally:
        if d.proc and d.proc.poll() is None:
            d.proc.kill()
    seen = audit.update()
    missing = [k for k in written if k not in seen]
    dup = sum(1 for k in written if seen.get(k, 0) > 1)
    third = max(1, len(samples) // 3)
    first = samples[:third]
    last = samples[-third:]
    mean = lambda xs, i: sum(x[i] for x in xs) / len(xs) if xs else float("nan")
    print("soak: %.0f s, seed %d, %s" % (time.time() - t0, a.seed, "poll" if a.poll else "inotify"))
    print("soak: lines written %d, read %d distinct, missing %d, read twice or more %d" %
          (len(written), len(written) - len(missing), len(missing), dup))
    print("soak: events " + ", ".join("%s %d" % kv for kv in counts.items()))
    if samples:
        print("soak: RSS KiB first third %.0f, last third %.0f, peak %d; fds first %.1f, last %.1f, peak %d" %
              (mean(first, 1), mean(last, 1), max(s[1] for s in samples),
               mean(first, 2), mean(last, 2), max(s[2] for s in samples)))
    ok = not missing and counts["slow_scrapes"] == 0
    if dup and counts["kill9"] == 0:
        ok = False
        print("soak: lines read twice without a kill -9")
    if samples and len(samples) >= 6 and mean(last, 1) > 1.5 * mean(first, 1) + 2048:
        ok = False
        print("soak: RSS grew")
    if samples and len(samples) >= 6 and mean(last, 2) > mean(first, 2) + 8:
        ok = False
        print("soak: open fds grew")
    for k in missing[:10]:
        print("soak: missing %s (from %s)" % (k, written[k]))
    print("soak: %s (work directory %s)" % ("PASS" if ok else "FAIL", work))
    if ok:
        shutil.rmtree(work)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""watch_lag.py: can `trainmon watch` keep up with a log written at RATE MB/s (issue 15: 200)?

A writer appends SOURCE (a log made by bench/gen_log.sh) to a followed file at RATE MB/s, in
1 MiB writes cut anywhere (lines split across writes), paced against the clock. Meanwhile the
daemon's /metrics is read every 50 ms: trainmon_run_steps_total is the number of step lines it
has counted. The lag at a scrape is the age of the oldest step line written and not yet counted
(0 when every written one is): the time since the write that completed that line, taken when
the scrape's answer arrived (so an answer delayed by a busy daemon only adds to it).

Prints the writing rate achieved, the lag's median, p99 and maximum over the scrapes while
writing, and how long after the last write every step was counted.

Usage: watch_lag.py SOURCE [RATE_MB_S]   (TRAINMON=path/to/trainmon, default build/trainmon;
TRAINMON_PATTERNS as for the daemon). Talks to 127.0.0.1 only.
"""
import bisect
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

LITERAL = b"elapsed time per iteration"
CHUNK = 1 << 20


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def steps_counted(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    return sum(float(m.group(1)) for m in re.finditer(r"^trainmon_run_steps_total\{[^}]*\} (\S+)$", text, re.M))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    src = sys.argv[1]
    rate = float(sys.argv[2]) if len(sys.argv) > 2 else 200.0
    binary = os.environ.get("TRAINMON", "build/trainmon")
    data = open(src, "rb").read()
    # the end offset of every step line: step k (1-based) is complete once ends[k-1] bytes are written
    ends, at = [], 0
    while True:
        i = data.find(LITERAL, at)
        if i < 0:
            break
        nl = data.find(b"\n", i)
        ends.append(len(data) if nl < 0 else nl + 1)
        at = i + len(LITERAL)
    work = tempfile.mkdtemp()
    log = os.path.join(work, "train.out")
    open(log, "wb").close()
    port = free_port()
    daemon = subprocess.Popen([binary, "watch", "--quiet", "--listen", f"127.0.0.1:{port}", work],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 10
        while True:
            try:
                steps_counted(port)
                break
            except OSError:
                if time.time() > deadline or daemon.poll() is not None:
                    sys.exit("the daemon did not answer /metrics")
                time.sleep(0.05)
        # the writer is a process of its own (no lock shared with the scrapes); it reports
        # (bytes written, time the write returned) per write through a pipe
        rfd, wfd = os.pipe()
        t_start = time.monotonic()
        pid = os.fork()
        if pid == 0:
            os.close(rfd)
            fd = os.open(log, os.O_WRONLY | os.O_APPEND)
            view = memoryview(data)
            for off in range(0, len(data), CHUNK):
                due = t_start + off / (rate * 1e6)
                now = time.monotonic()
                if due > now:
                    time.sleep(due - now)
                os.write(fd, view[off:off + CHUNK])
                os.write(wfd, f"{min(off + CHUNK, len(data))} {time.monotonic()!r}\n".encode())
            os._exit(0)
        os.close(wfd)
        written = []
        reports = os.fdopen(rfd, "r")

        def collect():
            for line in reports:
                b, t = line.split()
                written.append((int(b), float(t)))

        th = threading.Thread(target=collect)
        th.start()
        lags = []
        while th.is_alive():
            n = int(steps_counted(port))
            t = time.monotonic()
            snap = list(written)
            # steps complete in what was written so far, and when the oldest uncounted one was
            k = bisect.bisect_right(ends, snap[-1][0]) if snap else 0
            if n < k:
                need = ends[n]          # bytes that complete step n + 1
                j = bisect.bisect_left([b for b, _ in snap], need)
                lags.append(t - snap[j][1])
            else:
                lags.append(0.0)
            time.sleep(0.05)
        th.join()
        os.waitpid(pid, 0)
        t_end = written[-1][1]
        while int(steps_counted(port)) < len(ends):
            if time.monotonic() - t_end > 60:
                sys.exit("the daemon did not count every step within 60 s")
            time.sleep(0.01)
        drain = time.monotonic() - t_end
        lags.sort()
        pct = lambda p: lags[min(len(lags) - 1, int(len(lags) * p / 100))]
        mb = len(data) / 1e6
        print(f"  {mb:.0f} MB ({len(ends)} step lines) written in {t_end - t_start:.2f} s = "
              f"{mb / (t_end - t_start):.0f} MB/s (target {rate:.0f})")
        print(f"  lag of the oldest uncounted step line: median {pct(50) * 1000:.0f} ms, p99 {pct(99) * 1000:.0f} ms, "
              f"max {lags[-1] * 1000:.0f} ms over {len(lags)} scrapes; every step counted {drain * 1000:.0f} ms "
              f"after the last write (target: under 1 s)")
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=10)
        except subprocess.TimeoutExpired:
            daemon.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""latency.py: line-to-metric latency of `trainmon watch`. For each line on stdin: read
trainmon_lines_total from /metrics, append the line to LOG (one write), then poll /metrics every
2 ms until the counter moved; print the latencies in ms, sorted, on one line. Fails (exit 1) when
one takes longer than BOUND_MS. Usage: latency.py METRICS_URL LOG BOUND_MS < lines"""
import sys
import time
import urllib.request


def lines_total(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        for row in r.read().decode().splitlines():
            if row.startswith("trainmon_lines_total "):
                return float(row.split()[1])
    return -1.0


def main():
    url, log, bound = sys.argv[1], sys.argv[2], float(sys.argv[3])
    out = []
    for line in sys.stdin.read().splitlines():
        before = lines_total(url)
        t = time.monotonic()
        with open(log, "a") as f:
            f.write(line + "\n")
        while lines_total(url) <= before:
            if (time.monotonic() - t) * 1000 > bound:
                print("line not on /metrics within %g ms" % bound)
                sys.exit(1)
            time.sleep(0.002)
        out.append((time.monotonic() - t) * 1000)
    print(" ".join("%.1f" % x for x in sorted(out)))


if __name__ == "__main__":
    main()

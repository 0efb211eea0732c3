#!/usr/bin/env python3
"""scale_step_times.py FACTOR < megatron.log > scaled.log

Rewrites every Megatron `elapsed time per iteration (ms): X` field to X * FACTOR (printed with
Megatron's one decimal) and leaves every other byte alone: run B of the compare tests is run A
made FACTOR times slower.
"""
import re
import sys

factor = float(sys.argv[1])
pat = re.compile(r"(elapsed time per iteration \(ms\):\s*)([0-9.]+)")
for line in sys.stdin:
    sys.stdout.write(pat.sub(lambda m: "%s%.1f" % (m.group(1), float(m.group(2)) * factor), line))

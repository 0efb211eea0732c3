#!/usr/bin/env python3
"""gen_anomalies.py DIR: writes the logs of issue 11's "Done when", with fixed seeds, and
DIR/expected.json (per file: its step records, and the anomalies analyze must find).

Megatron-LM iteration lines (megatron/training/training.py, training_log) cut to the fields the
cases need, and its --log-straggler line (megatron/core/utils.py, StragglerDetector.report):
  regression.log    20 000 steps at 2.00 s, 1 % noise, 2.16 s from step 12 000, a checkpoint save
                    every 1000 steps adding 30 s to the next step: one step_time_regression
                    (magnitude 8 % +- 1 %), outliers caused by checkpoint_save, no other
  flat-N.log        the same without the shift or the saves, ten seeds: nothing
  straggler.log     200 steps; 20 straggler reports, rank 13 the slowest at 1.25x in reports
                    5-10 (6 in a row), others a random rank at 1.00-1.05x: one straggler
  outlier.log       the same with rank 13 slow in report 8 only: nothing
  nvrx.log          the straggler case as NVIDIA resiliency-ext prints it (relative scores,
                    node names): one straggler on rank 13, host node-3
  ranks.log         40 steps printed by 4 ranks under torchrun's [rankN]: prefix, rank 2 1.3x
                    slower at steps 10-25: one straggler on rank 2 (against the median rank)
  loss.log          50 000 steps, loss 10 -> 3 with 1 % noise, 4x at step 30 000: one loss_spike
  loss-N.log        the same without the spike, ten seeds: nothing
"""
import json
import os
import random
import sys


def it(step, total, ms=None, loss=None, grad=None):
    s = f" iteration {step:8d}/{total:8d} |"
    if ms is not None:
        s += f" elapsed time per iteration (ms): {ms:.1f} |"
    if loss is not None:
        s += f" lm loss: {loss:.6E} |"
    if grad is not None:
        s += f" grad norm: {grad:.3f} |"
    return s + "\n"


def step_times(path, seed, shift, saves):
    rnd = random.Random(seed)
    with open(path, "w") as f:
        for i in range(1, 20001):
            level = 2.16 if shift and i >= 12000 else 2.00
            t = level * (1 + 0.01 * rnd.gauss(0, 1))
            if saves and i > 1000 and i % 1000 == 1:
                t += 30
            f.write(it(i, 20000, ms=1000 * t))
            if saves and i % 1000 == 0 and i < 20000:
                f.write(f"saving checkpoint at iteration {i:8d} to /ckpt/run in torch_dist format\n")
    return 20000


def straggler(path, seed, slow_reports, nvrx):
    rnd = random.Random(seed)
    with open(path, "w") as f:
        for rep in range(1, 21):
            for i in range(10 * rep - 9, 10 * rep + 1):
                f.write(it(i, 200, ms=2000 * (1 + 0.005 * rnd.gauss(0, 1)), loss=5.0, grad=1.0))
            slow = rep in slow_reports
            rank = 13 if slow else rnd.randrange(16)
            ratio = 1.25 if slow else 1 + 0.05 * rnd.random()
            if not nvrx:
                fast = rnd.choice([r for r in range(16) if r != rank])
                f.write(f"INFO:megatron.core.utils:[2024-04-06 03:{rep:02d}:00] | MnRtt/Rnk: 2000.00ms/{fast} | "
                        f"MxRtt/Rnk: {2000 * ratio:.2f}ms/{rank} | MnPwr/Rnk: 650.00W/1 | MxPwr/Rnk: 700.00W/2 | "
                        f"MnTmp/Rnk: 55.00C/4 | MxTmp/Rnk: 70.00C/5\n")
                continue
            scores = {r: 1 / (1 + 0.04 * rnd.random()) for r in range(16)}
            scores[rank] = 1 / ratio
            f.write("[NeMo I 2024-04-06 03:00:00 straggler_det_callback:158] \nGPU relative performance:\n")
            order = sorted(((s, r) for r, s in scores.items()), reverse=True)
            f.write(" Worst performing 3/16 ranks:\n")
            for s, r in reversed(order[-3:]):
                f.write(f"  Rank={r} Node=node-{r // 4} Score={s:.2f}\n")
            f.write(" Best performing 3/16 ranks:\n")
            for s, r in order[:3]:
                f.write(f"  Rank={r} Node=node-{r // 4} Score={s:.2f}\n")
            f.write("[NeMo I 2024-04-06 03:00:00 straggler_det_callback:166] \nGPU individual performance:\n")
            f.write(f"  Rank=2 Node=node-0 Score=0.50\n")
            f.write("Straggler report processing time: 0.012 sec.\n")
        # a last step closes the last report (an NVRx block has no end line)
        f.write(it(201, 200, ms=2000, loss=5.0, grad=1.0))
    return 201


def ranks(path, seed):
    rnd = random.Random(seed)
    with open(path, "w") as f:
        for i in range(1, 41):
            for r in range(4):
                t = 2000 * (1.3 if r == 2 and 10 <= i <= 25 else 1.0) * (1 + 0.002 * rnd.random())
                f.write(f"[rank{r}]:" + it(i, 40, ms=t))
    return 40


def loss(path, seed, spike):
    rnd = random.Random(seed)
    with open(path, "w") as f:
        for i in range(1, 50001):
            v = (10 - 7 * i / 50000) * (1 + 0.01 * rnd.gauss(0, 1))
            if spike and i == 30000:
                v *= 4
            f.write(it(i, 50000, loss=v))
    return 50000


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    exp = {}
    exp["regression.log"] = {"steps": step_times(os.path.join(d, "regression.log"), 1, True, True),
                             "anomalies": [["step_time_regression", None, -1]]}
    for s in range(1, 11):
        exp[f"flat-{s}.log"] = {"steps": step_times(os.path.join(d, f"flat-{s}.log"), 100 + s, False, False),
                                "anomalies": []}
    six = set(range(5, 11))
    exp["straggler.log"] = {"steps": straggler(os.path.join(d, "straggler.log"), 7, six, False),
                            "anomalies": [["straggler", 50, 13]]}
    exp["outlier.log"] = {"steps": straggler(os.path.join(d, "outlier.log"), 8, {8}, False), "anomalies": []}
    exp["nvrx.log"] = {"steps": straggler(os.path.join(d, "nvrx.log"), 9, six, True),
                       "anomalies": [["straggler", 50, 13]]}
    exp["ranks.log"] = {"steps": ranks(os.path.join(d, "ranks.log"), 10), "anomalies": [["straggler", 10, 2]]}
    exp["loss.log"] = {"steps": loss(os.path.join(d, "loss.log"), 0, True), "anomalies": [["loss_spike", 30000, -1]]}
    for s in range(1, 11):
        exp[f"loss-{s}.log"] = {"steps": loss(os.path.join(d, f"loss-{s}.log"), s, False), "anomalies": []}
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump(exp, f, indent=1)


if __name__ == "__main__":
    main()

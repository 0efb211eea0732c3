#!/usr/bin/env python3
"""Writes the chain sample logs in this directory: Megatron-LM segments of one training run as
Slurm writes them (slurm-<jobid>.out), in the format of Megatron-LM around megatron-core 0.12:
print_datetime() lines, the arguments dump, timestamped iteration lines every log_interval
iterations, checkpoint save/load lines (megatron/training/checkpointing.py) and the
"(min, max) time across ranks (ms):" timer blocks (megatron/core/timers.py).

  slurm-101.out, slurm-102.out  the issue #10 case: 101 saves at step 1000 (save-checkpoint max
                                30 000 ms), runs to 1230 and dies on an NCCL timeout; 102 starts
                                45 min after 101's last line, loads the checkpoint in 60 000 ms,
                                resumes at 1001 and ends on the Slurm time limit. 1 s per step.
  nan-201.out .. nan-203.out    three segments that all die at step 450 with NaN loss, the last
                                two resumed from the step-400 checkpoint.

Run it from anywhere: python3 gen.py. The output is deterministic.
"""
import datetime as dt
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SAVE = "/lus/ckpt/gpt3-1.3b"
GBS, SEQ, LOG_INTERVAL = 512, 2048, 10


def ts(t):
    return t.strftime("%Y-%m-%d %H:%M:%S")


def args_dump(job, train_iters):
    args = {
        "bf16": "True", "data_parallel_size": "64", "ffn_hidden_size": "8192", "fp16": "False",
        "global_batch_size": str(GBS), "hidden_size": "2048", "load": SAVE,
        "log_interval": str(LOG_INTERVAL), "micro_batch_size": "8", "num_attention_heads": "16",
        "num_layers": "24", "pipeline_model_parallel_size": "1", "save": SAVE,
        "save_interval": "1000", "seq_length": str(SEQ), "tensor_model_parallel_size": "1",
        "train_iters": str(train_iters), "world_size": "64",
    }
    out = [f"SLURM_JOB_ID={job}", "SLURM_NNODES=8",
           "using world size: 64, data-parallel-size: 64, tensor-model-parallel size: 1, "
           "pipeline-model-parallel size: 1 ",
           "------------------------ arguments ------------------------"]
    for k in sorted(args):
        out.append("  " + k + " " + "." * (48 - len(k)) + " " + args[k])
    out.append("-------------------- end of arguments ---------------------")
    return out


def timer(name, lo_ms, hi_ms):
    return ["(min, max) time across ranks (ms):",
            "    {}: ({:.2f}, {:.2f})".format((name + " ").ljust(48, "."), lo_ms, hi_ms)]


def iteration(t, it, total, loss, nan=0):
    fields = [f" [{ts(t)}] iteration {it:8d}/{total:8d} |",
              f" consumed samples: {it * GBS:12d} |",
              " elapsed time per iteration (ms): 1000.0 |",
              " learning rate: 1.500000E-04 |",
              f" global batch size: {GBS:5d} |"]
    if not nan:
        fields.append(f" lm loss: {loss:.6E} |")
    fields += [" loss scale: 1.0 |"]
    if not nan:
        fields.append(" grad norm: 1.000 |")
    fields += [" number of skipped iterations:   0 |", f" number of nan iterations: {nan:3d} |"]
    return "".join(fields)


def segment(job, start, first, last, total, load=None, load_ms=None, saves=(), save_ms=30000.0,
            nan_at=None):
    """Lines of one job and the time of its last line. Steps take 1 s each; a save takes
    save_ms between the iteration line that precedes it and the next one."""
    out = args_dump(job, total)
    t = start
    out.append(f"[after megatron is initialized] datetime: {ts(t)} ")
    out.append(" > padded vocab (size: 50257) with 47 dummy tokens (new size: 50304)")
    if load is None:
        out.append(f"WARNING: could not find the metadata file {SAVE}/latest_checkpointed_iteration.txt ")
        out.append("    will not load any checkpoints and will start from random")
        out += timer("load-checkpoint", 0.18, 0.21)
        t += dt.timedelta(seconds=20)
    else:
        out.append(f" loading distributed checkpoint from {SAVE} at iteration {load}")
        out.append(f"  successfully loaded checkpoint from {SAVE} [ t 1/1, p 1/1 ] at iteration {load}")
        out += timer("load-checkpoint", load_ms - 128.8, load_ms)
        t += dt.timedelta(seconds=load_ms / 1000 + 10)
    out.append(f"[after model, optimizer, and learning rate scheduler are built] datetime: {ts(t)} ")
    out.append("> building train, validation, and test datasets ...")
    out.append(f"[after dataloaders are built] datetime: {ts(t)} ")
    out.append("done with setup ...")
    out.append("training ...")
    t += dt.timedelta(seconds=10)
    out.append(f"[before the start of training step] datetime: {ts(t)} ")
    it = first - 1
    while it + LOG_INTERVAL <= last:
        it += LOG_INTERVAL
        t += dt.timedelta(seconds=LOG_INTERVAL)
        nan = LOG_INTERVAL if nan_at is not None and it >= nan_at else 0
        out.append(iteration(t, it, total, 10.0 * 0.999 ** it, nan=1 if nan else 0))
        if it == LOG_INTERVAL:
            out.append("[Rank 0] (after 10 iterations) memory (MB) | allocated: 6133.1 | max allocated: "
                       "31220.4 | reserved: 33812.0 | max reserved: 33812.0")
        if it in saves:
            out.append(f"saving checkpoint at iteration {it:7d} to {SAVE} in torch_dist format")
            out.append(f"  successfully saved checkpoint from iteration {it:7d} to {SAVE} [ t 1/1, p 1/1 ]")
            out += timer("save-checkpoint", save_ms - 211.4, save_ms)
            t += dt.timedelta(seconds=save_ms / 1000)
        if nan:
            break
    return out, t


def write(name, lines):
    with open(os.path.join(HERE, name), "w") as f:
        f.write("\n".join(lines) + "\n")


def nccl_death(ranks):
    out = []
    for r in ranks:
        out.append(f"[E ProcessGroupNCCL.cpp:475] [Rank {r}] Watchdog caught collective operation timeout: "
                   f"WorkNCCL(SeqNum=61532, OpType=ALLREDUCE, NumelIn=1048576, NumelOut=1048576, "
                   f"Timeout(ms)=600000) ran for 600{r:03d} milliseconds before timing out.")
    out.append("[E ProcessGroupNCCL.cpp:489] Some NCCL operations have failed or timed out. Due to the "
               "asynchronous nature of CUDA kernels, subsequent GPU operations might run on "
               "corrupted/incomplete data.")
    out.append("[E ProcessGroupNCCL.cpp:495] To avoid data inconsistency, we are taking the entire process down.")
    out.append("srun: error: gpu-node-02: tasks 16-23: Aborted (core dumped)")
    return out


def nan_death(node):
    return ["Traceback (most recent call last):",
            '  File "/workspace/Megatron-LM/pretrain_gpt.py", line 289, in <module>',
            "    pretrain(",
            "AssertionError: found NaN in local grad norm in backward pass before data-parallel "
            f"communication collective. Device: 0, node: {node}",
            f"srun: error: {node}: task 0: Exited with exit code 1"]


def main():
    t0 = dt.datetime(2024, 5, 1, 10, 0, 0)
    a, end_a = segment(101, t0, 1, 1230, 5000, saves=(1000,))
    write("slurm-101.out", a + nccl_death([17, 18, 19, 20]))
    b, end_b = segment(102, end_a + dt.timedelta(seconds=2700), 1001, 1990, 5000, load=1000,
                       load_ms=60000.0)
    write("slurm-102.out", b + [
        "srun: Job step aborted: Waiting up to 62 seconds for job step to finish.",
        f"slurmstepd: error: *** STEP 102.0 ON gpu-node-00 CANCELLED AT "
        f"{(end_b + dt.timedelta(seconds=45)).strftime('%Y-%m-%dT%H:%M:%S')} DUE TO TIME LIMIT ***"])

    t = dt.datetime(2024, 6, 2, 8, 0, 0)
    for i, job in enumerate((201, 202, 203)):
        lines, end = segment(job, t, 1 if i == 0 else 401, 1000, 5000, load=None if i == 0 else 400,
                             load_ms=45000.0, saves=(400,) if i == 0 else (), save_ms=20000.0, nan_at=450)
        write(f"nan-{job}.out", lines + nan_death("gpu-node-05"))
        t = end + dt.timedelta(seconds=1800)


main()

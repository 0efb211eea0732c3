#!/usr/bin/env bash
# run-sample.sh: installs missing build dependencies, builds trainmon (scripts/build.sh), and
# analyses a shipped sample log (a Megatron-LM GPT-3 1.3B run on 64 A100 that hit its Slurm time
# limit).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh >/dev/null
exec build/trainmon analyze --gpu a100 sample_logs/megatron_gpt3_1.3b-4417021.out

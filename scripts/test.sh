#!/usr/bin/env bash
# test.sh: installs missing dependencies, builds with warnings as errors, runs the whole CTest
# suite, then rebuilds with AddressSanitizer + UndefinedBehaviorSanitizer and runs it again.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --test
jobs=$(nproc)
scripts/build.sh -DTM_WERROR=ON           # what the quick start builds: profile-guided
(cd build && ctest --output-on-failure -j"$jobs")
cmake -S . -B build-asan -DTM_WERROR=ON -DTM_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j"$jobs" -LE slow)

#!/usr/bin/env bash
# Signing cost per request against the bare-OpenSSL floor, as ratios of
# medians measured in the same run. Usage: bench/run_sign_bench.sh [REPETITIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-10}
scripts/install-deps.sh build >/dev/null
dpkg-query -W -f='${Status}' libbenchmark-dev 2>/dev/null | grep -q "install ok installed" ||
  apt-get install -y -qq libbenchmark-dev >/dev/null
cmake -S . -B build-bench -DFC_BUILD_TESTS=OFF -DFC_BUILD_BENCH=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j"$(nproc)" --target sign_bench >/dev/null
out=$(./build-bench/bench/sign_bench --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true 2>/dev/null)
echo "$out" | grep median
echo "$out" | awk '
  /_median/ { name=$1; sub(/_median$/, "", name); t[name]=$2 }
  END {
    floor=t["BM_Floor_HmacChainPlusSha256"]
    printf "cached key:   %.2fx the floor (target <= 1.5x)\n", t["BM_Sign_CachedKey"]/floor
    printf "uncached key: %.2fx the floor (target <= 1.5x)\n", t["BM_Sign_UncachedKey"]/floor
  }'

#!/usr/bin/env bash
# Runs the whole test suite: builds warning-free (-Wall -Wextra -Werror), runs
# every unit and integration test, then builds and runs it all again under
# AddressSanitizer + UndefinedBehaviorSanitizer, then runs every fuzzer briefly
# (clang). Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

scripts/install-deps.sh test || { echo "dependency installation failed"; exit 1; }

total_passed=0
total_failed=0
status=0

# run_suite NAME BUILD_DIR CMAKE_ARGS...
run_suite() {
  local name=$1 dir=$2
  shift 2
  echo "==== $name: build ($dir)"
  if ! cmake -S "$ROOT" -B "$dir" -DFC_WERROR=ON "$@" >"$dir.cmake.log" 2>&1 ||
     ! cmake --build "$dir" -j"$(nproc)" >"$dir.build.log" 2>&1; then
    cat "$dir.cmake.log" "$dir.build.log" 2>/dev/null | tail -50
    echo "==== $name: build FAILED"
    total_failed=$((total_failed + 1))
    status=1
    return
  fi
  echo "==== $name: test"
  local log=$dir.ctest.log
  (cd "$dir" && ctest --output-on-failure --timeout 900) 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  # ctest's summary: "100% tests passed, 0 tests failed out of 48"
  local line failed out_of
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -1)
  if [ -z "$line" ]; then
    echo "==== $name: ctest printed no summary"
    total_failed=$((total_failed + 1))
    status=1
    return
  fi
  failed=$(sed -E 's/.*passed, ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
  out_of=$(sed -E 's/.*passed, ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")
  total_passed=$((total_passed + out_of - failed))
  total_failed=$((total_failed + failed))
  [ "$rc" -eq 0 ] || status=1
}

run_suite "release" "$ROOT/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFC_BUILD_TESTS=ON
# detect_leaks: libcurl/OpenSSL keep process-wide caches on purpose; leaks in
# our code are still caught by the leak checker, which is on.
ASAN_OPTIONS=abort_on_error=0:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite "asan+ubsan" "$ROOT/build-asan" -DCMAKE_BUILD_TYPE=Debug -DFC_BUILD_TESTS=ON -DFC_SANITIZE=ON

# A short pass of every libFuzzer target (clang, ASan+UBSan) over the corpus
# in fuzz/corpus; scripts/fuzz.sh runs them longer.
run_suite "fuzz" "$ROOT/build-fuzz" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DFC_BUILD_TESTS=OFF -DFC_BUILD_FUZZERS=ON

echo "all suites: $total_passed passed, $total_failed failed"
[ "$status" -eq 0 ] && [ "$total_failed" -eq 0 ]

#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang and runs each for SECONDS
# (default 60), starting from the repository's seed corpus. New inputs go to a
# scratch corpus under the build directory; fuzz/corpus is only read, unless
# --merge asks to fold what the run found back into it.
#
#   scripts/fuzz.sh [--merge] [SECONDS] [TARGET...]     e.g. scripts/fuzz.sh 300 s3_xml
#
# Ends with "fuzz: N targets passed, N failed"; exits non-zero when a target
# crashed, leaked, timed out, ran out of memory or did not build.
# FC_FUZZ_BUILD_DIR overrides the build directory (default build-fuzz).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${FC_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}

merge=0
if [ "${1:-}" = "--merge" ]; then
  merge=1
  shift
fi
seconds=60
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then
  seconds=$1
  shift
fi

echo "==== fuzz: build ($BUILD)"
if ! CC=clang CXX=clang++ cmake -S "$ROOT" -B "$BUILD" -DFC_BUILD_FUZZERS=ON -DFC_BUILD_TESTS=OFF -DFC_WERROR=ON \
       >"$BUILD.cmake.log" 2>&1; then
  tail -30 "$BUILD.cmake.log"
  echo "fuzz: 0 targets passed, 1 failed (configure)"
  exit 1
fi

# The targets and their dictionaries, as fuzz/CMakeLists.txt registers them.
declare -A dict_of
all=()
while read -r name dict; do
  all+=("$name")
  dict_of[$name]=$dict
done <"$BUILD/fuzz/targets.txt"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
for t in "${targets[@]}"; do
  if [ -z "${dict_of[$t]+x}" ]; then
    echo "unknown target '$t'; targets: ${all[*]}"
    exit 2
  fi
done

build_targets=()
for t in "${targets[@]}"; do build_targets+=(--target "fuzz_$t"); done
if ! cmake --build "$BUILD" -j"$(nproc)" "${build_targets[@]}" >"$BUILD.build.log" 2>&1; then
  tail -50 "$BUILD.build.log"
  echo "fuzz: 0 targets passed, ${#targets[@]} failed (build)"
  exit 1
fi

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
passed=0
failed=0
for t in "${targets[@]}"; do
  run=$BUILD/fuzz-run/$t
  rm -rf "$run"
  mkdir -p "$run/corpus" "$run/artifacts"
  flags=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
         -artifact_prefix="$run/artifacts/")
  [ "${dict_of[$t]}" = "-" ] || flags+=(-dict="${dict_of[$t]}")
  echo "==== fuzz_$t: ${seconds}s"
  # The scratch corpus first: libFuzzer writes new inputs only to the first directory.
  "$BUILD/fuzz/fuzz_$t" "${flags[@]}" "$run/corpus" "$ROOT/fuzz/corpus/$t" >"$run/log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$run/log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$run/log")
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$run/log" | tail -1)
  found=$(find "$run/corpus" -type f | wc -l)
  if [ "$rc" -eq 0 ]; then
    echo "fuzz_$t: ok, ${execs:-?} runs, ${rate:-?} exec/s, ${cov:-no coverage line}, $found new inputs"
    passed=$((passed + 1))
  else
    echo "fuzz_$t: FAILED (exit $rc); log: $run/log"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*property violated|.*runtime error)' "$run/log" | head -5
    for artifact in "$run"/artifacts/*; do
      [ -e "$artifact" ] && echo "  reproduce: $BUILD/fuzz/fuzz_$t $artifact"
    done
    failed=$((failed + 1))
  fi
  if [ "$merge" -eq 1 ] && [ "$found" -gt 0 ]; then
    # Adds only the inputs that bring new coverage, named by their SHA-1.
    before=$(find "$ROOT/fuzz/corpus/$t" -type f | wc -l)
    "$BUILD/fuzz/fuzz_$t" -merge=1 -timeout=10 -rss_limit_mb=2048 \
      "$ROOT/fuzz/corpus/$t" "$run/corpus" >"$run/merge.log" 2>&1 ||
      echo "fuzz_$t: merge failed; log: $run/merge.log"
    after=$(find "$ROOT/fuzz/corpus/$t" -type f | wc -l)
    echo "fuzz_$t: merged $((after - before)) inputs into fuzz/corpus/$t"
  fi
done

echo "fuzz: $passed targets passed, $failed failed"
[ "$failed" -eq 0 ]

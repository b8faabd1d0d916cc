#!/usr/bin/env bash
# Export/import soak (issue 6): no leak and no growth of the resident set over
# many export cycles, driven through the public C ABI the way the plugin drives
# it (tests/soak/export_soak.c says exactly how).
#
#   export_soak.sh [--cycles N] [--storage URL | --rgw-env FILE] [--valgrind] [-- DRIVER_ARGS...]
#
# Modes, by the build the driver comes from:
#   release build (default)  10,000 cycles; fails when the resident set grew by
#                            more than 8 MiB between cycle 1,000 and the last;
#   ASan build               FC_SOAK_SANITIZED=1 (ctest sets it): LeakSanitizer
#                            checks at exit (its exit code fails the run); no RSS
#                            bound, since ASan's quarantine grows the resident set;
#   --valgrind               memcheck with --leak-check=full, definite and indirect
#                            leaks are errors; 500 cycles unless --cycles says
#                            otherwise (valgrind is ~50x slower). Release build only.
#
# The storage is file:// in a scratch directory (on /dev/shm when there is one:
# fsync costs nothing there) unless --storage names another, e.g. RGW by hand:
#   source build/rgw/env   # or export AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
#                          # AWS_REGION, AWS_CONFIG_STORAGE_ENDPOINT yourself
#   tests/soak/export_soak.sh --storage s3://some-bucket/soak --cycles 2000 -- --env
# (--env: the driver reads Kong's and AWS's environment variables first), or
# let the script do all that against the test suite's RGW (scripts/rgw-up.sh):
#   tests/soak/export_soak.sh --rgw-env build/rgw/env --cycles 2000
# which creates a bucket of its own with awscli and removes it afterwards.
#
# Needs: FC_SOAK_DRIVER (the export_soak binary; ctest sets it), luajit.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DRIVER=${FC_SOAK_DRIVER:?FC_SOAK_DRIVER must name the export_soak binary}

cycles=
storage=
rgw_env=
use_valgrind=0
while [ $# -gt 0 ]; do
  case $1 in
    --cycles) cycles=$2; shift 2 ;;
    --storage) storage=$2; shift 2 ;;
    --rgw-env) rgw_env=$2; shift 2 ;;
    --valgrind) use_valgrind=1; shift ;;
    --) shift; break ;;
    *) echo "export_soak.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

scratch=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && scratch=/dev/shm
WORK=$(mktemp -d "$scratch/fc-soak.XXXXXX")
bucket=
cleanup() {
  [ -n "$bucket" ] && aws --endpoint-url "$FC_RGW_ENDPOINT" s3 rb "s3://$bucket" --force >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
if [ -n "$rgw_env" ]; then
  source "$rgw_env" || exit 1
  export AWS_ACCESS_KEY_ID=$FC_RGW_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$FC_RGW_SECRET_KEY AWS_REGION=us-east-1
  export AWS_CONFIG_STORAGE_ENDPOINT=$FC_RGW_ENDPOINT
  export AWS_REQUEST_CHECKSUM_CALCULATION=when_required AWS_RESPONSE_CHECKSUM_VALIDATION=when_required
  bucket=fc-soak-$RANDOM$RANDOM
  aws --endpoint-url "$FC_RGW_ENDPOINT" s3api create-bucket --bucket "$bucket" >/dev/null || {
    echo "export_soak.sh: cannot create bucket $bucket on $FC_RGW_ENDPOINT" >&2
    bucket=
    exit 1
  }
  storage=s3://$bucket/soak
  set -- --env "$@"
fi
: "${storage:=file://$WORK/store}"

LUA_PATH="$ROOT/lua/?.lua;;" luajit "$HERE/make_payload.lua" 50 >"$WORK/payload.bin" || {
  echo "export_soak.sh: cannot make the serialized payload" >&2
  exit 1
}

args=(--storage "$storage" --payload "$WORK/payload.bin" "$@")
if [ "$use_valgrind" = 1 ]; then
  command -v valgrind >/dev/null || { echo "export_soak.sh: valgrind is not installed" >&2; exit 1; }
  if [ "${FC_SOAK_SANITIZED:-0}" = 1 ]; then
    echo "export_soak.sh: valgrind needs the release build's driver, not the ASan one" >&2
    exit 2
  fi
  cycles=${cycles:-500}
  # Few cycles: warm up over the first tenth, and let the RSS check go
  # (valgrind's own allocator decides the resident set).
  echo "export_soak.sh: $cycles cycles under valgrind memcheck"
  valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect --error-exitcode=1 \
    --suppressions="$HERE/valgrind.supp" \
    "$DRIVER" "${args[@]}" --cycles "$cycles" --warmup $((cycles / 10 + 1)) --download-every 25 \
    --new-client-every 100 --max-rss-growth-kb 0
  rc=$?
elif [ "${FC_SOAK_SANITIZED:-0}" = 1 ]; then
  cycles=${cycles:-10000}
  echo "export_soak.sh: $cycles cycles under AddressSanitizer + LeakSanitizer"
  # Leak checking on whatever the caller's ASAN_OPTIONS say; LSan's exit code
  # (23) fails the run. See lsan.supp for what is suppressed and why.
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1" \
  LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$HERE/lsan.supp:print_suppressions=0" \
    "$DRIVER" "${args[@]}" --cycles "$cycles" --max-rss-growth-kb 0
  rc=$?
else
  cycles=${cycles:-10000}
  echo "export_soak.sh: $cycles cycles, resident set bounded"
  "$DRIVER" "${args[@]}" --cycles "$cycles"
  rc=$?
fi
if [ "$rc" -eq 0 ]; then
  echo "export_soak.sh: PASS"
else
  echo "export_soak.sh: FAIL (exit status $rc)"
fi
exit "$rc"

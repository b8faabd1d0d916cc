# Assertions for the integration scripts. Each script sources this, calls the
# check_* functions, and ends with `finish`, which prints "N passed, N failed"
# and exits non-zero on any failure.
set -uo pipefail

PASSED=0
FAILED=0
# Everything the tested commands print is kept here, so that `finish` can
# assert that no secret ever appeared in any output.
OUTPUT_LOG=$(mktemp)
SECRETS=()

pass() { PASSED=$((PASSED + 1)); echo "ok - $1"; }
failed() { FAILED=$((FAILED + 1)); echo "not ok - $1"; [ -n "${2:-}" ] && echo "  # $2" | head -c 2000; echo; }

# run CMD...: runs a command, keeping its status in RC, stdout in OUT, stderr in ERR.
run() {
  local out err
  out=$(mktemp) err=$(mktemp)
  "$@" >"$out" 2>"$err"
  RC=$?
  OUT=$(cat "$out")
  ERR=$(cat "$err")
  cat "$out" "$err" >>"$OUTPUT_LOG"
  rm -f "$out" "$err"
}

check_rc() { # check_rc EXPECTED DESCRIPTION
  if [ "$RC" -eq "$1" ]; then pass "$2"; else failed "$2" "exit $RC, expected $1; stderr: $ERR"; fi
}
check_contains() { # check_contains HAYSTACK NEEDLE DESCRIPTION
  if [[ "$1" == *"$2"* ]]; then pass "$3"; else failed "$3" "'$2' not in: $1"; fi
}
check_not_contains() {
  if [[ "$1" != *"$2"* ]]; then pass "$3"; else failed "$3" "'$2' found in output"; fi
}
check_eq() { # check_eq ACTUAL EXPECTED DESCRIPTION
  if [ "$1" == "$2" ]; then pass "$3"; else failed "$3" "got '$1', expected '$2'"; fi
}
check_same_file() {
  if cmp -s "$1" "$2"; then pass "$3"; else failed "$3" "$1 and $2 differ"; fi
}
check_one_line() { # an error message is exactly one line
  if [ "$(printf '%s' "$1" | wc -l)" -eq 0 ] && [ -n "$1" ]; then pass "$2"; else failed "$2" "not one line: $1"; fi
}

finish() {
  local s
  for s in "${SECRETS[@]}"; do
    if grep -qF -- "$s" "$OUTPUT_LOG"; then failed "no secret in any output"; else pass "no secret in any output"; fi
  done
  rm -f "$OUTPUT_LOG"
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ]
}

#!/usr/bin/env bash
# An nginx worker exits (graceful QUIT, as on a reload or shutdown) while the
# plugin's export job is in flight against a storage that accepts the upload
# and never answers: the exit must neither hang (the job would otherwise wait
# for the stall timeout and every retry, minutes) nor crash, and the plugin
# must say why the export stopped.
# Needs: FC_LIB_DIR (the built library), node (the black-hole endpoint), nginx
# with lua-nginx-module (tests/kong_harness).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
: "${FC_LIB_DIR:?FC_LIB_DIR must name the directory of libfallback_config.so}"

WORK=$(mktemp -d /tmp/fc-exit-test.XXXXXX)
export FC_NODES_DIR=$WORK/nodes
source "$ROOT/tests/kong_harness/node.sh"
HOLE_PID=
cleanup() {
  node_stop_all
  [ -n "$HOLE_PID" ] && kill "$HOLE_PID" 2>/dev/null && wait "$HOLE_PID" 2>/dev/null
  [ -n "${FC_KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

passed=0
failed=0
pass() { echo "ok - $1"; passed=$((passed + 1)); }
fail() { echo "not ok - $1"; [ -n "${2:-}" ] && sed 's/^/    /' <<<"$2"; failed=$((failed + 1)); }

# A storage endpoint that accepts connections, reads nothing and answers
# nothing: the upload stalls in the kernel's socket buffers.
HOLE_PORT=$("$ROOT/scripts/free-port.sh")
node -e '
  const net = require("net"), fs = require("fs");
  const log = process.argv[2];
  net.createServer((sock) => { fs.appendFileSync(log, "connection\n"); sock.pause(); })
     .listen(Number(process.argv[1]), "127.0.0.1", () => fs.appendFileSync(log, "listening\n"));
' "$HOLE_PORT" "$WORK/hole.log" &
HOLE_PID=$!
for _ in $(seq 1 50); do grep -q listening "$WORK/hole.log" 2>/dev/null && break; sleep 0.1; done

# One worker: the backup work runs in worker 0 only. The export lease off: it
# would wait on the black hole first, and no export would start (this test is
# the export job's; the lease's rounds end with the process, util/exit_gate).
FC_NODE_WORKERS=1 node_start exporter KONG_CLUSTER_FALLBACK_CONFIG_LEASE=off \
  KONG_CLUSTER_FALLBACK_CONFIG_EXPORT=on KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY=1 \
  KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=s3://black-hole/p KONG_HARNESS_VERSION=3.9.1.0 \
  AWS_CONFIG_STORAGE_ENDPOINT="http://127.0.0.1:$HOLE_PORT" AWS_REGION=us-east-1 \
  AWS_ACCESS_KEY_ID=AKIDSOAKEXAMPLE AWS_SECRET_ACCESS_KEY=soak-secret-example || exit 1
LOG=$(node_log exporter)

printf '{"_format_version":"3.0","services":[{"name":"svc-1","host":"upstream-1.internal","port":80}]}\n' >"$WORK/c1.json"
curl -fs -o /dev/null -X POST --data-binary "@$WORK/c1.json" "http://127.0.0.1:$PORT_exporter/_harness/config" ||
  fail "the node takes a configuration"

for _ in $(seq 1 100); do grep -q connection "$WORK/hole.log" && break; sleep 0.1; done
if grep -q connection "$WORK/hole.log"; then
  pass "the export job is in flight against the black hole"
else
  fail "the export job is in flight against the black hole" "$(tail -5 "$LOG")"
fi
sleep 1.5 # past curl's wait for 100-continue: the body is sent, the answer awaited

master=${FC_NODE_PIDS[exporter]}
started=$EPOCHREALTIME
kill -QUIT "$master"
for _ in $(seq 1 600); do kill -0 "$master" 2>/dev/null || break; sleep 0.05; done
seconds=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
if kill -0 "$master" 2>/dev/null; then
  fail "nginx exits within 15 s of QUIT with an export in flight (still running after ${seconds} s)" "$(tail -5 "$LOG")"
else
  wait "$master" 2>/dev/null
  unset "FC_NODE_PIDS[exporter]"
  if awk -v s="$seconds" 'BEGIN { exit !(s < 10) }'; then
    pass "nginx exits ${seconds} s after QUIT with an export in flight"
  else
    fail "nginx exits within 10 s of QUIT with an export in flight (took ${seconds} s)"
  fi
fi

bad=$(grep -E "exited on signal|core dumped|AddressSanitizer|runtime error|\[alert\]|\[emerg\]" "$LOG")
if [ -z "$bad" ]; then
  pass "no worker crashed or raised an alert"
else
  fail "no worker crashed or raised an alert" "$bad"
fi
if grep -q "the nginx worker is exiting" "$LOG"; then
  pass "the plugin logs that the export was abandoned because the worker exits"
else
  fail "the plugin logs that the export was abandoned because the worker exits" "$(grep fallback-config "$LOG" | tail -5)"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

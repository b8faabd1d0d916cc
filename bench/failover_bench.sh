#!/usr/bin/env bash
# How long a fleet of backup nodes goes without backups when its exporter
# dies: three nodes (real nginx under the Kong harness) on a real Ceph RGW,
# the export lease at its defaults (30 s, renewed every 10 s). Each round
# kills the lease holder with SIGKILL and times, from the kill, until the
# next configuration (delivered to the survivors at once) is stored; the
# killed node is then started again. In the same run, the baseline: how long
# the same configuration change takes to be stored while the holder lives.
# Reported: each round's fail-over time, the bound it must meet (lease
# duration + one renewal + the store's one-second grain + the export delay),
# and Kong EE's for comparison (a dead leader's registration stays live for
# two rounds of DP_RESILIENCE_ELECTION_INTERVAL, 600 s, plus 5 s).
#
# Usage: bench/failover_bench.sh [ROUNDS]      (default 3)
#   FC_BENCH_LEASE_DURATION=30 FC_BENCH_LEASE_RENEW=10   the lease's settings
# Needs the build (build/native) and the test dependencies (scripts/install-deps.sh test).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${1:-3}
DURATION=${FC_BENCH_LEASE_DURATION:-30}
RENEW=${FC_BENCH_LEASE_RENEW:-$((DURATION / 3))}
DELAY=1
export FC_LIB_DIR=${FC_LIB_DIR:-$ROOT/build/native} FC_CLI=${FC_CLI:-$ROOT/build/native/fallback-config}
WORK=$(mktemp -d /tmp/fc-failover-bench.XXXXXX)
export FC_NODES_DIR=$WORK/nodes
source "$ROOT/tests/kong_harness/node.sh"
OUTPUT_LOG=/dev/null
source "$ROOT/tests/integration/plugin_lib.sh"
cleanup() {
  node_stop_all
  "$ROOT/scripts/rgw-down.sh" "$WORK/rgw" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

"$ROOT/scripts/rgw-up.sh" "$WORK/rgw" >/dev/null || { echo "cannot start RGW" >&2; exit 1; }
source "$WORK/rgw/env"
export AWS_ACCESS_KEY_ID=$FC_RGW_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$FC_RGW_SECRET_KEY AWS_REGION=us-east-1
export AWS_CONFIG_STORAGE_ENDPOINT=$FC_RGW_ENDPOINT
BUCKET=fc-failover-bench
aws --endpoint-url "$FC_RGW_ENDPOINT" s3api create-bucket --bucket "$BUCKET" >/dev/null
VERSION=3.9.1.0
export KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=s3://$BUCKET/kong

start() { # start NAME N
  node_start "$1" AWS_ACCESS_KEY_ID="$FC_RGW_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$FC_RGW_SECRET_KEY" AWS_REGION=us-east-1 \
    AWS_CONFIG_STORAGE_ENDPOINT="$FC_RGW_ENDPOINT" KONG_HARNESS_VERSION=$VERSION KONG_CLUSTER_FALLBACK_CONFIG_EXPORT=on \
    KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY=$DELAY KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="$KONG_CLUSTER_FALLBACK_CONFIG_STORAGE" \
    KONG_CLUSTER_FALLBACK_CONFIG_LEASE_DURATION="$DURATION" KONG_CLUSTER_FALLBACK_CONFIG_LEASE_RENEW="$RENEW" \
    KONG_HARNESS_NODE_ID="$(printf '00000000-0000-4000-8000-%012d' "$2")"
}
holder() { "$FC_CLI" lease --kong-version $VERSION 2>/dev/null | sed -n 's/^holder: *00000000-0000-4000-8000-0*\([0-9]*\)$/n\1/p'; }
now_ms() { date +%s%3N; }
stored_ms() { # stored_ms FILE START_MS: milliseconds from START_MS until FILE is the stored configuration
  local start=$2
  while :; do
    if "$FC_CLI" pull --kong-version $VERSION -o "$WORK/stored.json" 2>/dev/null && same_config "$1" "$WORK/stored.json" 2>/dev/null; then
      echo $(($(now_ms) - start))
      return
    fi
    [ $(($(now_ms) - start)) -gt $(((DURATION + RENEW) * 3000)) ] && { echo never; return; }
    sleep 0.1
  done
}
deliver_all() { local n; for n in "$@"; do deliver "$n" "$CONFIG"; done; }

for n in 1 2 3; do start "n$n" "$n"; done
for _ in $(seq 1 50); do [ -n "$(holder)" ] && break; sleep 0.2; done
bound=$(((DURATION + RENEW + 1 + DELAY) * 1000))
echo "fail-over bench: 3 backup nodes, lease ${DURATION} s renewed every ${RENEW} s, export delay ${DELAY} s, Ceph RGW"
printf '%-6s %-10s %-14s %-14s\n' round killed "baseline ms" "fail-over ms"
failovers=()
c=0
for round in $(seq 1 "$ROUNDS"); do
  leader=$(holder)
  alive=()
  for n in n1 n2 n3; do [ "$n" != "$leader" ] && alive+=("$n"); done
  # Baseline: a change while the holder lives.
  c=$((c + 1)); config "$c" >"$WORK/c$c.json"; CONFIG=$WORK/c$c.json
  sleep $((DELAY + 1)) # past the last export's delay window
  t0=$(now_ms); deliver_all n1 n2 n3
  baseline=$(stored_ms "$CONFIG" "$t0")
  # Fail-over: kill -9 the holder (its master stopped first, so that it respawns nothing), change at once.
  c=$((c + 1)); config "$c" >"$WORK/c$c.json"; CONFIG=$WORK/c$c.json
  master=${FC_NODE_PIDS[$leader]}
  kill -STOP "$master"; pkill -KILL -P "$master"; kill -KILL "$master"
  t0=$(now_ms); deliver_all "${alive[@]}"
  failover=$(stored_ms "$CONFIG" "$t0")
  printf '%-6s %-10s %-14s %-14s\n' "$round" "$leader" "$baseline" "$failover"
  failovers+=("$failover")
  unset "FC_NODE_PIDS[$leader]"
  start "$leader" "${leader#n}" # back, as a follower
done
worst=$(printf '%s\n' "${failovers[@]}" | sort -n | tail -1)
echo "worst fail-over: $worst ms; bound (duration + renewal + 1 s grain + export delay): $bound ms" \
  "($(awk -v w="$worst" -v b="$bound" 'BEGIN { if (w == "never") print "not met"; else printf "%.2fx of it", w / b }'))"
echo "Kong EE's election at its defaults: up to $(((2 * 600 + 5) * 1000)) ms for the same" \
  "($(awk -v w="$worst" 'BEGIN { if (w != "never") printf "%.0fx", 1205000 / w }') longer than the worst here)"

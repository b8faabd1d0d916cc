#!/usr/bin/env bash
# Proxy latency on a backup node while it exports, against the same node with
# export off, in one run. wrk drives the node's trivial location (the worker's
# event loop and nothing else) while new configuration hashes arrive;
# with export on (delay 2 s) the node serializes and uploads the 16 MB
# configuration at the end of each window. Rounds alternate off/on (on/off the next round) so
# drift hits both; the report is per-round P99s, their medians and the ratio.
# A new hash arrives every second, so that export windows (2 s) follow each
# other back to back: one 16 MB export about every 2 s, the issue's load.
#
# Usage: bench/p99_bench.sh [ROUNDS] [SECONDS]        (default 5 rounds of 20 s)
#   FC_BENCH_STORAGE=file|rgw   file:// on /dev/shm (default: isolates the node's
#                               own cost) or a real Ceph RGW on the same 2 cores
#   FC_BENCH_MB=16  FC_BENCH_CONNECTIONS=8  FC_BENCH_WORKERS=1
# One nginx worker by default: worker 0 does the export, so every request
# competes with it (the worst case; with more workers most requests do not).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
rounds=${1:-5}
seconds=${2:-20}
storage=${FC_BENCH_STORAGE:-file}
mb=${FC_BENCH_MB:-16}
conns=${FC_BENCH_CONNECTIONS:-8}

scripts/install-deps.sh "$([ "$storage" = rgw ] && echo bench-rgw || echo bench)" >/dev/null
cmake -S . -B build-bench -DFC_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j"$(nproc)" >/dev/null

WORK=$(mktemp -d /tmp/fc-p99-bench.XXXXXX)
chmod 755 "$WORK"
export FC_NODES_DIR=$WORK/nodes FC_LIB_DIR=$ROOT/build-bench/native FC_NODE_WORKERS=${FC_BENCH_WORKERS:-1}
source tests/kong_harness/node.sh
TOUCHER=
cleanup() {
  [ -n "$TOUCHER" ] && kill "$TOUCHER" 2>/dev/null
  node_stop_all
  scripts/rgw-down.sh "$WORK/rgw" >/dev/null 2>&1 || true
  rm -rf "$WORK" /dev/shm/fc-p99-bench.$$
}
trap cleanup EXIT
trap 'exit 143' TERM INT

NODE_ENV=(KONG_HARNESS_VERSION=3.9.1.0 KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY=2)
if [ "$storage" = rgw ]; then
  FC_RGW_MEMSTORE_BYTES=$((4 * 1024 * 1024 * 1024)) scripts/rgw-up.sh "$WORK/rgw" >/dev/null 2>"$WORK/rgw-up.log" ||
    { cat "$WORK/rgw-up.log"; exit 1; }
  source "$WORK/rgw/env"
  export AWS_ACCESS_KEY_ID=$FC_RGW_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$FC_RGW_SECRET_KEY AWS_REGION=us-east-1
  headers=()
  while IFS= read -r line; do headers+=(-H "$line"); done < <(
    printf 'PUT /fc-bench HTTP/1.1\r\nHost: %s\r\n\r\n' "${FC_RGW_ENDPOINT#http://}" |
      build-bench/native/fallback-config sign --s3 --region us-east-1 --show headers)
  curl -fsS -X PUT "${headers[@]}" "$FC_RGW_ENDPOINT/fc-bench"
  NODE_ENV+=(KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=s3://fc-bench/kong AWS_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID"
             AWS_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY" AWS_REGION=us-east-1 AWS_CONFIG_STORAGE_ENDPOINT="$FC_RGW_ENDPOINT")
else
  install -d -m 1777 /dev/shm/fc-p99-bench.$$
  NODE_ENV+=(KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=file:///dev/shm/fc-p99-bench.$$/kong)
fi

luajit bench/make_config.lua "$mb" >"$WORK/config.json"
echo "configuration: $(wc -c <"$WORK/config.json") bytes; $rounds rounds of ${seconds} s per mode; wrk -t1 -c$conns;" \
  "$FC_NODE_WORKERS nginx worker(s); storage $storage" >&2

# wrk's "99%" line in microseconds.
to_us() { awk '{ v = $1 + 0; if ($1 ~ /us$/) print v; else if ($1 ~ /ms$/) print v * 1000; else if ($1 ~ /s$/) print v * 1000000 }'; }

# measure MODE: one round of one mode; prints "p50_us p99_us requests_per_s exports"
measure() {
  local mode=$1 name=node-$1
  node_start "$name" "${NODE_ENV[@]}" KONG_CLUSTER_FALLBACK_CONFIG_EXPORT="$mode" >/dev/null
  local port_var="PORT_${name//-/_}"
  local url=http://127.0.0.1:${!port_var}
  curl -fsS -o /dev/null -X POST --data-binary "@$WORK/config.json" "$url/_harness/config"
  curl -fsS -o /dev/null "$url/_harness/config" # the harness decodes it once, before measuring
  if [ "$mode" = on ]; then # the first export, before measuring
    local i
    for i in $(seq 1 300); do grep -q "exported config" "$(node_log "$name")" && break; sleep 0.1; done
  fi
  local before
  before=$(grep -c "exported config" "$(node_log "$name")" || true)
  (while sleep 1; do curl -fsS -o /dev/null -X POST "$url/_harness/touch"; done) &
  TOUCHER=$!
  wrk -t1 -c"$conns" -d"${seconds}s" --latency "$url/" >"$WORK/wrk.out"
  kill "$TOUCHER"; wait "$TOUCHER" 2>/dev/null || true; TOUCHER=
  local after failed
  after=$(grep -c "exported config" "$(node_log "$name")" || true)
  failed=$(grep -c "export of config .* failed" "$(node_log "$name")" || true)
  [ "$failed" -eq 0 ] || { echo "exports failed:" >&2; grep "failed" "$(node_log "$name")" | tail -3 >&2; exit 1; }
  # How long the exports during the run took (export_config to stored), in ms.
  grep "exported config" "$(node_log "$name")" | tail -n +"$((before + 1))" |
    sed -nE 's/.* in ([0-9]+) ms.*/\1/p' >>"$WORK/export-ms.$mode"
  node_stop "$name"
  local p50 p99 rps
  p50=$(awk '$1 == "50%" { print $2 }' "$WORK/wrk.out" | to_us)
  p99=$(awk '$1 == "99%" { print $2 }' "$WORK/wrk.out" | to_us)
  rps=$(awk '$1 == "Requests/sec:" { print $2 }' "$WORK/wrk.out")
  echo "$p50 $p99 $rps $((after - before))"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

: >"$WORK/export-ms.on"
printf '| round | P99 off (us) | P99 on (us) | on/off | P50 off | P50 on | req/s off | req/s on | exports in the run |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
declare -a p99_off p99_on p50_off p50_on rps_off rps_on ratios
for ((r = 1; r <= rounds; r++)); do
  if ((r % 2)); then order=(off on); else order=(on off); fi
  for mode in "${order[@]}"; do
    read -r p50 p99 rps exports <<<"$(measure "$mode")"
    if [ "$mode" = off ]; then p50o=$p50 p99o=$p99 rpso=$rps; else p50n=$p50 p99n=$p99 rpsn=$rps exn=$exports; fi
  done
  ratio=$(awk -v a="$p99n" -v b="$p99o" 'BEGIN { printf "%.2f", a / b }')
  p99_off+=("$p99o") p99_on+=("$p99n") p50_off+=("$p50o") p50_on+=("$p50n") rps_off+=("$rpso") rps_on+=("$rpsn") ratios+=("$ratio")
  printf '| %d | %s | %s | %sx | %s | %s | %s | %s | %s |\n' "$r" "$p99o" "$p99n" "$ratio" "$p50o" "$p50n" "$rpso" "$rpsn" "$exn"
done
mo=$(printf '%s\n' "${p99_off[@]}" | median)
mn=$(printf '%s\n' "${p99_on[@]}" | median)
mr=$(printf '%s\n' "${ratios[@]}" | median)
echo
awk -v o="$mo" -v n="$mn" -v r="$mr" -v po="$(printf '%s\n' "${p50_off[@]}" | median)" -v pn="$(printf '%s\n' "${p50_on[@]}" | median)" \
    -v ro="$(printf '%s\n' "${rps_off[@]}" | median)" -v rn="$(printf '%s\n' "${rps_on[@]}" | median)" 'BEGIN {
  printf "median P99: off %d us, on %d us: %.2fx (median of per-round ratios %.2fx; target <= 1.10x)\n", o, n, n / o, r
  printf "median P50: off %d us, on %d us: %.2fx; median throughput: off %d req/s, on %d req/s\n", po, pn, pn / po, ro, rn }'
echo "exports during the measured runs: $(wc -l <"$WORK/export-ms.on"), each taking (export_config to stored) median" \
  "$(median <"$WORK/export-ms.on") ms, max $(sort -n "$WORK/export-ms.on" | tail -1) ms"

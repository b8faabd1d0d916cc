#!/usr/bin/env bash
# Proxy latency on a backup node while it exports, against the same node not
# exporting, at light load and saturated, in one run. One node (export on, delay 2 s) holds a 16 MB
# configuration; wrk drives its trivial location (the worker's event loop and
# nothing else) in alternating phases:
#   exporting: the configuration's hash changes every second (a control plane
#              pushing changes), so export windows follow each other and the
#              node serializes and uploads 16 MB about every 2 s;
#   idle:      no change, no export (the baseline), with the same once-a-second
#              curl as the exporting phase, to a no-op location.
# Phases alternate (idle first in odd rounds, exporting first in even ones), so
# the machine's drift hits both; one node throughout, so no restart variance.
# The report: per-round P99s, their medians and the ratio, and export times.
#
# Usage: bench/p99_bench.sh [ROUNDS] [SECONDS]        (default 7 rounds of 15 s)
#   FC_BENCH_STORAGE=file|rgw   file:// on /dev/shm (default: isolates the node's
#                               own cost) or a real Ceph RGW on the same 2 cores
#   FC_BENCH_MB=16  FC_BENCH_WORKERS=1
#   FC_BENCH_READER=lmdb|dao    how a DB-less node's export is read: the
#                               library's LMDB helper (default) or, with the
#                               helper left out, Kong's DAO on the event loop
#   FC_BENCH_LIGHT_CONNECTIONS=2   wrk's connections at light load (about a
#                               quarter of the worker), closed loop
#   FC_BENCH_CONNECTIONS=8      and saturated (the worker at 100%)
#   FC_BENCH_PACE_MS=N          each connection waits N ms between requests (a
#                               paced load below saturation, as a gateway runs;
#                               e.g. 64 connections at 1 ms ~ 40% of one worker).
#                               Unset: closed loop, the worker saturated.
# One nginx worker by default: worker 0 does the export, so every request
# competes with it (the worst case), and wrk keeps the other core.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
rounds=${1:-7}
seconds=${2:-15}
storage=${FC_BENCH_STORAGE:-file}
mb=${FC_BENCH_MB:-16}
conns=${FC_BENCH_CONNECTIONS:-8}
light_conns=${FC_BENCH_LIGHT_CONNECTIONS:-2}
delay=2

scripts/install-deps.sh "$([ "$storage" = rgw ] && echo bench-rgw || echo bench)" >/dev/null
cmake -S . -B build-bench -DFC_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j"$(nproc)" >/dev/null

WORK=$(mktemp -d /tmp/fc-p99-bench.XXXXXX)
chmod 755 "$WORK"
SHM=/dev/shm/fc-p99-bench.$$
export FC_NODES_DIR=$WORK/nodes FC_LIB_DIR=$ROOT/build-bench/native FC_NODE_WORKERS=${FC_BENCH_WORKERS:-1}
if [ "${FC_BENCH_READER:-lmdb}" = dao ]; then
  # The library without its helper beside it: the exporter falls back to the DAO.
  mkdir -p "$WORK/lib" && cp -a "$FC_LIB_DIR"/libfallback_config.so* "$WORK/lib/" && FC_LIB_DIR=$WORK/lib
fi
source tests/kong_harness/node.sh
TICKER=
stop_ticker() {
  if [ -n "$TICKER" ]; then kill "$TICKER" 2>/dev/null || true; wait "$TICKER" 2>/dev/null || true; fi
  TICKER=
}
cleanup() {
  stop_ticker
  node_stop_all
  scripts/rgw-down.sh "$WORK/rgw" >/dev/null 2>&1 || true
  rm -rf "$WORK" "$SHM"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

NODE_ENV=(KONG_HARNESS_VERSION=3.9.1.0 KONG_CLUSTER_FALLBACK_CONFIG_EXPORT=on
          KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY=$delay)
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
  install -d -m 1777 "$SHM"
  NODE_ENV+=(KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=file://$SHM/kong)
fi

luajit bench/make_config.lua "$mb" >"$WORK/config.json"
echo "configuration: $(wc -c <"$WORK/config.json") bytes; $rounds rounds of ${seconds} s per phase; wrk -t1 -c$light_conns and -c$conns" \
  "${FC_BENCH_PACE_MS:+paced at $FC_BENCH_PACE_MS ms per connection}${FC_BENCH_PACE_MS:-closed loop};" \
  "$FC_NODE_WORKERS nginx worker(s); storage $storage; reader ${FC_BENCH_READER:-lmdb}" >&2

WRK_SCRIPT=()
if [ -n "${FC_BENCH_PACE_MS:-}" ]; then
  printf 'function delay() return %d end\n' "$FC_BENCH_PACE_MS" >"$WORK/pace.lua"
  WRK_SCRIPT=(-s "$WORK/pace.lua")
fi
# FC_BENCH_PIN=1: the node on CPU 0, wrk on CPU 1 (nginx's worker_cpu_affinity,
# Kong's nginx_main_worker_cpu_affinity, do this in production).
WRK_PIN=()
if [ "${FC_BENCH_PIN:-0}" = 1 ]; then export FC_NODE_CPUS=0; WRK_PIN=(taskset -c 1); fi
node_start bench "${NODE_ENV[@]}" >/dev/null
URL=http://127.0.0.1:$PORT_bench
LOG=$(node_log bench)
# The worker's main thread is its event loop (the library's thread and the
# helper process are others): its CPU time per request is the proxy's cost,
# which the hypervisor's steal time, unlike P99, does not inflate.
WORKER=$(pgrep -P "${FC_NODE_PIDS[bench]}" | head -1)
CLK_TCK=$(getconf CLK_TCK)
loop_ticks() { awk '{ print $14 + $15 }' "/proc/$WORKER/task/$WORKER/stat"; }
cpu_line() { awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $9 }' /proc/stat; }
read -r CPU_TOTAL0 CPU_STEAL0 <<<"$(cpu_line)"
exports() { grep -c "exported config" "$LOG" || true; }
curl -fsS -o /dev/null -X POST --data-binary "@$WORK/config.json" "$URL/_harness/config"
curl -fsS -o /dev/null "$URL/_harness/config" # the harness decodes it once, before measuring
for _ in $(seq 1 300); do [ "$(exports)" -ge 1 ] && break; sleep 0.1; done
[ "$(exports)" -ge 1 ] || { echo "the first export did not happen" >&2; tail -5 "$LOG" >&2; exit 1; }

# wrk's "50%"/"99%" lines in microseconds.
to_us() { awk '{ v = $1 + 0; if ($1 ~ /us$/) print v; else if ($1 ~ /ms$/) print v * 1000; else if ($1 ~ /s$/) print v * 1000000 }'; }

# phase idle|exporting CONNECTIONS: prints "p50_us p99_us requests_per_s exports_during"
phase() {
  local before after
  if [ "$1" = exporting ]; then
    (while sleep 1; do curl -fsS -o /dev/null -X POST "$URL/_harness/touch"; done) &
    TICKER=$!
    sleep "$delay" # the first window ends: exports are under way when wrk starts
  else
    (while sleep 1; do curl -fsS -o /dev/null "$URL/"; done) &
    TICKER=$!
  fi
  before=$(exports)
  local ticks0 ticks1
  ticks0=$(loop_ticks)
  "${WRK_PIN[@]}" wrk -t1 -c"$2" -d"${seconds}s" --latency "${WRK_SCRIPT[@]}" "$URL/" >"$WORK/wrk.out"
  ticks1=$(loop_ticks)
  after=$(exports)
  stop_ticker
  if [ "$1" = exporting ]; then
    # The exports still under way finish before the next phase: an idle phase has none.
    local last=-1
    while [ "$(exports)" != "$last" ]; do last=$(exports); sleep $((delay + 2)); done
  fi
  local p50 p99 rps
  p50=$(awk '$1 == "50%" { print $2 }' "$WORK/wrk.out" | to_us)
  p99=$(awk '$1 == "99%" { print $2 }' "$WORK/wrk.out" | to_us)
  rps=$(awk '$1 == "Requests/sec:" { print $2 }' "$WORK/wrk.out")
  local loop_ns
  loop_ns=$(awk -v t=$((ticks1 - ticks0)) -v hz="$CLK_TCK" '$2 == "requests" { printf "%d", t * 1e9 / hz / $1 }' "$WORK/wrk.out")
  echo "$p50 $p99 $rps $((after - before)) $loop_ns"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Both loads in every round, so that the machine's drift hits both alike.
declare -A CONNS=([light]=$light_conns [saturated]=$conns) TARGET=([light]=1.10 [saturated]=1.25)
declare -A p99_i p99_e p50_i p50_e rps_i rps_e ratios loop_ratios
printf '| round | load | P99 idle (us) | P99 exporting (us) | ratio | P50 idle | P50 exporting | req/s idle | req/s exporting | loop CPU per request idle (ns) | exporting (ns) | exports during wrk |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|---|\n'
for ((r = 1; r <= rounds; r++)); do
  if ((r % 2)); then order=(idle exporting); else order=(exporting idle); fi
  for load in light saturated; do
    for mode in "${order[@]}"; do
      read -r p50 p99 rps n loop <<<"$(phase "$mode" "${CONNS[$load]}")"
      if [ "$mode" = idle ]; then
        [ "$n" -eq 0 ] || { echo "an export ran during an idle phase" >&2; exit 1; }
        p50i=$p50 p99i=$p99 rpsi=$rps loopi=$loop
      else
        p50e=$p50 p99e=$p99 rpse=$rps ne=$n loope=$loop
      fi
    done
    ratio=$(awk -v a="$p99e" -v b="$p99i" 'BEGIN { printf "%.2f", a / b }')
    p99_i[$load]+="$p99i " p99_e[$load]+="$p99e " p50_i[$load]+="$p50i " p50_e[$load]+="$p50e "
    rps_i[$load]+="$rpsi " rps_e[$load]+="$rpse " ratios[$load]+="$ratio "
    loop_ratios[$load]+="$(awk -v a="$loope" -v b="$loopi" 'BEGIN { printf "%.3f", a / b }') "
    printf '| %d | %s | %s | %s | %sx | %s | %s | %s | %s | %s | %s | %s |\n' "$r" "$load (-c${CONNS[$load]})" "$p99i" "$p99e" \
      "$ratio" "$p50i" "$p50e" "$rpsi" "$rpse" "$loopi" "$loope" "$ne"
  done
done
grep "exported config" "$LOG" | tail -n +2 | sed -nE 's/.* in ([0-9]+) ms.*/\1/p' >"$WORK/export-ms"
failed=$(grep -c "export of config .* failed" "$LOG" || true)
echo
med() { tr ' ' '\n' <<<"$1" | grep . | median; }
for load in light saturated; do
  awk -v load="$load" -v c="${CONNS[$load]}" -v t="${TARGET[$load]}" \
      -v i="$(med "${p99_i[$load]}")" -v e="$(med "${p99_e[$load]}")" -v r="$(med "${ratios[$load]}")" \
      -v pi="$(med "${p50_i[$load]}")" -v pe="$(med "${p50_e[$load]}")" \
      -v ri="$(med "${rps_i[$load]}")" -v re="$(med "${rps_e[$load]}")" -v l="$(med "${loop_ratios[$load]}")" 'BEGIN {
    printf "%s (wrk -c%d): median P99 idle %d us, exporting %d us: %.2fx (median of per-round ratios %.2fx; target <= %sx)\n", load, c, i, e, e / i, r, t
    printf "  median P50: idle %d us, exporting %d us; median throughput: idle %d req/s, exporting %d req/s\n", pi, pe, ri, re
    printf "  event-loop CPU per request, exporting over idle: median of per-round ratios %.3fx\n", l }'
done
read -r CPU_TOTAL1 CPU_STEAL1 <<<"$(cpu_line)"
awk -v t=$((CPU_TOTAL1 - CPU_TOTAL0)) -v s=$((CPU_STEAL1 - CPU_STEAL0)) 'BEGIN {
  printf "steal: %.1f%% of the machine'"'"'s CPU time went to other guests during the run (noise in every P99)\n", 100 * s / t }'
echo "exports: $(wc -l <"$WORK/export-ms") after the first, each taking (read to stored) median" \
  "$(median <"$WORK/export-ms") ms, max $(sort -n "$WORK/export-ms" | tail -1) ms; failed exports: $failed"
LMDB_EXPORTS=$(grep -c "read from LMDB" "$LOG" || true)
echo "exports read from LMDB by the helper process: $LMDB_EXPORTS (the rest through Kong's DAO)"

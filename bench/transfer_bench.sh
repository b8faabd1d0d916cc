#!/usr/bin/env bash
# push and pull of 1, 16 and 64 MB configurations against a real Ceph RGW, with
# curl (the same PUT/GET, signed by curl's --aws-sigv4) and `aws s3 cp` measured
# in the same run. Reports median wall times, ratios, and the peak RSS of push.
# Usage: bench/transfer_bench.sh [RUNS]   (default 7 runs per cell, interleaved)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
runs=${1:-7}

scripts/install-deps.sh test >/dev/null
cmake -S . -B build-bench -DFC_BUILD_TESTS=OFF -DFC_BUILD_BENCH=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j"$(nproc)" --target fallback-config >/dev/null
CLI=$ROOT/build-bench/native/fallback-config

WORK=$(mktemp -d /tmp/fc-transfer-bench.XXXXXX)
cleanup() { scripts/rgw-down.sh "$WORK/rgw" >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 143' TERM INT
# Each cell uploads its size 7 times per client; RGW frees overwritten data late.
FC_RGW_MEMSTORE_BYTES=$((6 * 1024 * 1024 * 1024)) scripts/rgw-up.sh "$WORK/rgw" >/dev/null 2>"$WORK/rgw-up.log" || { cat "$WORK/rgw-up.log"; exit 1; }
source "$WORK/rgw/env"

export AWS_ACCESS_KEY_ID=$FC_RGW_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$FC_RGW_SECRET_KEY AWS_REGION=us-east-1
export AWS_CONFIG_STORAGE_ENDPOINT=$FC_RGW_ENDPOINT
export AWS_REQUEST_CHECKSUM_CALCULATION=when_required AWS_RESPONSE_CHECKSUM_VALIDATION=when_required
BUCKET=fc-bench
export KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=s3://$BUCKET/kong
aws --endpoint-url "$FC_RGW_ENDPOINT" s3api create-bucket --bucket "$BUCKET" >/dev/null

# curl signs with its own SigV4; UNSIGNED-PAYLOAD because curl cannot hash a
# streamed upload (so curl does strictly less work than push, which hashes).
CURL_SIGV4=(curl -sS --fail --aws-sigv4 "aws:amz:us-east-1:s3" --user "$FC_RGW_ACCESS_KEY:$FC_RGW_SECRET_KEY"
  -H "x-amz-content-sha256: UNSIGNED-PAYLOAD")
curl_put() { "${CURL_SIGV4[@]}" -o /dev/null -H "Content-Type: application/json" -T "$1" "$FC_RGW_ENDPOINT/$BUCKET/$2"; }
curl_get() { "${CURL_SIGV4[@]}" -o "$1" "$FC_RGW_ENDPOINT/$BUCKET/$2"; }
awscli() { aws --endpoint-url "$FC_RGW_ENDPOINT" --only-show-errors "$@"; }

# round_robin F1 F2 F3: runs the three functions in turn, $runs rounds after one
# warm-up round, so that page-cache writeback and RGW's state hit all three
# alike; prints the three medians in ms.
round_robin() {
  local -a t1 t2 t3
  local _round _which _t0 _t _fn
  for _fn in "$@"; do "$_fn" >/dev/null 2>&1; done
  for ((_round = 0; _round < runs; _round++)); do
    for _which in 1 2 3; do
      _t0=$EPOCHREALTIME
      "${!_which}" >/dev/null 2>&1 || { echo "${!_which} failed" >&2; exit 1; }
      _t=$(awk -v a="$_t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", (b - a) * 1000 }')
      case $_which in 1) t1+=("$_t") ;; 2) t2+=("$_t") ;; 3) t3+=("$_t") ;; esac
    done
  done
  for _fn in t1 t2 t3; do
    local -n arr=$_fn
    printf '%s\n' "${arr[@]}" | sort -n | awk '{ v[NR] = $1 } END { printf "%s ", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
  done
}

peak_rss_kb() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
# CPU seconds (user + sys) of one run: on this 2-core machine the client's CPU
# competes with RGW's, so it shows where wall time over curl's goes.
cpu_ms() { /usr/bin/time -f "%U %S" "$@" 2>&1 >/dev/null | tail -1 | awk '{ printf "%.0f", ($1 + $2) * 1000 }'; }

printf '| size | op | fallback-config ms | curl ms | aws s3 cp ms | vs curl | awscli / ours |\n'
printf '|---|---|---|---|---|---|---|\n'
declare -A rss cpu_ours cpu_curl
for mb in 1 16 64; do
  f=$WORK/config-$mb.json
  { printf '{"_format_version":"3.0","blob":"'; head -c $((mb * 1024 * 1024 * 3 / 4)) /dev/urandom | base64 -w0; printf '"}'; } >"$f"
  ours_push() { "$CLI" push "$f" --kong-version "$mb.0.0.0"; }
  curl_push() { curl_put "$f" "kong/curl-$mb.json"; }
  aws_push() { awscli s3 cp "$f" "s3://$BUCKET/kong/aws-$mb.json"; }
  read -r ours theirs awsv <<<"$(round_robin ours_push curl_push aws_push)"
  awk -v s="$mb MB" -v o="$ours" -v c="$theirs" -v a="$awsv" \
    'BEGIN { printf "| %s | push | %s | %s | %s | %.2fx | %.1fx |\n", s, o, c, a, o / c, a / o }'
  ours_pull() { "$CLI" pull --kong-version "$mb.0.0.0" -o "$WORK/out.json"; }
  curl_pull() { curl_get "$WORK/out-curl.json" "kong/curl-$mb.json"; }
  aws_pull() { awscli s3 cp "s3://$BUCKET/kong/aws-$mb.json" "$WORK/out-aws.json"; }
  read -r ours theirs awsv <<<"$(round_robin ours_pull curl_pull aws_pull)"
  cmp -s "$f" "$WORK/out.json" || { echo "pull returned different bytes" >&2; exit 1; }
  awk -v s="$mb MB" -v o="$ours" -v c="$theirs" -v a="$awsv" \
    'BEGIN { printf "| %s | pull | %s | %s | %s | %.2fx | %.1fx |\n", s, o, c, a, o / c, a / o }'
  rss[$mb]=$(peak_rss_kb "$CLI" push "$f" --kong-version "$mb.0.0.0")
  cpu_ours[$mb]=$(cpu_ms "$CLI" push "$f" --kong-version "$mb.0.0.0")
  cpu_curl[$mb]=$(cpu_ms "${CURL_SIGV4[@]}" -o /dev/null -H "Content-Type: application/json" -T "$f" \
    "$FC_RGW_ENDPOINT/$BUCKET/kong/curl-$mb.json")
done
echo
for mb in 1 16 64; do echo "CPU time of one push, $mb MB: fallback-config ${cpu_ours[$mb]} ms, curl ${cpu_curl[$mb]} ms"; done
echo "peak RSS of push: 1 MB: ${rss[1]} KiB, 16 MB: ${rss[16]} KiB, 64 MB: ${rss[64]} KiB"
awk -v a="${rss[1]}" -v b="${rss[64]}" 'BEGIN {
  growth = b - a; quarter = 64 * 1024 / 4
  printf "growth from 1 MB to 64 MB: %d KiB (%.1f%% of the 63 MB added; target < 25%%)\n", growth, 100 * growth / (63 * 1024) }'

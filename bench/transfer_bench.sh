#!/usr/bin/env bash
# push and pull of 1, 16 and 64 MB configurations against a real Ceph RGW, with
# curl (the same PUT/GET, signed by curl's --aws-sigv4) and `aws s3 cp` measured
# in the same run. Reports median wall times, ratios, and the peak RSS of push.
# Usage: bench/transfer_bench.sh [RUNS]   (default 5 runs per cell)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
runs=${1:-5}

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
curl_put() {
  curl -sS --fail -o /dev/null --aws-sigv4 "aws:amz:us-east-1:s3" --user "$FC_RGW_ACCESS_KEY:$FC_RGW_SECRET_KEY" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -H "Content-Type: application/json" -T "$1" "$FC_RGW_ENDPOINT/$BUCKET/$2"
}
curl_get() {
  curl -sS --fail -o "$1" --aws-sigv4 "aws:amz:us-east-1:s3" --user "$FC_RGW_ACCESS_KEY:$FC_RGW_SECRET_KEY" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$FC_RGW_ENDPOINT/$BUCKET/$2"
}
awscli() { aws --endpoint-url "$FC_RGW_ENDPOINT" --only-show-errors "$@"; }

# median_ms CMD...: runs CMD $runs times (after one warm-up), prints the median in ms.
median_ms() {
  local times=() i t0 t1
  "$@" >/dev/null 2>&1
  for ((i = 0; i < runs; i++)); do
    t0=$EPOCHREALTIME
    "$@" >/dev/null 2>&1
    t1=$EPOCHREALTIME
    times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) * 1000 }')")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

peak_rss_kb() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }

printf '| size | op | fallback-config ms | curl ms | aws s3 cp ms | vs curl | awscli / ours |\n'
printf '|---|---|---|---|---|---|---|\n'
declare -A rss
for mb in 1 16 64; do
  f=$WORK/config-$mb.json
  { printf '{"_format_version":"3.0","blob":"'; head -c $((mb * 1024 * 1024 * 3 / 4)) /dev/urandom | base64 -w0; printf '"}'; } >"$f"
  ours=$(median_ms "$CLI" push "$f" --kong-version "$mb.0.0.0")
  theirs=$(median_ms curl_put "$f" "kong/curl-$mb.json")
  awsv=$(median_ms awscli s3 cp "$f" "s3://$BUCKET/kong/aws-$mb.json")
  awk -v s="$mb MB" -v o="$ours" -v c="$theirs" -v a="$awsv" \
    'BEGIN { printf "| %s | push | %s | %s | %s | %.2fx | %.1fx |\n", s, o, c, a, o / c, a / o }'
  ours=$(median_ms "$CLI" pull --kong-version "$mb.0.0.0" -o "$WORK/out.json")
  theirs=$(median_ms curl_get "$WORK/out-curl.json" "kong/curl-$mb.json")
  awsv=$(median_ms awscli s3 cp "s3://$BUCKET/kong/aws-$mb.json" "$WORK/out-aws.json")
  cmp -s "$f" "$WORK/out.json" || { echo "pull returned different bytes" >&2; exit 1; }
  awk -v s="$mb MB" -v o="$ours" -v c="$theirs" -v a="$awsv" \
    'BEGIN { printf "| %s | pull | %s | %s | %s | %.2fx | %.1fx |\n", s, o, c, a, o / c, a / o }'
  rss[$mb]=$(peak_rss_kb "$CLI" push "$f" --kong-version "$mb.0.0.0")
done
echo
echo "peak RSS of push: 1 MB: ${rss[1]} KiB, 16 MB: ${rss[16]} KiB, 64 MB: ${rss[64]} KiB"
awk -v a="${rss[1]}" -v b="${rss[64]}" 'BEGIN {
  growth = b - a; quarter = 64 * 1024 / 4
  printf "growth from 1 MB to 64 MB: %d KiB (%.1f%% of the 63 MB added; target < 25%%)\n", growth, 100 * growth / (63 * 1024) }'

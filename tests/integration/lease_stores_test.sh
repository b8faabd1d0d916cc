#!/usr/bin/env bash
# The export lease on each real store: two nodes racing for free leases at the
# same instant, round after round (tests/lease/lease_contest.cpp), on Ceph RGW,
# the strict GCS test server and a file:// directory; and the CLI's lease
# command (show, --release, --probe) on each.
# Needs: FC_CLI, FC_LIB_DIR, FC_LEASE_CONTEST, FC_RGW_ENV, FC_GCS_ENV (and FC_LUA_LD_PRELOAD
# in the sanitizer build).
source "$(dirname "$0")/lib.sh"
source "$FC_RGW_ENV"
source "$FC_GCS_ENV"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/fc-lease-stores.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
SECRETS+=("$FC_RGW_SECRET_KEY" "$(sed -n '2p' "$ROOT/tests/fixtures/gcp/test-key.pem")")
ROUNDS=${FC_LEASE_ROUNDS:-60}
VERSION=3.9.1.0

BUCKET=fc-lease-stores-$RANDOM$RANDOM
AWS_ACCESS_KEY_ID=$FC_RGW_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$FC_RGW_SECRET_KEY AWS_REGION=us-east-1 \
  aws --endpoint-url "$FC_RGW_ENDPOINT" s3api create-bucket --bucket "$BUCKET" >/dev/null || exit 1
curl -fsS -X POST "$FC_GCS_ENDPOINT/_test/buckets?name=$BUCKET" >/dev/null || exit 1
s3() { env AWS_ACCESS_KEY_ID="$FC_RGW_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$FC_RGW_SECRET_KEY" AWS_REGION=us-east-1 \
  AWS_CONFIG_STORAGE_ENDPOINT="$FC_RGW_ENDPOINT" KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="s3://$BUCKET/kong" "$@"; }
gcs() { env STORAGE_EMULATOR_HOST="127.0.0.1:$FC_GCS_PORT" GCP_SERVICE_ACCOUNT="$(cat "$FC_GCS_SA")" \
  KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="gcs://$BUCKET/kong" "$@"; }
dir() { env KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="file://$WORK/files/kong" "$@"; }

for store in s3 gcs dir; do
  run "$store" "$FC_LEASE_CONTEST" "$ROUNDS"
  check_rc 0 "$store: two nodes racing for a free lease: exactly one wins, $ROUNDS times ($OUT$ERR)"
  run "$store" "$FC_CLI" lease --kong-version $VERSION --probe
  check_rc 0 "$store: lease --probe: the store honours conditional writes"
  run "$store" "$FC_CLI" lease --kong-version $VERSION
  check_rc 0 "$store: lease with no lease object"
  check_contains "$OUT" "holder:        - (no lease object: free)" "$store: says it is free"
done

# A lease held by a node (through the plugin's bindings, from LuaJIT), shown
# and released by hand.
for store in s3 gcs dir; do
  run "$store" env LUA_PATH="$ROOT/lua/?.lua;;" LUA_CPATH="$FC_LIB_DIR/?.so;;" ${FC_LUA_LD_PRELOAD:+LD_PRELOAD=$FC_LUA_LD_PRELOAD} luajit -e '
    local native = require("kong.plugins.fallback-config.native")
    local client = assert(native.new_client({ uploader = "node-held" }, true))
    local lease = assert(client:lease_start("'"$VERSION"'", 30, 10))
    for _ = 1, 100 do
      local info = assert(lease:info())
      if info.leading then print("leading epoch " .. info.epoch) os.exit(0) end
      os.execute("sleep 0.05")
    end
    print("never led") os.exit(1)'
  check_rc 0 "$store: a node takes the lease ($OUT)"
  run "$store" "$FC_CLI" lease --kong-version $VERSION
  check_contains "$OUT" "holder:        node-held" "$store: lease shows the holder"
  check_contains "$OUT" "epoch:         1" "$store: and the epoch"
  check_contains "$OUT" "(by the store's clock)" "$store: and the time left"
  run "$store" "$FC_CLI" lease --kong-version $VERSION --release
  check_rc 0 "$store: lease --release"
  check_contains "$ERR" "warning: releasing the lease of node-held (epoch 1): another backup node may take it at once" \
    "$store: with a warning naming the holder"
  run "$store" "$FC_CLI" lease --kong-version $VERSION
  check_contains "$OUT" "holder:        - (released: free)" "$store: the lease is free"
  check_contains "$OUT" "epoch:         1" "$store: and keeps its epoch, for the next holder to pass"
  run "$store" "$FC_CLI" lease --kong-version $VERSION --release
  check_contains "$ERR" "the lease is free already" "$store: releasing a free lease does nothing"
done
finish

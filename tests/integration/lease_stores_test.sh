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
# Kong EE's registrations on each store, as EE writes them (an empty object:
# S3 <register time>-<node id>, GCS <node id>): a node with the election's
# round set takes part in EE's election and stands by for the older EE node,
# registering itself as EE does (on GCS refreshing its object in place).
: >"$WORK/empty"
GCS_TOKEN=$(curl -fsS -X POST "$FC_GCS_ENDPOINT/_test/token?ttl=600" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
SECRETS+=("$GCS_TOKEN")
ee_register() { # ee_register STORE: an EE node's registration, made without this project's code
  local election=kong/$VERSION/election
  case $1 in
    s3) AWS_ACCESS_KEY_ID=$FC_RGW_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$FC_RGW_SECRET_KEY AWS_REGION=us-east-1 \
          aws --endpoint-url "$FC_RGW_ENDPOINT" s3api put-object --bucket "$BUCKET" --key "$election/1000000000.5-ee-fake" \
          --body "$WORK/empty" >/dev/null ;;
    gcs) curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $GCS_TOKEN" --data-binary @"$WORK/empty" \
          "$FC_GCS_ENDPOINT/upload/storage/v1/b/$BUCKET/o?uploadType=media&name=${election//\//%2F}%2Fee-fake" ;;
    dir) mkdir -p "$WORK/files/$election" && : >"$WORK/files/$election/1000000000.5-ee-fake" ;;
  esac
}
gcs_object() { # gcs_object NAME: the object's JSON resource
  curl -fsS -H "Authorization: Bearer $GCS_TOKEN" "$FC_GCS_ENDPOINT/storage/v1/b/$BUCKET/o/${1//\//%2F}"
}
for store in s3 gcs dir; do
  ee_register "$store" || failed "$store: an EE registration is written"
  run "$store" env LUA_PATH="$ROOT/lua/?.lua;;" LUA_CPATH="$FC_LIB_DIR/?.so;;" ${FC_LUA_LD_PRELOAD:+LD_PRELOAD=$FC_LUA_LD_PRELOAD} luajit -e '
    local native = require("kong.plugins.fallback-config.native")
    local client = assert(native.new_client({ uploader = "node-mixed" }, true))
    local lease = assert(client:lease_start("'"$VERSION"'", 6, 1, 4))
    for _ = 1, 100 do
      local info = assert(lease:info())
      if info.state == "ee_standby" then
        os.execute("sleep 3.5") -- past half a round and one more: the registration is refreshed once
        info = assert(lease:info())
        print(info.state .. " " .. tostring(info.holder)) os.exit(0)
      end
      os.execute("sleep 0.05")
    end
    local info = lease:info()
    print("never took part: " .. tostring(info.state) .. " " .. tostring(info.problem)) os.exit(1)'
  check_rc 0 "$store: beside a Kong EE registration, a node takes part in EE's election"
  check_eq "$OUT" "ee_standby ee-fake" "$store: and stands by for the older EE node"
done

registrations=$(AWS_ACCESS_KEY_ID=$FC_RGW_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$FC_RGW_SECRET_KEY AWS_REGION=us-east-1 \
  aws --endpoint-url "$FC_RGW_ENDPOINT" s3 ls "s3://$BUCKET/kong/$VERSION/election/")
check_contains "$registrations" "-node-mixed" "s3: it registers as <register time>-<node id>, as EE does"
ls "$WORK/files/kong/$VERSION/election/" | grep -q -- '-node-mixed$' && pass "dir: the same" || failed "dir: the same"
mine=$(gcs_object "kong/$VERSION/election/node-mixed")
created=$(printf '%s' "$mine" | sed 's/.*"timeCreated":"\([^"]*\)".*/\1/')
updated=$(printf '%s' "$mine" | sed 's/.*"updated":"\([^"]*\)".*/\1/')
metagen=$(printf '%s' "$mine" | sed 's/.*"metageneration":"\([^"]*\)".*/\1/')
if [ -n "$created" ] && [[ "$updated" > "$created" ]] && [ "$metagen" -ge 2 ]; then
  pass "gcs: it registers as <node id> and refreshes it in place, as EE does (timeCreated kept, updated moved)"
else
  failed "gcs: it registers as <node id> and refreshes it in place" "$mine"
fi
finish

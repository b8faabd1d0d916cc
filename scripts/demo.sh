#!/usr/bin/env bash
# The main job end to end on one machine: a backup node (Kong with the plugin)
# exports each new configuration; the control plane goes away; a new data plane
# starts, finds no control plane, imports the backup and runs the same
# configuration. Storage is the embedded default (file://), or a real Ceph RGW
# (S3) with --rgw.
#
# The gateway nodes are nginx + lua-nginx-module + LuaJIT running the plugin
# under tests/kong_harness (no Kong package exists for Debian); the harness's
# /_harness/config endpoint plays the control plane pushing a configuration.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

storage=file
case "${1:-}" in
  --rgw) storage=rgw ;;
  "") ;;
  *) echo "usage: $0 [--rgw]" >&2; exit 2 ;;
esac

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "install and build"
scripts/install-deps.sh "$([ "$storage" = rgw ] && echo demo-rgw || echo demo)"
cmake -S . -B build-demo -DFC_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-demo -j"$(nproc)" >/dev/null
CLI=$ROOT/build-demo/native/fallback-config

WORK=$(mktemp -d /tmp/fallback-config-demo.XXXXXX)
export FC_NODES_DIR=$WORK/nodes FC_LIB_DIR=$ROOT/build-demo/native
source tests/kong_harness/node.sh
cleanup() {
  node_stop_all
  [ "$storage" = rgw ] && scripts/rgw-down.sh "$WORK/rgw" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT
VERSION=3.9.1.0
NODE_ENV=(KONG_HARNESS_VERSION=$VERSION)

if [ "$storage" = rgw ]; then
  step "storage: a real Ceph RGW on 127.0.0.1"
  scripts/rgw-up.sh "$WORK/rgw" >/dev/null
  source "$WORK/rgw/env"
  export AWS_ACCESS_KEY_ID=$FC_RGW_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$FC_RGW_SECRET_KEY AWS_REGION=us-east-1
  # Kong never creates buckets: the operator does. Here with curl, signed by
  # the CLI's `sign` (Debian's curl --aws-sigv4 is not reliable).
  headers=()
  while IFS= read -r line; do headers+=(-H "$line"); done < <(
    printf 'PUT /kong-backups HTTP/1.1\r\nHost: %s\r\n\r\n' "${FC_RGW_ENDPOINT#http://}" |
      "$CLI" sign --s3 --region us-east-1 --show headers)
  curl -fsS -X PUT "${headers[@]}" "$FC_RGW_ENDPOINT/kong-backups"
  export KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=s3://kong-backups/prod
  export AWS_CONFIG_STORAGE_ENDPOINT=$FC_RGW_ENDPOINT
  NODE_ENV+=(AWS_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" AWS_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY"
             AWS_REGION=us-east-1 AWS_CONFIG_STORAGE_ENDPOINT="$AWS_CONFIG_STORAGE_ENDPOINT")
else
  # nginx workers run as nobody: the shared directory must be theirs to write.
  chmod 755 "$WORK"
  install -d -m 1777 "$WORK/storage"
  export KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=file://$WORK/storage/prod
fi
echo "KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=$KONG_CLUSTER_FALLBACK_CONFIG_STORAGE"
NODE_ENV+=(KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="$KONG_CLUSTER_FALLBACK_CONFIG_STORAGE")

push_config() { # push_config FILE: the control plane sends the backup node a configuration
  curl -fsS -o /dev/null -X POST --data-binary "@$1" "http://127.0.0.1:$PORT_backup/_harness/config"
}
plugin_log() { grep -h -o '\[fallback-config\] [^,]*' "$(node_log "$1")" || true; }
wait_for_count() { # wait_for_count NODE PATTERN N SECONDS
  local end=$((SECONDS + $4))
  until [ "$(plugin_log "$1" | grep -c -- "$2")" -ge "$3" ]; do
    [ "$SECONDS" -lt "$end" ] || { echo "timed out waiting for $3 x '$2' on $1" >&2; tail -5 "$(node_log "$1")" >&2; exit 1; }
    sleep 0.2
  done
}
wait_for() { # wait_for NODE PATTERN SECONDS
  local end=$((SECONDS + $3))
  until plugin_log "$1" | grep -q -- "$2"; do
    [ "$SECONDS" -lt "$end" ] || { echo "timed out waiting for '$2' on $1" >&2; tail -5 "$(node_log "$1")" >&2; exit 1; }
    sleep 0.2
  done
}

step "backup node: KONG_CLUSTER_FALLBACK_CONFIG_EXPORT=on, export delay 2 s"
node_start backup "${NODE_ENV[@]}" KONG_CLUSTER_FALLBACK_CONFIG_EXPORT=on \
  KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY=2 KONG_HARNESS_NODE_ID=5a8e4c1e-0000-4000-8000-00000000b4c1
echo "backup node up on 127.0.0.1:$PORT_backup"

step "the control plane pushes a configuration, then a change to it"
sed 's|"config": { "storage": "file:///var/lib/kong/fallback-config" }|"config": {}|' examples/kong.json >"$WORK/v1.json"
push_config "$WORK/v1.json"
cat >"$WORK/v2.json" <<'JSON'
{
  "_format_version": "3.0",
  "services": [
    { "name": "example-service", "url": "http://httpbin.org",
      "routes": [{ "name": "example-route", "paths": ["/anything"] }] },
    { "name": "orders", "url": "http://orders.internal:8080",
      "routes": [{ "name": "orders", "paths": ["/orders"] }] }
  ]
}
JSON
sleep 0.5
push_config "$WORK/v2.json"
echo "the first is uploaded at once; the change, inside the 2 s delay, when it has passed"
wait_for_count backup "exported config" 2 20
plugin_log backup

step "what the storage holds (the operator CLI)"
"$CLI" ls
"$CLI" stat --kong-version "$VERSION"

step "the control plane goes down; the backup node stops too"
node_stop backup

step "a new data plane starts with KONG_CLUSTER_FALLBACK_CONFIG_IMPORT=on and no control plane"
node_start new-dp "${NODE_ENV[@]}" KONG_CLUSTER_FALLBACK_CONFIG_IMPORT=on KONG_CLUSTER_FALLBACK_CONFIG_IMPORT_GRACE=2
wait_for new-dp "imported config" 30
plugin_log new-dp

step "the new data plane runs the configuration the control plane last pushed"
curl -fsS -o "$WORK/running.json" "http://127.0.0.1:$PORT_new_dp/_harness/config"
luajit tests/integration/config_same.lua "$WORK/v2.json" "$WORK/running.json"
luajit - "$WORK/running.json" <<'LUA'
local c = require("cjson").decode(io.open(arg[1]):read("*a"))
for _, s in ipairs(c.services) do
  print("  service " .. s.name .. " -> " .. s.protocol .. "://" .. s.host .. ":" .. s.port .. (type(s.path) == "string" and s.path or ""))
end
LUA
echo "same configuration as the last one pushed: yes"

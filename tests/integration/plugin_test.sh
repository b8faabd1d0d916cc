#!/usr/bin/env bash
# The plugin in real nginx + lua-nginx-module + LuaJIT (tests/kong_harness
# supplies Kong's parts), against a real Ceph RGW: export on a backup node,
# import on a new data plane, and every way those can go wrong.
# Needs: FC_LIB_DIR (the built library), FC_CLI, FC_RGW_ENV (rgw-up.sh).
source "$(dirname "$0")/lib.sh"
source "$FC_RGW_ENV"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

WORK=$(mktemp -d /tmp/fc-plugin-test.XXXXXX)
export FC_NODES_DIR=$WORK/nodes
source "$ROOT/tests/kong_harness/node.sh"
source "$ROOT/tests/integration/plugin_lib.sh"
PROXY_PID=
cleanup() {
  node_stop_all
  [ -n "$PROXY_PID" ] && kill -QUIT "$PROXY_PID" 2>/dev/null && wait "$PROXY_PID" 2>/dev/null
  [ -n "${FC_KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

SECRETS+=("$FC_RGW_SECRET_KEY")
VERSION=3.9.1.0
BUCKET=fc-plugin-$RANDOM$RANDOM
S3_ENV=(AWS_ACCESS_KEY_ID="$FC_RGW_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$FC_RGW_SECRET_KEY"
        AWS_REGION=us-east-1 AWS_CONFIG_STORAGE_ENDPOINT="$FC_RGW_ENDPOINT" KONG_HARNESS_VERSION=$VERSION)
export AWS_ACCESS_KEY_ID=$FC_RGW_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$FC_RGW_SECRET_KEY AWS_REGION=us-east-1
export AWS_CONFIG_STORAGE_ENDPOINT=$FC_RGW_ENDPOINT
export AWS_REQUEST_CHECKSUM_CALCULATION=when_required AWS_RESPONSE_CHECKSUM_VALIDATION=when_required

aws() { command aws --endpoint-url "$FC_RGW_ENDPOINT" "$@"; }
cli() { "$FC_CLI" "$@"; }

stored() { # stored PREFIX OUT: download the stored configuration of VERSION
  KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=s3://$BUCKET/$1 cli pull --kong-version $VERSION -o "$2" 2>/dev/null
}

run aws s3api create-bucket --bucket "$BUCKET"
check_rc 0 "awscli creates the test bucket"

# --- 1. five configurations: the first at once, the rest in one upload of the fifth
node_start exporter "${S3_ENV[@]}" KONG_CLUSTER_FALLBACK_CONFIG_EXPORT=on \
  KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="s3://$BUCKET/coalesce" KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY=3 \
  KONG_HARNESS_NODE_ID=11111111-2222-4333-8444-555555555555
for i in 1 2 3 4 5; do
  config "$i" >"$WORK/c$i.json"
  deliver exporter "$WORK/c$i.json"
  sleep 0.2
done
running_config exporter "$WORK/running.json"
hash5=$(sed -n 's/^X-Config-Hash: *\([0-9a-f]*\).*/\1/ip' "$WORK/running.json.headers")
if wait_log exporter "exported config" 15 2; then pass "the exporter uploads the first at once and the latest when the delay has passed"; else failed "the exporter uploads the first at once and the latest when the delay has passed" "$(tail -5 "$(node_log exporter)")"; fi
sleep 4 # a second delay: nothing more may come
check_eq "$(count exporter "exported config")" 2 "five configurations within one delay make two uploads: the first (leading edge), the fifth"
stored coalesce "$WORK/stored.json"
if same_config "$WORK/c5.json" "$WORK/stored.json"; then pass "the stored object holds the fifth configuration"; else failed "the stored object holds the fifth configuration"; fi
stored_sha=$(sha256sum "$WORK/stored.json" | cut -d' ' -f1)
check_contains "$(grep "exported config" "$(node_log exporter)" | tail -1)" \
  "[fallback-config] exported config sha256:$stored_sha (Kong hash $hash5) to s3://$BUCKET/coalesce/$VERSION/config.json in " \
  "the log line names the stored bytes' SHA-256, Kong's hash of the fifth configuration and the object"
KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=s3://$BUCKET/coalesce run cli stat --kong-version $VERSION
check_contains "$OUT" "uploader:      11111111-2222-4333-8444-555555555555" "the object names the node that uploaded it"
check_contains "$OUT" "sha256:        $stored_sha" "stat shows the SHA-256 the export line logged"
run aws s3api head-object --bucket "$BUCKET" --key "coalesce/$VERSION/config.json"
check_contains "$OUT" '"ContentType": "application/json"' "the object is application/json"

deliver exporter "$WORK/c5.json" # the same configuration again: nothing to do
sleep 4
check_eq "$(count exporter "exported config")" 2 "an unchanged configuration is not uploaded again"
check_eq "$(count exporter "worker-events: event callback failed")" 0 "no event callback failed"
keep_logs exporter
node_stop exporter

# --- 2. storage down when a configuration arrives: uploaded once it returns ----
DOWN_PORT=$("$ROOT/scripts/free-port.sh")
node_start exporter-down "${S3_ENV[@]}" AWS_CONFIG_STORAGE_ENDPOINT="http://127.0.0.1:$DOWN_PORT" \
  KONG_CLUSTER_FALLBACK_CONFIG_EXPORT=on KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="s3://$BUCKET/down" \
  KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY=1
config 6 >"$WORK/c6.json"
deliver exporter-down "$WORK/c6.json"
# Unreachable from the start: the export lease's probe cannot run, so nothing
# may be exported yet (another backup node may lead); it is retried, and says why.
if wait_log exporter-down "export lease s3://$BUCKET/down/$VERSION/lease.json: cannot probe conditional writes: .*no complete answer" 15; then
  pass "an unreachable storage is retried, and the log says why nothing is exported yet"
else
  failed "an unreachable storage is retried, and the log says why nothing is exported yet" "$(tail -5 "$(node_log exporter-down)")"
fi
check_eq "$(curl -s "http://127.0.0.1:$PORT_exporter_down/")" "ok" "the node keeps serving while storage is down"
mkdir -p "$WORK/proxy"
sed -e "s|@PREFIX@|$WORK/proxy|g" -e "s|@PORT@|$DOWN_PORT|g" -e "s|@UPSTREAM@|$FC_RGW_ENDPOINT|g" \
  "$ROOT/tests/integration/storage_proxy.conf.in" >"$WORK/proxy/nginx.conf"
nginx -p "$WORK/proxy" -c "$WORK/proxy/nginx.conf" -e "$WORK/proxy/error.log" &
PROXY_PID=$!
if wait_log exporter-down "exported config" 40; then pass "the configuration is uploaded once storage returns"; else failed "the configuration is uploaded once storage returns" "$(tail -5 "$(node_log exporter-down)")"; fi
stored down "$WORK/stored.json"
if same_config "$WORK/c6.json" "$WORK/stored.json"; then pass "what storage got is the configuration that waited"; else failed "what storage got is the configuration that waited"; fi
keep_logs exporter-down
node_stop exporter-down
kill -QUIT "$PROXY_PID"; wait "$PROXY_PID" 2>/dev/null; PROXY_PID=

# --- 3. a new data plane with no control plane imports the stored configuration
config 7 >"$WORK/c7.json"
KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=s3://$BUCKET/import cli push "$WORK/c7.json" --kong-version $VERSION 2>/dev/null
node_start importer "${S3_ENV[@]}" KONG_CLUSTER_FALLBACK_CONFIG_IMPORT=on \
  KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="s3://$BUCKET/import" KONG_CLUSTER_FALLBACK_CONFIG_IMPORT_GRACE=1
if wait_log importer "imported config" 15; then pass "the importer applies the stored configuration"; else failed "the importer applies the stored configuration" "$(tail -5 "$(node_log importer)")"; fi
check_contains "$(grep "imported config" "$(node_log importer)")" \
  "[fallback-config] imported config sha256:$(sha256sum "$WORK/c7.json" | cut -d' ' -f1) (Kong hash " \
  "the import line names the configuration by the same SHA-256 an exporter logs for it"
check_eq "$(count importer "no configuration and no control plane after 1 s; importing from s3://$BUCKET/import/$VERSION/config.json")" 1 \
  "the importer says why it imports, and from where"
running_config importer "$WORK/running.json"
if same_config "$WORK/c7.json" "$WORK/running.json"; then pass "the importer runs the stored configuration"; else failed "the importer runs the stored configuration"; fi
# The control plane comes back: its configuration replaces the imported one, for good.
config 8 >"$WORK/c8.json"
deliver importer "$WORK/c8.json"
sleep 2
running_config importer "$WORK/running.json"
if same_config "$WORK/c8.json" "$WORK/running.json"; then pass "the control plane's configuration replaces the imported one"; else failed "the control plane's configuration replaces the imported one"; fi
check_eq "$(count importer "imported config")" 1 "no second import after the control plane delivered"
keep_logs importer
node_stop importer

# --- 4. a corrupt object is never applied; the good one is, once it is there ----
head -c 120 "$WORK/c7.json" >"$WORK/truncated.json"
run aws s3 cp "$WORK/truncated.json" "s3://$BUCKET/corrupt/$VERSION/config.json"
check_rc 0 "awscli stores a truncated configuration"
node_start importer-corrupt "${S3_ENV[@]}" KONG_CLUSTER_FALLBACK_CONFIG_IMPORT=on \
  KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="s3://$BUCKET/corrupt" KONG_CLUSTER_FALLBACK_CONFIG_IMPORT_GRACE=0.5
if wait_log importer-corrupt "import from .* failed: the stored configuration is not JSON" 10 2; then
  pass "a truncated object is refused, and retried"; else failed "a truncated object is refused, and retried" "$(tail -5 "$(node_log importer-corrupt)")"; fi
printf '{"_format_version":"3.0","services":[{"name":"no-host"}]}' >"$WORK/invalid.json"
run aws s3 cp "$WORK/invalid.json" "s3://$BUCKET/corrupt/$VERSION/config.json"
if wait_log importer-corrupt "not a valid declarative configuration: declarative config is invalid" 20; then
  pass "a JSON object that is not a valid declarative configuration is refused"; else failed "a JSON object that is not a valid declarative configuration is refused" "$(tail -5 "$(node_log importer-corrupt)")"; fi
still_empty importer-corrupt "nothing corrupt was applied: the node still runs the empty configuration"
check_eq "$(count importer-corrupt "imported config")" 0 "no import was reported"
config 9 >"$WORK/c9.json"
KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=s3://$BUCKET/corrupt cli push "$WORK/c9.json" --kong-version $VERSION 2>/dev/null
if wait_log importer-corrupt "imported config" 40; then pass "the good object is applied once it is there"; else failed "the good object is applied once it is there" "$(tail -5 "$(node_log importer-corrupt)")"; fi
running_config importer-corrupt "$WORK/running.json"
if same_config "$WORK/c9.json" "$WORK/running.json"; then pass "the importer runs the good configuration"; else failed "the importer runs the good configuration"; fi
keep_logs importer-corrupt
node_stop importer-corrupt

# --- 5. the control plane delivers first: no import, ever --------------------------
node_start importer-late "${S3_ENV[@]}" KONG_CLUSTER_FALLBACK_CONFIG_IMPORT=on \
  KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="s3://$BUCKET/import" KONG_CLUSTER_FALLBACK_CONFIG_IMPORT_GRACE=2
deliver importer-late "$WORK/c8.json"
if wait_log importer-late "the node has a configuration; no import needed" 10; then pass "an importer whose control plane delivered first does not import"; else failed "an importer whose control plane delivered first does not import" "$(tail -5 "$(node_log importer-late)")"; fi
sleep 1
check_eq "$(count importer-late "imported config")" 0 "no import was made"
running_config importer-late "$WORK/running.json"
if same_config "$WORK/c8.json" "$WORK/running.json"; then pass "the node runs its control plane's configuration"; else failed "the node runs its control plane's configuration"; fi
keep_logs importer-late
node_stop importer-late

# --- 6. Kong busy loading: the import waits the time Kong gives, then applies ------
node_start importer-busy "${S3_ENV[@]}" KONG_CLUSTER_FALLBACK_CONFIG_IMPORT=on \
  KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="s3://$BUCKET/import" KONG_CLUSTER_FALLBACK_CONFIG_IMPORT_GRACE=0.5
curl -fs -o /dev/null -X POST "http://127.0.0.1:$PORT_importer_busy/_harness/lock?ttl=3"
if wait_log importer-busy "Kong is busy loading a configuration; applying the import when it is done" 10; then pass "a busy answer is waited out"; else failed "a busy answer is waited out" "$(tail -5 "$(node_log importer-busy)")"; fi
if wait_log importer-busy "imported config" 15; then pass "the import applies once Kong is free"; else failed "the import applies once Kong is free"; fi
keep_logs importer-busy
node_stop importer-busy

# --- 7. settings from the plugin's declarative config; a control plane exports too --
node_start exporter-conf "${S3_ENV[@]}" KONG_CLUSTER_FALLBACK_CONFIG_EXPORT=on
check_eq "$(count exporter-conf "disabled:")" 0 "a backup node waiting for its plugin config is not an error"
config 10 ',"plugins":[{"name":"fallback-config","config":{"storage":"s3://'"$BUCKET"'/from-conf","export_delay":1}}]' >"$WORK/c10.json"
deliver exporter-conf "$WORK/c10.json"
if wait_log exporter-conf "exported config .* to s3://$BUCKET/from-conf/" 15; then pass "storage and delay come from the plugin's config"; else failed "storage and delay come from the plugin's config" "$(tail -5 "$(node_log exporter-conf)")"; fi
keep_logs exporter-conf
node_stop exporter-conf

node_start cp "${S3_ENV[@]}" KONG_ROLE=control_plane KONG_DATABASE=postgres KONG_CLUSTER_FALLBACK_CONFIG_EXPORT=on \
  KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="s3://$BUCKET/cp" KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY=1
config 11 >"$WORK/c11.json"
deliver cp "$WORK/c11.json"
if wait_log cp "exported config" 15; then pass "a control plane exports on clustering/push_config"; else failed "a control plane exports on clustering/push_config" "$(tail -5 "$(node_log cp)")"; fi
stored cp "$WORK/stored.json"
if same_config "$WORK/c11.json" "$WORK/stored.json"; then pass "the control plane's export holds its configuration"; else failed "the control plane's export holds its configuration"; fi
keep_logs cp
node_stop cp

# --- 8. invalid settings: one clear line, the feature off, the gateway up ----------
node_start bad "${S3_ENV[@]}" KONG_CLUSTER_FALLBACK_CONFIG_EXPORT=on \
  KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="s3://$BUCKET/bad" KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY=soon
wait_log bad "disabled:" 5
check_eq "$(grep -c "\[fallback-config\] disabled: KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY must be a number of seconds from 0.001 to 86400, got 'soon'" "$(node_log bad)")" 1 \
  "an invalid setting is one error line naming it"
check_eq "$(curl -s "http://127.0.0.1:$PORT_bad/")" "ok" "the gateway keeps proxying with the feature disabled"
keep_logs bad
node_stop bad

node_start badkey "${S3_ENV[@]}" AWS_SECRET_ACCESS_KEY=wrong-secret-for-test KONG_CLUSTER_FALLBACK_CONFIG_IMPORT=on \
  KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="s3://$BUCKET/import" KONG_CLUSTER_FALLBACK_CONFIG_IMPORT_GRACE=0.2
SECRETS+=("wrong-secret-for-test")
if wait_log badkey "failed: .*(EAUTH); retrying in" 10; then pass "a refused credential is reported as EAUTH"; else failed "a refused credential is reported as EAUTH" "$(tail -5 "$(node_log badkey)")"; fi
keep_logs badkey
node_stop badkey

# --- 9. credentials from the AWS chain, not the environment: the shared file and IMDSv2
cat >"$WORK/aws-credentials" <<INI
[backup]
aws_access_key_id = $FC_RGW_ACCESS_KEY
aws_secret_access_key = $FC_RGW_SECRET_KEY
INI
NO_KEYS=(KONG_HARNESS_VERSION=$VERSION AWS_REGION=us-east-1 AWS_CONFIG_STORAGE_ENDPOINT="$FC_RGW_ENDPOINT"
         AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE="$WORK/none")
chmod 644 "$WORK/aws-credentials"; chmod 755 "$WORK" # nginx workers (nobody) read it
node_start chain-file "${NO_KEYS[@]}" AWS_SHARED_CREDENTIALS_FILE="$WORK/aws-credentials" AWS_PROFILE=backup \
  KONG_CLUSTER_FALLBACK_CONFIG_EXPORT=on KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="s3://$BUCKET/chain-file" \
  KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY=1
config 12 >"$WORK/c12.json"
deliver chain-file "$WORK/c12.json"
if wait_log chain-file "exported config .* to s3://$BUCKET/chain-file/" 15; then
  pass "the plugin exports to RGW with keys from the shared credentials file"
else
  failed "the plugin exports to RGW with keys from the shared credentials file" "$(tail -3 "$(node_log chain-file)")"
fi
keep_logs chain-file
node_stop chain-file

IMDS_PORT=$("$ROOT/scripts/free-port.sh")
node "$ROOT/tests/aws_fixtures/server.mjs" --port "$IMDS_PORT" --access-key "$FC_RGW_ACCESS_KEY" \
  --secret-key "$FC_RGW_SECRET_KEY" >"$WORK/imds.log" 2>&1 &
IMDS_PID=$!
for _ in $(seq 1 50); do grep -q listening "$WORK/imds.log" && break; sleep 0.1; done
node_start chain-imds "${NO_KEYS[@]}" AWS_SHARED_CREDENTIALS_FILE="$WORK/none" AWS_EC2_METADATA_DISABLED=false \
  AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$IMDS_PORT" \
  KONG_CLUSTER_FALLBACK_CONFIG_EXPORT=on KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="s3://$BUCKET/chain-imds" \
  KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY=1
deliver chain-imds "$WORK/c12.json"
if wait_log chain-imds "exported config .* to s3://$BUCKET/chain-imds/" 15; then
  pass "the plugin exports to RGW with instance-profile credentials from IMDSv2"
else
  failed "the plugin exports to RGW with instance-profile credentials from IMDSv2" "$(tail -3 "$(node_log chain-imds)")"
fi
stored chain-imds "$WORK/stored.json"
if same_config "$WORK/c12.json" "$WORK/stored.json"; then pass "and the object is the configuration"; else failed "and the object is the configuration"; fi
keep_logs chain-imds
node_stop chain-imds
kill "$IMDS_PID" 2>/dev/null; wait "$IMDS_PID" 2>/dev/null

# In the sanitizer build the library runs under ASan/UBSan inside nginx: any
# report there is a failure even if the scenarios passed.
reports=$(grep -l -E "ERROR: AddressSanitizer|runtime error:|worker process [0-9]+ exited on signal" \
  "$FC_NODES_DIR"/*/logs/*.log 2>/dev/null || true)
if [ -z "$reports" ]; then
  pass "no sanitizer report and no crashed worker in any node"
else  # show what happened: the logs go with the work directory
  failed "no sanitizer report and no crashed worker in any node" \
    "$(grep -h -B2 -A30 -E "ERROR: AddressSanitizer|runtime error:|worker process [0-9]+ exited on signal" $reports | head -80)"
fi
leftover=$(pgrep -f "nginx -p $WORK" || true)
check_eq "$leftover" "" "no nginx process is left behind"
finish

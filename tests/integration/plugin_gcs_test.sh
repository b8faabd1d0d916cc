#!/usr/bin/env bash
# The plugin through gcs:// in real nginx (tests/kong_harness) against the
# strict GCS test server: a backup node exports with a service-account key, a
# new data plane imports with tokens from the metadata server (workload
# identity). Needs: FC_LIB_DIR, FC_CLI, FC_GCS_ENV.
source "$(dirname "$0")/lib.sh"
source "$FC_GCS_ENV"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/fc-plugin-gcs-test.XXXXXX)
export FC_NODES_DIR=$WORK/nodes
source "$ROOT/tests/kong_harness/node.sh"
source "$ROOT/tests/integration/plugin_lib.sh"
trap 'node_stop_all; rm -rf "$WORK"' EXIT

VERSION=3.9.1.0
BUCKET=fc-plugin-gcs-$RANDOM
curl -fsS -X POST "$FC_GCS_ENDPOINT/_test/buckets?name=$BUCKET"
SA_JSON=$(cat "$FC_GCS_SA")
SECRETS+=("$(sed -n '2p' "$ROOT/tests/fixtures/gcp/test-key.pem")")
COMMON=(KONG_HARNESS_VERSION=$VERSION STORAGE_EMULATOR_HOST=127.0.0.1:$FC_GCS_PORT
        KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="gcs://$BUCKET/kong")

printf '{"_format_version":"3.0","services":[{"name":"gcs-svc","host":"upstream.internal","port":80}],"routes":[{"name":"r","paths":["/g"]}]}' >"$WORK/c.json"
node_start exporter "${COMMON[@]}" GCP_SERVICE_ACCOUNT="$SA_JSON" KONG_CLUSTER_FALLBACK_CONFIG_EXPORT=on \
  KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY=1 KONG_HARNESS_NODE_ID=99999999-0000-4000-8000-000000000001
curl -fsS -o /dev/null -X POST --data-binary "@$WORK/c.json" "http://127.0.0.1:$PORT_exporter/_harness/config"
if wait_log exporter "exported config .* to gcs://$BUCKET/kong/$VERSION/config.json" 15; then
  pass "the backup node exports to gcs:// with a service-account key"
else
  failed "the backup node exports to gcs:// with a service-account key" "$(tail -5 "$(node_log exporter)")"
fi
GCP_SERVICE_ACCOUNT=$SA_JSON STORAGE_EMULATOR_HOST=127.0.0.1:$FC_GCS_PORT KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=gcs://$BUCKET/kong \
  run "$FC_CLI" stat --kong-version $VERSION
check_contains "$OUT" "uploader:      99999999-0000-4000-8000-000000000001" "the object names the backup node"
GCP_SERVICE_ACCOUNT=$SA_JSON STORAGE_EMULATOR_HOST=127.0.0.1:$FC_GCS_PORT KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=gcs://$BUCKET/kong \
  "$FC_CLI" pull --kong-version $VERSION -o "$WORK/stored.json" 2>/dev/null
if same_config "$WORK/c.json" "$WORK/stored.json"; then pass "the stored object is the configuration"; else failed "the stored object is the configuration"; fi
cat "$(node_log exporter)" >>"$OUTPUT_LOG"
node_stop exporter

node_start importer "${COMMON[@]}" GCE_METADATA_HOST=127.0.0.1:$FC_GCS_PORT KONG_CLUSTER_FALLBACK_CONFIG_IMPORT=on \
  KONG_CLUSTER_FALLBACK_CONFIG_IMPORT_GRACE=0.5
if wait_log importer "imported config .* from gcs://$BUCKET/kong/$VERSION/config.json" 15; then
  pass "a new data plane imports from gcs:// with a metadata-server token"
else
  failed "a new data plane imports from gcs:// with a metadata-server token" "$(tail -5 "$(node_log importer)")"
fi
curl -fsS -o "$WORK/running.json" "http://127.0.0.1:$PORT_importer/_harness/config"
if same_config "$WORK/c.json" "$WORK/running.json"; then pass "it runs the configuration"; else failed "it runs the configuration"; fi
cat "$(node_log importer)" >>"$OUTPUT_LOG"
node_stop importer

node_start badkey "${COMMON[@]}" KONG_CLUSTER_FALLBACK_CONFIG_IMPORT=on \
  GCP_SERVICE_ACCOUNT='{"type":"service_account","client_email":"a@b","token_uri":"http://127.0.0.1:1/t"}'
if wait_log badkey "disabled: GCP_SERVICE_ACCOUNT: field 'private_key' is missing" 10; then
  pass "a bad key disables the plugin with one line naming the field"
else
  failed "a bad key disables the plugin with one line naming the field" "$(tail -5 "$(node_log badkey)")"
fi
check_eq "$(curl -s "http://127.0.0.1:$PORT_badkey/")" "ok" "and the gateway keeps serving"
cat "$(node_log badkey)" >>"$OUTPUT_LOG"
node_stop badkey

while IFS= read -r t; do SECRETS+=("$t"); done < <(curl -fsS "$FC_GCS_ENDPOINT/_test/stats" | tr ',' '\n' | grep -o 'ya29\.test-[0-9a-f]*')
finish

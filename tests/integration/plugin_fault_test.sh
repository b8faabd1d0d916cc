#!/usr/bin/env bash
# Fault injection for the plugin in real nginx + lua-nginx-module, against
# real Ceph RGW through the fault proxy (tests/fault_proxy): the backup node
# keeps serving and eventually stores the latest configuration, never an
# older one; a new data plane never applies a corrupt or partial download and
# applies the good one once it arrives. Also: credentials revoked mid-run, a
# clock 20 minutes behind, and TLS verification off (warned before every use).
# GCS: the same for a 503 on every upload and corrupted downloads, against
# the strict GCS test server.
# Needs: FC_LIB_DIR, FC_CLI, FC_RGW_ENV (rgw-up.sh), FC_GCS_ENV (tests/gcs_server/up.sh).
source "$(dirname "$0")/lib.sh"
source "$FC_RGW_ENV"
source "$FC_GCS_ENV"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

WORK=$(mktemp -d /tmp/fc-plugin-fault.XXXXXX)
export FC_NODES_DIR=$WORK/nodes
source "$ROOT/tests/kong_harness/node.sh"
source "$ROOT/tests/integration/plugin_lib.sh"
cleanup() {
  node_stop_all
  "$ROOT/tests/fault_proxy/down.sh" "$WORK/proxy" 2>/dev/null
  "$ROOT/tests/fault_proxy/down.sh" "$WORK/gcsproxy" 2>/dev/null
  radosgw-admin -c "$FC_RGW_DIR/ceph.conf" user enable --uid fc-test >/dev/null 2>&1
  [ -n "${FC_KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

SECRETS+=("$FC_RGW_SECRET_KEY" "$(sed -n '2p' "$ROOT/tests/fixtures/gcp/test-key.pem")")
VERSION=3.9.1.0
BUCKET=fc-plugin-fault-$RANDOM$RANDOM
export AWS_ACCESS_KEY_ID=$FC_RGW_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$FC_RGW_SECRET_KEY AWS_REGION=us-east-1
export AWS_REQUEST_CHECKSUM_CALCULATION=when_required AWS_RESPONSE_CHECKSUM_VALIDATION=when_required
PROXY=$("$ROOT/tests/fault_proxy/up.sh" "$WORK/proxy" --upstream "$FC_RGW_ENDPOINT") || exit 1
CONTROL=http://127.0.0.1:$(cat "$WORK/proxy/control_port")
# Two native tries per attempt and a 1 s stall limit keep the plugin's own
# retry loop (1 s, 2 s, 4 s ...) in view.
FAULT_ENV=(AWS_ACCESS_KEY_ID="$FC_RGW_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$FC_RGW_SECRET_KEY" AWS_REGION=us-east-1
           AWS_CONFIG_STORAGE_ENDPOINT="$PROXY" KONG_HARNESS_VERSION=$VERSION
           KONG_CLUSTER_FALLBACK_CONFIG_RETRY_ATTEMPTS=2 KONG_CLUSTER_FALLBACK_CONFIG_STALL_TIMEOUT=1)

rules() { curl -fsS -X POST --data-binary "$1" "$CONTROL/rules" >/dev/null; }
no_rules() { curl -fsS -X DELETE "$CONTROL/rules" >/dev/null; }
cli() { "$FC_CLI" "$@"; }
stored() { # stored PREFIX OUT: the stored configuration of VERSION, straight from RGW
  AWS_CONFIG_STORAGE_ENDPOINT=$FC_RGW_ENDPOINT KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=s3://$BUCKET/$1 \
    cli pull --kong-version $VERSION -o "$2" 2>/dev/null
}
# big N: configuration N with 400 services (about 40 KB), for faults mid-body.
big() {
  local i services=""
  for i in $(seq 1 400); do services+="{\"name\":\"svc-$1-$i\",\"host\":\"upstream-$i.internal\",\"port\":80},"; done
  printf '{"_format_version":"3.0","services":[%s]}\n' "${services%,}"
}
expect_stored() { # expect_stored PREFIX FILE DESCRIPTION
  if stored "$1" "$WORK/stored.json" && same_config "$2" "$WORK/stored.json"; then pass "$3"; else failed "$3"; fi
}

AWS_CONFIG_STORAGE_ENDPOINT=$FC_RGW_ENDPOINT
command aws --endpoint-url "$FC_RGW_ENDPOINT" s3api create-bucket --bucket "$BUCKET" >/dev/null
check_rc_create=$?
check_eq "$check_rc_create" 0 "awscli creates the test bucket"

# === export ======================================================================
node_start exporter "${FAULT_ENV[@]}" KONG_CLUSTER_FALLBACK_CONFIG_EXPORT=on \
  KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="s3://$BUCKET/export" KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY=1
exported() { count exporter "exported config"; }
# The faults below are the configuration upload's: the export lease (the
# default) is taken first, and its own requests are left alone.
wait_log exporter "holds the export lease" 10 || failed "the backup node takes the export lease" "$(tail -3 "$(node_log exporter)")"

# --- 503 SlowDown on every upload: retried; the latest configuration wins
rules '[{"match":{"method":"PUT","path":"config\\.json"},"fault":{"type":"status","preset":"s3_slowdown"}}]'
config 1 >"$WORK/c1.json"
deliver exporter "$WORK/c1.json"
if wait_log exporter "export of config .* failed: PutObject .*HTTP 503 SlowDown.*(ESTORAGE); retrying in" 15 2; then
  pass "503 SlowDown: the export fails, and is retried"; else failed "503 SlowDown: the export fails, and is retried" "$(tail -3 "$(node_log exporter)")"; fi
if serving exporter; then pass "503 SlowDown: the node keeps serving"; else failed "503 SlowDown: the node keeps serving"; fi
config 2 >"$WORK/c2.json"
deliver exporter "$WORK/c2.json"
sleep 1
no_rules
if wait_log exporter "exported config" 20; then pass "503 SlowDown: the export succeeds once the store recovers"; else failed "503 SlowDown: the export succeeds once the store recovers" "$(tail -3 "$(node_log exporter)")"; fi
expect_stored export "$WORK/c2.json" "503 SlowDown: the store holds the latest configuration"
sleep 3
check_eq "$(exported)" 1 "503 SlowDown: one upload, of the latest; the older one is never uploaded"
expect_stored export "$WORK/c2.json" "503 SlowDown: nothing older overwrote it"

# --- connection reset mid-upload, three times (two tries per attempt): retried
big 3 >"$WORK/c3.json"
rules '[{"match":{"method":"PUT","path":"config\\.json"},"times":3,"fault":{"type":"reset_request","after_bytes":10000}}]'
deliver exporter "$WORK/c3.json"
if wait_log exporter "export of config .* failed: PutObject .*(ENETWORK); retrying in" 15; then
  pass "reset mid-upload: reported and retried"; else failed "reset mid-upload: reported and retried" "$(tail -3 "$(node_log exporter)")"; fi
if wait_log exporter "exported config" 20 2; then pass "reset mid-upload: the configuration is stored in the end"; else failed "reset mid-upload: the configuration is stored in the end"; fi
expect_stored export "$WORK/c3.json" "reset mid-upload: the store holds every byte of it"

# --- the store stalls before answering, twice: the stall limit ends it, retried
config 4 >"$WORK/c4.json"
rules '[{"match":{"method":"PUT","path":"config\\.json"},"times":2,"fault":{"type":"stall","phase":"before_response"}}]'
deliver exporter "$WORK/c4.json"
if wait_log exporter "export of config .* failed: .*no byte moved for 1000 ms (stall timeout) (2 attempts) (ENETWORK); retrying in" 15; then
  pass "stall: the stalled upload is abandoned"; else failed "stall: the stalled upload is abandoned" "$(tail -3 "$(node_log exporter)")"; fi
if wait_log exporter "exported config" 20 3; then pass "stall: the configuration is stored in the end"; else failed "stall: the configuration is stored in the end"; fi
expect_stored export "$WORK/c4.json" "stall: the store holds it"

# --- connections refused, then accepted
curl -fsS -X POST "$CONTROL/close" >/dev/null
config 5 >"$WORK/c5.json"
deliver exporter "$WORK/c5.json"
if wait_log exporter "export of config .* failed: .*Couldn't connect.*(ENETWORK); retrying in" 15; then
  pass "refused: reported and retried"; else failed "refused: reported and retried" "$(tail -3 "$(node_log exporter)")"; fi
curl -fsS -X POST "$CONTROL/open" >/dev/null
if wait_log exporter "exported config" 20 4; then pass "refused: stored once the store accepts connections"; else failed "refused: stored once the store accepts connections"; fi
expect_stored export "$WORK/c5.json" "refused: the store holds it"

# --- credentials revoked mid-run, then restored
radosgw-admin -c "$FC_RGW_DIR/ceph.conf" user suspend --uid fc-test >/dev/null 2>&1
config 6 >"$WORK/c6.json"
deliver exporter "$WORK/c6.json"
# (The fenced upload reads who wrote the object first: the refusal may be that HeadObject's, without S3's code.)
if wait_log exporter "export of config .* failed: \(HeadObject\|PutObject\) .*HTTP 403.*(EAUTH); retrying in" 15; then
  pass "revoked credentials: the refusal is reported and retried"; else failed "revoked credentials: the refusal is reported and retried" "$(tail -3 "$(node_log exporter)")"; fi
if serving exporter; then pass "revoked credentials: the node keeps serving"; else failed "revoked credentials: the node keeps serving"; fi
radosgw-admin -c "$FC_RGW_DIR/ceph.conf" user enable --uid fc-test >/dev/null 2>&1
if wait_log exporter "exported config" 30 5; then pass "revoked credentials: stored once they are restored"; else failed "revoked credentials: stored once they are restored"; fi
expect_stored export "$WORK/c6.json" "revoked credentials: the store holds the latest"
check_eq "$(count exporter "signal")" 0 "the exporter never crashed"
keep_logs exporter
node_stop exporter

# === import ======================================================================
big 7 >"$WORK/c7.json"
AWS_CONFIG_STORAGE_ENDPOINT=$FC_RGW_ENDPOINT KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=s3://$BUCKET/import \
  run cli push "$WORK/c7.json" --kong-version $VERSION
check_rc 0 "the configuration to import is stored"

# import_case NAME RULES FAILURE-PATTERN: faults on every download, then none.
import_case() {
  local name=$1 node=importer-$1
  rules "$2"
  node_start "$node" "${FAULT_ENV[@]}" KONG_CLUSTER_FALLBACK_CONFIG_IMPORT=on \
    KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="s3://$BUCKET/import" KONG_CLUSTER_FALLBACK_CONFIG_IMPORT_GRACE=0.5
  if wait_log "$node" "import from s3://$BUCKET/import/$VERSION/config.json failed: $3" 20 2; then
    pass "$name: the download is refused, and retried"; else failed "$name: the download is refused, and retried" "$(tail -3 "$(node_log "$node")")"; fi
  still_empty "$node" "$name: nothing was applied"
  check_eq "$(count "$node" "imported config")" 0 "$name: no import was reported"
  if serving "$node"; then pass "$name: the node keeps serving"; else failed "$name: the node keeps serving"; fi
  no_rules
  if wait_log "$node" "imported config" 30; then pass "$name: the good configuration is applied once it arrives whole"; else failed "$name: the good configuration is applied once it arrives whole" "$(tail -3 "$(node_log "$node")")"; fi
  running_config "$node" "$WORK/running.json"
  if same_config "$WORK/c7.json" "$WORK/running.json"; then pass "$name: the node runs the stored configuration"; else failed "$name: the node runs the stored configuration"; fi
  keep_logs "$node"
  node_stop "$node"
}
import_case corrupted '[{"match":{"method":"GET","path":"/config.json"},"fault":{"type":"corrupt","offset":5000}}]' \
  "integrity check failed for s3://$BUCKET/import/$VERSION/config.json: its sha256 metadata is $(sha256sum "$WORK/c7.json" | cut -d' ' -f1), the bytes downloaded hash to [0-9a-f]*; nothing was used (ESTORAGE)"
import_case truncated '[{"match":{"method":"GET","path":"/config.json"},"fault":{"type":"truncate","keep_bytes":5000}}]' \
  "GetObject .*transfer closed with [0-9]* bytes remaining to read (2 attempts) (ENETWORK)"
import_case reset '[{"match":{"method":"GET","path":"/config.json"},"fault":{"type":"reset_response","after_bytes":5000}}]' \
  "GetObject .*(2 attempts) (ENETWORK)"
import_case 500 '[{"match":{"method":"GET","path":"/config.json"},"fault":{"type":"status","preset":"s3_internal"}}]' \
  "GetObject .*HTTP 500 InternalError.* (ESTORAGE)"
import_case stalled '[{"match":{"method":"GET","path":"/config.json"},"fault":{"type":"stall","phase":"mid_response","after_bytes":5000}}]' \
  "GetObject .*no byte moved for 1000 ms (stall timeout) (2 attempts) (ENETWORK)"

# === a clock 20 minutes behind: RGW says RequestTimeTooSkewed, the library signs
# with RGW's time. libfaketime goes into nginx first: after the sanitizer
# runtime it hangs at start, and before it ASan must be told to allow that.
SKEW_NODE=(FAKETIME=-20m FAKETIME_DONT_FAKE_MONOTONIC=1)
SKEW_PRELOAD="/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1${FC_NODE_LD_PRELOAD:+:$FC_NODE_LD_PRELOAD}"
SKEW_ASAN="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
FC_NODE_LD_PRELOAD=$SKEW_PRELOAD ASAN_OPTIONS=$SKEW_ASAN node_start skewed "${FAULT_ENV[@]}" "${SKEW_NODE[@]}" KONG_CLUSTER_FALLBACK_CONFIG_EXPORT=on \
  KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="s3://$BUCKET/skew" KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY=1
config 8 >"$WORK/c8.json"
deliver skewed "$WORK/c8.json"
if wait_log skewed "exported config" 20; then pass "skewed clock: the export succeeds"; else failed "skewed clock: the export succeeds" "$(tail -3 "$(node_log skewed)")"; fi
expect_stored skew "$WORK/c8.json" "skewed clock: the store holds the configuration"
check_eq "$(count skewed "failed")" 0 "skewed clock: not even one failed attempt was reported"
keep_logs skewed
node_stop skewed
FC_NODE_LD_PRELOAD=$SKEW_PRELOAD ASAN_OPTIONS=$SKEW_ASAN node_start skewed-importer "${FAULT_ENV[@]}" "${SKEW_NODE[@]}" KONG_CLUSTER_FALLBACK_CONFIG_IMPORT=on \
  KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="s3://$BUCKET/skew" KONG_CLUSTER_FALLBACK_CONFIG_IMPORT_GRACE=0.5
if wait_log skewed-importer "imported config" 20; then pass "skewed clock: the import succeeds"; else failed "skewed clock: the import succeeds" "$(tail -3 "$(node_log skewed-importer)")"; fi
keep_logs skewed-importer
node_stop skewed-importer

# === TLS verification off: allowed when asked for, warned about before every use
node_start insecure "${FAULT_ENV[@]}" KONG_CLUSTER_FALLBACK_CONFIG_TLS_VERIFY=off KONG_CLUSTER_FALLBACK_CONFIG_EXPORT=on \
  KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="s3://$BUCKET/insecure" KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY=1
config 9 >"$WORK/c9.json"
deliver insecure "$WORK/c9.json"
wait_log insecure "exported config" 20
config 10 >"$WORK/c10.json"
deliver insecure "$WORK/c10.json"
if wait_log insecure "exported config" 20 2; then pass "verification off: exports work"; else failed "verification off: exports work"; fi
check_eq "$(count insecure "\[warn\].*TLS certificate verification is off (KONG_CLUSTER_FALLBACK_CONFIG_TLS_VERIFY=off)")" 2 \
  "verification off: a warning before each of the two uploads"
keep_logs insecure
node_stop insecure

# === GCS ==========================================================================
GCS_PROXY=$("$ROOT/tests/fault_proxy/up.sh" "$WORK/gcsproxy" --upstream "$FC_GCS_ENDPOINT") || exit 1
GCS_CONTROL=http://127.0.0.1:$(cat "$WORK/gcsproxy/control_port")
gcs_rules() { curl -fsS -X POST --data-binary "$1" "$GCS_CONTROL/rules" >/dev/null; }
curl -fsS -X POST "$FC_GCS_ENDPOINT/_test/buckets?name=$BUCKET" >/dev/null
GCS_ENV=(GCP_SERVICE_ACCOUNT="$(cat "$FC_GCS_SA")" STORAGE_EMULATOR_HOST="$GCS_PROXY" KONG_HARNESS_VERSION=$VERSION
         KONG_CLUSTER_FALLBACK_CONFIG_RETRY_ATTEMPTS=2 KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="gcs://$BUCKET/kong")
gcs_stored() {
  STORAGE_EMULATOR_HOST=$FC_GCS_ENDPOINT GCP_SERVICE_ACCOUNT=$(cat "$FC_GCS_SA") KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=gcs://$BUCKET/kong \
    cli pull --kong-version $VERSION -o "$1" 2>/dev/null
}

node_start gcs-exporter "${GCS_ENV[@]}" KONG_CLUSTER_FALLBACK_CONFIG_EXPORT=on KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY=1
# The lease first (its renewals are uploads too, which a held lease outlasts
# for the fault's few seconds; GCS names the object in the body, not the path).
wait_log gcs-exporter "holds the export lease" 10 || failed "the GCS backup node takes the export lease" "$(tail -3 "$(node_log gcs-exporter)")"
gcs_rules '[{"match":{"method":"POST","path":"^/upload/"},"fault":{"type":"status","preset":"gcs_503"}}]'
config 21 >"$WORK/g1.json"
deliver gcs-exporter "$WORK/g1.json"
if wait_log gcs-exporter "export of config .* failed: objects.insert .*HTTP 503 backendError.*(ESTORAGE); retrying in" 15 2; then
  pass "gcs 503: the export fails, and is retried"; else failed "gcs 503: the export fails, and is retried" "$(tail -3 "$(node_log gcs-exporter)")"; fi
config 22 >"$WORK/g2.json"
deliver gcs-exporter "$WORK/g2.json"
sleep 1
curl -fsS -X DELETE "$GCS_CONTROL/rules" >/dev/null
if wait_log gcs-exporter "exported config" 20; then pass "gcs 503: stored once GCS recovers"; else failed "gcs 503: stored once GCS recovers"; fi
if gcs_stored "$WORK/stored.json" && same_config "$WORK/g2.json" "$WORK/stored.json"; then
  pass "gcs 503: GCS holds the latest configuration"; else failed "gcs 503: GCS holds the latest configuration"; fi
sleep 3
check_eq "$(count gcs-exporter "exported config")" 1 "gcs 503: one upload, of the latest"
keep_logs gcs-exporter
node_stop gcs-exporter

gcs_rules '[{"match":{"method":"GET","path":"alt=media"},"fault":{"type":"corrupt","offset":50}}]'
node_start gcs-importer "${GCS_ENV[@]}" KONG_CLUSTER_FALLBACK_CONFIG_IMPORT=on KONG_CLUSTER_FALLBACK_CONFIG_IMPORT_GRACE=0.5
if wait_log gcs-importer "import from gcs://$BUCKET/kong/$VERSION/config.json failed: integrity check failed .*(ESTORAGE)" 20 2; then
  pass "gcs corrupted: the download is refused, and retried"; else failed "gcs corrupted: the download is refused, and retried" "$(tail -3 "$(node_log gcs-importer)")"; fi
still_empty gcs-importer "gcs corrupted: nothing was applied"
curl -fsS -X DELETE "$GCS_CONTROL/rules" >/dev/null
if wait_log gcs-importer "imported config" 30; then pass "gcs corrupted: the good configuration is applied once it arrives whole"; else failed "gcs corrupted: the good configuration is applied once it arrives whole"; fi
running_config gcs-importer "$WORK/running.json"
if same_config "$WORK/g2.json" "$WORK/running.json"; then pass "gcs corrupted: the node runs the stored configuration"; else failed "gcs corrupted: the node runs the stored configuration"; fi
keep_logs gcs-importer
node_stop gcs-importer

# --- the control plane comes back while the download is stalled: its configuration wins
rules '[{"match":{"method":"GET","path":"/import/.*config.json"},"fault":{"type":"stall","phase":"before_response"}}]'
CP_PORT=$("$ROOT/scripts/free-port.sh")
node_start importer-race "${FAULT_ENV[@]}" KONG_CLUSTER_FALLBACK_CONFIG_IMPORT=on \
  KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="s3://$BUCKET/import" KONG_CLUSTER_FALLBACK_CONFIG_IMPORT_GRACE=0.5 \
  KONG_CLUSTER_CONTROL_PLANE=127.0.0.1:$CP_PORT
if wait_log importer-race "importing from" 10; then pass "race: no control plane, the import starts"; else failed "race: no control plane, the import starts" "$(tail -3 "$(node_log importer-race)")"; fi
FC_NODE_PORT=$CP_PORT node_start cp-race KONG_ROLE=control_plane KONG_DATABASE=postgres
config 12 >"$WORK/c12.json"
deliver cp-race "$WORK/c12.json"
if wait_log importer-race "the node has a configuration; no import needed" 30; then
  pass "race: the control plane delivers during the stalled download, and the import stands aside"
else
  failed "race: the control plane delivers during the stalled download, and the import stands aside" "$(tail -3 "$(node_log importer-race)")"
fi
no_rules
check_eq "$(count importer-race "imported config")" 0 "race: nothing was imported"
running_config importer-race "$WORK/running.json"
if same_config "$WORK/c12.json" "$WORK/running.json"; then pass "race: the node runs the control plane's configuration"; else failed "race: the node runs the control plane's configuration"; fi
keep_logs importer-race
node_stop importer-race
node_stop cp-race

# In the sanitizer build the library runs under ASan/UBSan inside nginx.
if grep -rqE "ERROR: AddressSanitizer|runtime error:|LeakSanitizer" "$WORK/nodes"; then
  failed "no sanitizer report from any node" "$(grep -rhE "ERROR: AddressSanitizer|runtime error:" "$WORK/nodes" | head -3)"
else
  pass "no sanitizer report from any node"
fi
leftover=$(pgrep -f "nginx -p $WORK" || true)
check_eq "$leftover" "" "no nginx process is left behind"
command aws --endpoint-url "$FC_RGW_ENDPOINT" s3 rb "s3://$BUCKET" --force >/dev/null 2>&1
finish

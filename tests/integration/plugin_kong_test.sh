#!/usr/bin/env bash
# The plugin where real Kong differs from a naive model of it (see
# ../shared/KONG_FIDELITY.md and tests/kong_harness/README.md): the stream
# subsystem, Kong Enterprise's own feature, incremental sync, a control
# plane's push_config storm, EE's leading-edge export, Kong's definition of an
# empty configuration, a data plane's persisted configuration, exports that a
# commit lands in the middle of, imports while the control plane answers,
# errors raised inside Kong, vault references on a control plane, and a
# DB-backed traditional node. One scenario per behaviour, in real nginx under
# the harness, on file:// storage (the storage is not what is tested here).
# Needs: FC_LIB_DIR (the built library), FC_CLI.
# FC_PLUGIN_ROOT: run another checkout's plugin (lua/) against this harness.
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

WORK=$(mktemp -d /tmp/fc-plugin-kong-test.XXXXXX)
export FC_NODES_DIR=$WORK/nodes
source "$ROOT/tests/kong_harness/node.sh"
source "$ROOT/tests/integration/plugin_lib.sh"
cleanup() {
  node_stop_all
  [ -n "${FC_KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

VERSION=3.9.1
STORE=$WORK/storage
chmod 755 "$WORK"
install -d -m 1777 "$STORE" # nginx workers run as nobody
cli() { "$FC_CLI" "$@"; }
stored() { # stored PREFIX OUT: the stored configuration of VERSION, or nothing
  KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=file://$STORE/$1 cli pull --kong-version $VERSION -o "$2" 2>/dev/null
}
stored_sha() { KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=file://$STORE/$1 cli stat --kong-version $VERSION 2>/dev/null | sed -n 's/^sha256: *//p'; }
seed() { # seed PREFIX FILE [VERSION]: a backup made earlier (by another node)
  KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=file://$STORE/$1 cli push "$2" --kong-version "${3:-$VERSION}" 2>/dev/null
  chmod -R a+rwX "$STORE" # the nodes' workers run as nobody
}
stat_of() { # stat_of NODE FIELD: a harness counter
  local port_var="PORT_${1//-/_}"
  curl -fs "http://127.0.0.1:${!port_var}/_harness/stats" | luajit -e "print(require('cjson').decode(io.read('*a')).$2)"
}
post() { # post NODE PATH [FILE]
  local port_var="PORT_${1//-/_}"
  curl -fs -o /dev/null -X POST ${3:+--data-binary "@$3"} "http://127.0.0.1:${!port_var}$2"
}
# services N FIRST: a configuration of N services (names from FIRST on).
services() {
  luajit -e "local n, first = $1, $2; local s = {}
    for i = first, first + n - 1 do s[#s + 1] = string.format('{\"name\":\"svc-%d\",\"host\":\"h%d.internal\"}', i, i) end
    io.write('{\"_format_version\":\"3.0\",\"services\":[' .. table.concat(s, ',') .. ']}')"
}
EXPORT=(KONG_CLUSTER_FALLBACK_CONFIG_EXPORT=on KONG_HARNESS_VERSION=$VERSION)

# --- 1. the stream subsystem does nothing; the http side exports once ----------------
config 1 >"$WORK/c1.json"
FC_NODE_LOG_LEVEL=debug node_start stream "${EXPORT[@]}" KONG_STREAM_LISTEN=127.0.0.1:1 \
  KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="file://$STORE/stream" KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY=1
deliver stream "$WORK/c1.json"
if wait_log stream "exported config" 10; then pass "stream_listen: the http side exports"; else failed "stream_listen: the http side exports" "$(tail -3 "$(node_log stream)")"; fi
sleep 2 # the stream side got the relayed reconfigure too
check_eq "$(count stream "exported config")" 1 "stream_listen: one upload, not one per subsystem"
check_contains "$(grep "the stream subsystem does nothing" "$(node_log stream)")" "[debug]" \
  "the stream side says, at debug level, that it does nothing"
keep_logs stream
node_stop stream

# --- 2. Kong Enterprise: its own feature on, the plugin stands down -------------------
node_start ee-builtin KONG_HARNESS_PROFILE=ee KONG_CLUSTER_FALLBACK_CONFIG_EXPORT=on \
  KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="file://$STORE/ee" KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY=1
deliver ee-builtin "$WORK/c1.json"
sleep 2
check_eq "$(count ee-builtin "Kong Enterprise's own cluster fallback configuration is on (cluster_fallback_config_export): fallback-config stands down")" 1 \
  "EE with its feature on: one clear line"
check_eq "$(count ee-builtin "exported config")" 0 "and the plugin uploads nothing (EE does)"
keep_logs ee-builtin
node_stop ee-builtin
node_start ee-plugin KONG_HARNESS_PROFILE=ee KONG_FALLBACK_CONFIG_EXPORT=on \
  KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="file://$STORE/ee" KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY=1
deliver ee-plugin "$WORK/c1.json"
if wait_log ee-plugin "exported config" 10; then pass "EE with its feature off: the plugin exports (KONG_FALLBACK_CONFIG_EXPORT)"; else failed "EE with its feature off: the plugin exports (KONG_FALLBACK_CONFIG_EXPORT)" "$(tail -3 "$(node_log ee-plugin)")"; fi
keep_logs ee-plugin
node_stop ee-plugin

# --- 3. incremental sync: deltas post dao:crud, no reconfigure ------------------------
node_start cp KONG_ROLE=control_plane KONG_DATABASE=postgres
CP=127.0.0.1:$PORT_cp
node_start dp-incremental "${EXPORT[@]}" KONG_CLUSTER_RPC=on KONG_CLUSTER_INCREMENTAL_SYNC=on \
  KONG_CLUSTER_CONTROL_PLANE=$CP KONG_HARNESS_SYNC_INTERVAL=1 \
  KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="file://$STORE/incremental" KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY=1
services 3 1 >"$WORK/s1.json"
deliver cp "$WORK/s1.json" # the first sync of an empty data plane is a full one
if wait_log dp-incremental "exported config" 10; then pass "incremental sync: the first (full) sync is exported"; else failed "incremental sync: the first (full) sync is exported" "$(tail -3 "$(node_log dp-incremental)")"; fi
services 4 1 >"$WORK/s2.json"
deliver cp "$WORK/s2.json" # one service more: a delta
if wait_log dp-incremental "exported config" 10 2; then pass "incremental sync: a delta is exported (dao:crud, no reconfigure)"; else failed "incremental sync: a delta is exported (dao:crud, no reconfigure)" "$(tail -3 "$(node_log dp-incremental)")"; fi
stored incremental "$WORK/stored.json"
if same_config "$WORK/s2.json" "$WORK/stored.json"; then pass "incremental sync: the stored configuration has the delta"; else failed "incremental sync: the stored configuration has the delta"; fi
check_eq "$(running_hash dp-incremental)" "$(printf '%032d' 2)" "incremental sync: Kong's hash is the sync version (as 3.9 stores it)"
keep_logs dp-incremental
node_stop dp-incremental

# --- 4. a control plane's push_config storm: one settings read, not one per event -----
node_stop cp
node_start cp-storm KONG_ROLE=control_plane KONG_DATABASE=postgres "${EXPORT[@]}" \
  KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="file://$STORE/storm" KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY=1
wait_log cp-storm "not exporting config .*: it is empty" 10
before=$(stat_of cp-storm plugins_each)
services 10000 1 >"$WORK/storm.json"
deliver cp-storm "$WORK/storm.json" # 10,000 entities created: 10,000 push_config events
if wait_log cp-storm "exported config" 60; then pass "storm: the control plane exports"; else failed "storm: the control plane exports" "$(tail -3 "$(node_log cp-storm)")"; fi
sleep 3
scans=$(( $(stat_of cp-storm plugins_each) - before ))
if [ "$scans" -le 3 ]; then pass "storm: 10,000 push_config events, $scans settings reads"; else failed "storm: 10,000 push_config events, $scans settings reads" "expected at most 3"; fi
check_eq "$(count cp-storm "exported config")" 1 "storm: one upload"
check_eq "$(count cp-storm "pending timers\|too many pending timers")" 0 "storm: no timer overflow"
keep_logs cp-storm
node_stop cp-storm

# --- 4b. a data plane reads its plugin config again only when the plugins changed ------
# Kong's reconfigure names the plugins' hash (db/declarative/import.lua): a
# change to routes and services only must not cost a walk over every plugin.
plugin_storage() { printf ',"plugins":[{"name":"fallback-config","config":{"storage":"file://%s/%s"}}]' "$STORE" "$1"; }
node_start dp-settings "${EXPORT[@]}" KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY=1
config 11 "$(plugin_storage settings-a)" >"$WORK/p1.json"
deliver dp-settings "$WORK/p1.json"
if wait_log dp-settings "exported config" 10; then pass "plugin settings: the storage comes from the plugin config"; else failed "plugin settings: the storage comes from the plugin config" "$(tail -3 "$(node_log dp-settings)")"; fi
reads=$(stat_of dp-settings plugins_each)
config 12 "$(plugin_storage settings-a)" >"$WORK/p2.json" # other services and routes, the same plugins
deliver dp-settings "$WORK/p2.json"
if wait_log dp-settings "exported config" 10 2; then pass "plugin settings: a change to routes only is exported"; else failed "plugin settings: a change to routes only is exported" "$(tail -3 "$(node_log dp-settings)")"; fi
check_eq "$(stat_of dp-settings plugins_each)" "$reads" "plugin settings: a change to routes only reads no plugin"
stored settings-a "$WORK/stored.json"
if same_config "$WORK/p2.json" "$WORK/stored.json"; then pass "plugin settings: stored where the plugin config says"; else failed "plugin settings: stored where the plugin config says"; fi
config 13 "$(plugin_storage settings-b)" >"$WORK/p3.json" # the plugin's config changed
deliver dp-settings "$WORK/p3.json"
if wait_log dp-settings "exported config" 10 3; then pass "plugin settings: a plugin change is exported"; else failed "plugin settings: a plugin change is exported" "$(tail -3 "$(node_log dp-settings)")"; fi
if [ "$(stat_of dp-settings plugins_each)" -gt "$reads" ]; then pass "plugin settings: a plugin change reads the plugins again"; else failed "plugin settings: a plugin change reads the plugins again"; fi
stored settings-b "$WORK/stored.json"
if same_config "$WORK/p3.json" "$WORK/stored.json"; then pass "plugin settings: the new storage is used at once"; else failed "plugin settings: the new storage is used at once"; fi
keep_logs dp-settings
node_stop dp-settings

# --- 5. leading edge: the first change after a quiet delay is exported at once ---------
node_start leading "${EXPORT[@]}" KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="file://$STORE/leading" \
  KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY=30
deliver leading "$WORK/c1.json"
if wait_log leading "exported config" 5; then pass "leading edge: a 30 s delay does not hold the first change back"; else failed "leading edge: a 30 s delay does not hold the first change back"; fi
config 2 >"$WORK/c2.json"
deliver leading "$WORK/c2.json"
sleep 3
check_eq "$(count leading "exported config")" 1 "leading edge: the next change waits out the delay"
keep_logs leading
node_stop leading

# --- 6. Kong's empty configuration (only workspaces) never replaces a backup ----------
config 3 >"$WORK/c3.json"
seed empty "$WORK/c3.json"
before_sha=$(stored_sha empty)
node_start cp-empty KONG_ROLE=control_plane KONG_DATABASE=postgres "${EXPORT[@]}" \
  KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="file://$STORE/empty" KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY=1
if wait_log cp-empty "not exporting config .*: it is empty" 10; then pass "empty: a control plane on an empty database says so"; else failed "empty: a control plane on an empty database says so" "$(tail -3 "$(node_log cp-empty)")"; fi
check_eq "$(stored_sha empty)" "$before_sha" "empty: the backup is untouched (the export held only the default workspace)"
keep_logs cp-empty
node_stop cp-empty

# --- 7. a data plane never exports the configuration it kept on disk at start ---------
config 4 >"$WORK/older.json"
config 5 >"$WORK/newer.json"
seed persisted "$WORK/newer.json" # another backup node exported a newer one during the outage
before_sha=$(stored_sha persisted)
node_start dp-restart "${EXPORT[@]}" KONG_HARNESS_INITIAL_CONFIG="$WORK/older.json" \
  KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="file://$STORE/persisted" KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY=1
sleep 4 # the hash poll and any start-up export have had their chance
check_eq "$(count dp-restart "exported config")" 0 "persisted: nothing exported at start"
check_eq "$(stored_sha persisted)" "$before_sha" "persisted: the newer backup survives"
deliver dp-restart "$WORK/c1.json" # the control plane is back
if wait_log dp-restart "exported config" 10; then pass "persisted: what the control plane delivers is exported"; else failed "persisted: what the control plane delivers is exported"; fi
keep_logs dp-restart
node_stop dp-restart

# --- 8. the export is one configuration, read off the event loop ---------------------
services 3000 1 >"$WORK/big-a.json"
services 2000 5001 >"$WORK/big-b.json"
# 8a. A DB-less node reads LMDB in the library's helper process, one read
# transaction: however many commits land meanwhile, each upload is one whole
# configuration (3001 or 2001 rows with the workspace), and no page of it is
# read on the event loop.
node_start snapshot "${EXPORT[@]}" KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="file://$STORE/snapshot" \
  KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY=0.1
deliver snapshot "$WORK/big-a.json"
for i in $(seq 1 12); do # another process keeps committing (the privileged agent's loads)
  if ((i % 2)); then deliver snapshot "$WORK/big-b.json"; else deliver snapshot "$WORK/big-a.json"; fi
  sleep 0.2
done
if wait_log snapshot "exported config" 30 3; then pass "LMDB snapshot: exported"; else failed "LMDB snapshot: exported" "$(tail -3 "$(node_log snapshot)")"; fi
sleep 3 # the last delivery's export
counts=$(sed -nE 's/.*exported config .*\(([0-9]+) entities read from LMDB\).*/\1/p' "$(node_log snapshot)" | sort -u | tr '\n' ' ')
if [ -n "$counts" ] && [ -z "$(tr ' ' '\n' <<<"$counts" | grep -v -x -e 3001 -e 2001 -e '')" ]; then
  pass "LMDB snapshot: every upload is one whole configuration (rows: $counts)"; else failed "LMDB snapshot: every upload is one whole configuration (rows: $counts)" "$(grep "exported config" "$(node_log snapshot)" | tail -3)"; fi
stored snapshot "$WORK/stored.json"
if same_config "$WORK/big-a.json" "$WORK/stored.json"; then pass "LMDB snapshot: storage holds the last configuration"; else failed "LMDB snapshot: storage holds the last configuration"; fi
check_eq "$(stat_of snapshot max_page_services)" 0 "LMDB snapshot: no page of services was read on the event loop"
check_eq "$(count snapshot "unknown process")" 0 "LMDB snapshot: nginx never reaped (or logged) the helper process"
keep_logs snapshot
node_stop snapshot

# 8b. What the helper exports is what Kong's export_config() returns, on both
# of Kong's LMDB layouts (3.9+: item keys; 3.4 to 3.8: lists).
cat >"$WORK/c8-varied.json" <<'EOF'
{"_format_version": "3.0",
 "services": [
   {"name": "svc-on", "host": "on.internal", "routes": [
     {"name": "r-on", "paths": ["/on"], "plugins": [{"name": "cors", "config": {}}]}]},
   {"name": "svc-off", "host": "off.internal", "enabled": false, "routes": [
     {"name": "r-off", "paths": ["/off"], "plugins": [{"name": "cors", "config": {}}]}]}],
 "consumers": [{"username": "alice"}],
 "plugins": [{"name": "correlation-id", "enabled": false, "config": {}}, {"name": "prometheus", "config": {}}]}
EOF
for profile in 3.6 3.9; do
  node_start "layout-${profile/./}" "${EXPORT[@]}" KONG_HARNESS_PROFILE=$profile \
    KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="file://$STORE/layout-$profile" KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY=0.1
  deliver "layout-${profile/./}" "$WORK/c8-varied.json"
  wait_log "layout-${profile/./}" "exported config .*read from LMDB" 15 || true
  running_config "layout-${profile/./}" "$WORK/kong-export-$profile.json"
  KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=file://$STORE/layout-$profile cli pull --kong-version "$VERSION" -o "$WORK/lmdb-export-$profile.json" 2>/dev/null
  if same_config "$WORK/kong-export-$profile.json" "$WORK/lmdb-export-$profile.json" &&
     same_config "$WORK/lmdb-export-$profile.json" "$WORK/kong-export-$profile.json"; then
    pass "Kong $profile's LMDB layout: the helper's export is export_config()'s"; else
    failed "Kong $profile's LMDB layout: the helper's export is export_config()'s" "$(same_config "$WORK/kong-export-$profile.json" "$WORK/lmdb-export-$profile.json" 2>&1; same_config "$WORK/lmdb-export-$profile.json" "$WORK/kong-export-$profile.json" 2>&1)"; fi
  keep_logs "layout-${profile/./}"
  node_stop "layout-${profile/./}"
done

# 8c. Without the helper (not installed, or LMDB it cannot open), Kong's DAO
# is read page by page on worker 0, yielding between pages, and a commit
# landing between two pages is caught by Kong's hash: the read is done again.
mkdir -p "$WORK/lib-no-helper"
cp "$FC_LIB_DIR/libfallback_config.so" "$WORK/lib-no-helper/"
FC_LIB_DIR=$WORK/lib-no-helper node_start dao "${EXPORT[@]}" KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="file://$STORE/dao" \
  KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY=1
post dao "/_harness/commit_during_read?type=services&after_pages=1" "$WORK/big-b.json"
deliver dao "$WORK/big-a.json"
if wait_log dao "exported config" 30; then pass "DAO fallback: exported"; else failed "DAO fallback: exported" "$(tail -3 "$(node_log dao)")"; fi
stored dao "$WORK/stored.json"
if same_config "$WORK/big-b.json" "$WORK/stored.json" 2>/dev/null || same_config "$WORK/big-a.json" "$WORK/stored.json" 2>/dev/null; then
  pass "DAO fallback: the stored configuration is one of the two, never a mix"; else failed "DAO fallback: the stored configuration is one of the two, never a mix" "$(same_config "$WORK/big-b.json" "$WORK/stored.json" 2>&1)"; fi
max_page=$(stat_of dao max_page_services)
if [ "$max_page" -gt 0 ] && [ "$max_page" -le 256 ]; then pass "DAO fallback: read in pages of $max_page rows, not Kong's 2048"; else failed "DAO fallback: read in pages of $max_page rows, not Kong's 2048"; fi
deliver dao "$WORK/big-a.json"
wait_log dao "exported config" 30 2 || true
check_eq "$(count dao "cannot read Kong's LMDB (cannot run $WORK/lib-no-helper/fallback-config-lmdb-export: No such file or directory); reading Kong's configuration through its DAO")" 1 \
  "DAO fallback: why, said once over two exports"
keep_logs dao
node_stop dao

# 8d. The same on 3.6, whose DAO says "stale data detected while paginating"
# when a commit lands mid-read: a changed configuration, read again, not a
# failed export.
FC_LIB_DIR=$WORK/lib-no-helper node_start dao36 "${EXPORT[@]}" KONG_HARNESS_PROFILE=3.6 \
  KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="file://$STORE/dao36" KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY=1
post dao36 "/_harness/commit_during_read?type=services&after_pages=1" "$WORK/big-b.json"
deliver dao36 "$WORK/big-a.json"
if wait_log dao36 "exported config" 30; then pass "DAO fallback on 3.6: exported"; else failed "DAO fallback on 3.6: exported" "$(tail -3 "$(node_log dao36)")"; fi
stored dao36 "$WORK/stored.json"
if same_config "$WORK/big-b.json" "$WORK/stored.json"; then pass "DAO fallback on 3.6: the configuration committed mid-read is stored"; else failed "DAO fallback on 3.6: the configuration committed mid-read is stored"; fi
check_eq "$(count dao36 "export of config .* failed")" 0 "DAO fallback on 3.6: Kong's stale-data error is a re-read, not a failed export"
keep_logs dao36
node_stop dao36

# --- 9. an importer whose control plane answers does not import ------------------------
seed answers "$WORK/c3.json"
node_start cp-slow KONG_ROLE=control_plane KONG_DATABASE=postgres KONG_HARNESS_CP_DELAY=4
config 8 >"$WORK/c8.json"
deliver cp-slow "$WORK/c8.json"
node_start dp-answers KONG_CLUSTER_FALLBACK_CONFIG_IMPORT=on KONG_HARNESS_VERSION=$VERSION \
  KONG_CLUSTER_CONTROL_PLANE=127.0.0.1:$PORT_cp_slow KONG_CLUSTER_FALLBACK_CONFIG_IMPORT_GRACE=1 \
  KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="file://$STORE/answers"
sleep 6 # the grace is over long before the control plane sends its configuration
check_eq "$(count dp-answers "imported config")" 0 "control plane answers: no import while its configuration is on its way"
running_config dp-answers "$WORK/running.json"
if same_config "$WORK/c8.json" "$WORK/running.json"; then pass "control plane answers: the node runs the control plane's configuration"; else failed "control plane answers: the node runs the control plane's configuration"; fi
keep_logs dp-answers
node_stop dp-answers
node_stop cp-slow

# --- 10. the control plane comes back while the import holds Kong's lock ---------------
# Kong refuses the control plane's configuration then (busy) and drops it until
# the next change or reconnection (clustering/data_plane.lua); the plugin looks
# again right before applying (narrowing the window to Kong's own load) and,
# when the control plane answered meanwhile, says so.
seed race "$WORK/c3.json"
CP_RACE_PORT=$("$ROOT/scripts/free-port.sh")
node_start dp-race KONG_CLUSTER_FALLBACK_CONFIG_IMPORT=on KONG_HARNESS_VERSION=$VERSION \
  KONG_CLUSTER_CONTROL_PLANE=127.0.0.1:$CP_RACE_PORT KONG_CLUSTER_FALLBACK_CONFIG_IMPORT_GRACE=0.5 \
  KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="file://$STORE/race" KONG_HARNESS_LOAD_DELAY=3
if wait_log dp-race "importing from" 10; then pass "race: the import starts with no control plane"; else failed "race: the import starts with no control plane"; fi
FC_NODE_PORT=$CP_RACE_PORT node_start cp-race KONG_ROLE=control_plane KONG_DATABASE=postgres
config 6 >"$WORK/c6.json"
deliver cp-race "$WORK/c6.json"
if wait_log dp-race "the control plane answered while the import was applied" 15; then
  pass "race: the plugin says the control plane came back during Kong's load"; else failed "race: the plugin says the control plane came back during Kong's load" "$(tail -3 "$(node_log dp-race)")"; fi
keep_logs dp-race
node_stop dp-race
node_stop cp-race

# --- 11. an error raised inside Kong is one failed attempt, retried --------------------
seed throws "$WORK/c3.json" 3.4.2
node_start dp-throws KONG_HARNESS_PROFILE=3.4 KONG_CLUSTER_FALLBACK_CONFIG_IMPORT=on \
  KONG_CLUSTER_FALLBACK_CONFIG_IMPORT_GRACE=0.5 KONG_HARNESS_LOAD_THROW=1 \
  KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="file://$STORE/throws"
if wait_log dp-throws "import from .* failed: " 15; then pass "throw: the error is logged as a failed attempt"; else failed "throw: the error is logged as a failed attempt" "$(tail -3 "$(node_log dp-throws)")"; fi
if wait_log dp-throws "imported config" 90; then pass "throw: a later attempt imports (3.4 kept Kong's lock for its 60 s)"; else failed "throw: a later attempt imports (3.4 kept Kong's lock for its 60 s)" "$(tail -3 "$(node_log dp-throws)")"; fi
keep_logs dp-throws
node_stop dp-throws

# --- 12. vault references in the plugin's config, resolved on a control plane ----------
config 7 ',"plugins":[{"name":"fallback-config","config":{"storage":"{vault://env/fc-backup-storage}","export_delay":1}}]' >"$WORK/c7.json"
node_start cp-vault KONG_ROLE=control_plane KONG_DATABASE=postgres "${EXPORT[@]}" FC_BACKUP_STORAGE="file://$STORE/vault"
deliver cp-vault "$WORK/c7.json"
if wait_log cp-vault "exported config .* to file://$STORE/vault/" 15; then pass "vault: a control plane resolves the reference itself"; else failed "vault: a control plane resolves the reference itself" "$(tail -3 "$(node_log cp-vault)")"; fi
keep_logs cp-vault
node_stop cp-vault

# --- 13. a data plane's vault references are resolved by Kong (kong.db.plugins) ------------
config 9 ',"plugins":[{"name":"fallback-config","config":{"storage":"{vault://env/fc-backup-storage}","export_delay":1}}]' >"$WORK/c9.json"
node_start dp-vault "${EXPORT[@]}" FC_BACKUP_STORAGE="file://$STORE/dp-vault"
deliver dp-vault "$WORK/c9.json"
if wait_log dp-vault "exported config .* to file://$STORE/dp-vault/" 15; then pass "vault: a data plane gets the value from Kong"; else failed "vault: a data plane gets the value from Kong" "$(tail -3 "$(node_log dp-vault)")"; fi
stored dp-vault "$WORK/stored.json"
check_contains "$(cat "$WORK/stored.json")" '"_transform":false' "the stored configuration keeps Kong's _transform=false (an import must not transform again)"
check_contains "$(cat "$WORK/stored.json")" '{vault://env/fc-backup-storage}' "and keeps the reference, never the value it stands for"
keep_logs dp-vault
node_stop dp-vault

# --- 14. master's RPC sync: every sync is a full one, posting reconfigure -------------------
node_start cp-rpc KONG_ROLE=control_plane KONG_DATABASE=postgres KONG_HARNESS_PROFILE=master
node_start dp-rpc KONG_CLUSTER_FALLBACK_CONFIG_EXPORT=on KONG_HARNESS_PROFILE=master KONG_CLUSTER_RPC=on \
  KONG_CLUSTER_RPC_SYNC=on KONG_CLUSTER_CONTROL_PLANE=127.0.0.1:$PORT_cp_rpc KONG_HARNESS_SYNC_INTERVAL=1 \
  KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="file://$STORE/rpc" KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY=1
services 2 1 >"$WORK/r1.json"
deliver cp-rpc "$WORK/r1.json"
if wait_log dp-rpc "exported config" 10; then pass "RPC sync (master): exported"; else failed "RPC sync (master): exported" "$(tail -3 "$(node_log dp-rpc)")"; fi
check_eq "$(running_hash dp-rpc)" "v02_$(printf '%028x' 1)" "RPC sync (master): Kong's hash is the v02 version"
keep_logs dp-rpc
node_stop dp-rpc
node_stop cp-rpc

# --- 15. a DB-backed traditional node with export on: a clear error ------------------------
node_start traditional KONG_ROLE=traditional KONG_DATABASE=postgres "${EXPORT[@]}" \
  KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="file://$STORE/traditional"
if wait_log traditional "disabled: KONG_CLUSTER_FALLBACK_CONFIG_EXPORT needs a data plane, a control plane or a DB-less node" 10; then
  pass "traditional: export on a DB-backed node is refused, saying why"; else failed "traditional: export on a DB-backed node is refused, saying why" "$(tail -3 "$(node_log traditional)")"; fi
keep_logs traditional
node_stop traditional

if grep -lE "AddressSanitizer|runtime error:|signal 11|exited on signal" "$FC_NODES_DIR"/*/logs/error.log 2>/dev/null; then
  failed "no sanitizer report and no crashed worker in any node"
else
  pass "no sanitizer report and no crashed worker in any node"
fi
finish

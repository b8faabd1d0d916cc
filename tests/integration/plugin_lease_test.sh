#!/usr/bin/env bash
# Several backup nodes under the Kong harness (real nginx), on one real Ceph
# RGW: exactly one exports; a dead, paused or partitioned leader is replaced
# within the lease duration plus one renewal, and its late write never
# replaces the newer configuration; a node with its clock minutes off still
# plays by the store's clock; a store that ignores conditional writes is
# caught at start; a node that imports and exports imports first; beside Kong
# Enterprise's backup nodes, the plugin's take part in EE's election.
# Needs: FC_LIB_DIR, FC_CLI, FC_RGW_ENV.
source "$(dirname "$0")/lib.sh"
source "$FC_RGW_ENV"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/fc-plugin-lease-test.XXXXXX)
export FC_NODES_DIR=$WORK/nodes
source "$ROOT/tests/kong_harness/node.sh"
source "$ROOT/tests/integration/plugin_lib.sh"
EE_PID=
cleanup() {
  [ -n "$EE_PID" ] && kill "$EE_PID" 2>/dev/null && wait "$EE_PID" 2>/dev/null
  node_stop_all
  "$ROOT/tests/fault_proxy/down.sh" "$WORK/proxy" 2>/dev/null
  [ -n "${FC_KEEP_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

SECRETS+=("$FC_RGW_SECRET_KEY")
VERSION=3.9.1.0
BUCKET=fc-lease-$RANDOM$RANDOM
export AWS_ACCESS_KEY_ID=$FC_RGW_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$FC_RGW_SECRET_KEY AWS_REGION=us-east-1
export AWS_CONFIG_STORAGE_ENDPOINT=$FC_RGW_ENDPOINT
export AWS_REQUEST_CHECKSUM_CALCULATION=when_required AWS_RESPONSE_CHECKSUM_VALIDATION=when_required
aws --endpoint-url "$FC_RGW_ENDPOINT" s3api create-bucket --bucket "$BUCKET" >/dev/null || exit 1

DURATION=6 RENEW=2
# A dead leader's replacement exports within the lease duration, one renewal,
# the store's one-second grain and the export delay; the checks allow that
# and a second of scheduling.
TAKEOVER=$((DURATION + RENEW + 1 + 1 + 1))
node_env() { # node_env PREFIX ENDPOINT: what every backup node here runs with
  echo AWS_ACCESS_KEY_ID="$FC_RGW_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$FC_RGW_SECRET_KEY" AWS_REGION=us-east-1 \
    AWS_CONFIG_STORAGE_ENDPOINT="$2" KONG_HARNESS_VERSION=$VERSION KONG_CLUSTER_FALLBACK_CONFIG_EXPORT=on \
    KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY=1 KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="s3://$BUCKET/$1" \
    KONG_CLUSTER_FALLBACK_CONFIG_LEASE_DURATION=$DURATION KONG_CLUSTER_FALLBACK_CONFIG_LEASE_RENEW=$RENEW \
    KONG_CLUSTER_FALLBACK_CONFIG_STALL_TIMEOUT=30
}
id_of() { printf '00000000-0000-4000-8000-%012d' "$1"; }
start_backup() { # start_backup NAME N PREFIX [ENDPOINT] [more env]
  local name=$1 n=$2 prefix=$3 endpoint=${4:-$FC_RGW_ENDPOINT}
  shift 4 2>/dev/null || shift $#
  # shellcheck disable=SC2046
  node_start "$name" $(node_env "$prefix" "$endpoint") KONG_HARNESS_NODE_ID="$(id_of "$n")" "$@"
}
kill_node() { # kill_node NAME SIGNAL: every process of the node
  local master=${FC_NODE_PIDS[$1]}
  # The master first stopped, or it respawns the workers killed under it;
  # then the workers, which would outlive it; then the master.
  [ "$2" = CONT ] || kill -STOP "$master"
  pkill "-$2" -P "$master"
  kill "-$2" "$master"
}
lease_of() { KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=s3://$BUCKET/$1 "$FC_CLI" lease --kong-version $VERSION 2>&1; }
stored_is() { # stored_is PREFIX FILE: the stored configuration is FILE's
  KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=s3://$BUCKET/$1 "$FC_CLI" pull --kong-version $VERSION -o "$WORK/stored.json" \
    2>/dev/null && same_config "$2" "$WORK/stored.json"
}
wait_stored() { # wait_stored PREFIX FILE SECONDS
  local end=$((SECONDS + $3))
  while [ "$SECONDS" -le "$end" ]; do
    stored_is "$1" "$2" && return 0
    sleep 0.25
  done
  return 1
}
epoch_of() { KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=s3://$BUCKET/$1 "$FC_CLI" stat --kong-version $VERSION | sed -n 's/^epoch: *//p'; }
leader_among() { # leader_among EPOCH NAME...: the node that says it took the lease in EPOCH
  local epoch=$1 name
  shift
  for name in "$@"; do
    grep -q "holds the export lease .*(epoch $epoch): it exports" "$(node_log "$name")" && { echo "$name"; return; }
  done
}
wait_leader() { # wait_leader EPOCH SECONDS NAME...
  local epoch=$1 end=$((SECONDS + $2)) found
  shift 2
  while [ "$SECONDS" -le "$end" ]; do
    found=$(leader_among "$epoch" "$@")
    [ -n "$found" ] && { echo "$found"; return 0; }
    sleep 0.2
  done
  return 1
}
exports_of() { count "$1" "exported config"; }
for i in 1 2 3 4 5 6 7 8 9; do config "$i" >"$WORK/c$i.json"; done

# --- 1. three backup nodes: one exports
for n in 1 2 3; do start_backup "n$n" "$n" three; done
if L1=$(wait_leader 1 10 n1 n2 n3); then pass "three backup nodes: one takes the lease ($L1)"; else failed "three backup nodes: one takes the lease"; fi
sleep 1
standing=0
for n in n1 n2 n3; do [ "$n" != "$L1" ] && grep -q "$(id_of "${L1#n}") holds the export lease .*this node stands by" "$(node_log "$n")" && standing=$((standing + 1)); done
check_eq "$standing" 2 "the two others say who holds it and stand by"
for n in n1 n2 n3; do deliver "$n" "$WORK/c1.json"; done
if wait_stored three "$WORK/c1.json" 10; then pass "the configuration is exported"; else failed "the configuration is exported"; fi
sleep 2
check_eq "$(($(exports_of n1) + $(exports_of n2) + $(exports_of n3)))" 1 "exactly one upload among the three nodes"
check_eq "$(exports_of "$L1")" 1 "by the lease holder"
check_eq "$(epoch_of three)" 1 "the stored configuration records the holder's epoch"
run lease_of three
check_contains "$OUT" "holder:        $(id_of "${L1#n}")" "fallback-config lease names the holder"
check_contains "$OUT" "epoch:         1" "and its epoch"
check_contains "$OUT" "(by the store's clock)" "and its time left, by the store's clock"

# --- 2. kill -9 the leader: another node exports the next configuration in time
others=()
for n in n1 n2 n3; do [ "$n" != "$L1" ] && others+=("$n"); done
kill_node "$L1" KILL
t0=$SECONDS
for n in "${others[@]}"; do deliver "$n" "$WORK/c2.json"; done
if wait_stored three "$WORK/c2.json" "$TAKEOVER"; then
  pass "kill -9 of the leader: the next configuration is exported within ${TAKEOVER} s ($((SECONDS - t0)) s)"
else
  failed "kill -9 of the leader: the next configuration is exported within ${TAKEOVER} s" "$(lease_of three)"
fi
L2=$(leader_among 2 "${others[@]}")
check_eq "$(epoch_of three)" 2 "by a new holder, in the next epoch ($L2)"
unset "FC_NODE_PIDS[$L1]"
L3=
for n in "${others[@]}"; do [ "$n" != "$L2" ] && L3=$n; done

# --- 3. SIGSTOP the leader past its lease, then resume it
kill_node "$L2" STOP
if wait_leader 3 "$TAKEOVER" "$L3" >/dev/null; then pass "a paused leader is replaced"; else failed "a paused leader is replaced" "$(lease_of three)"; fi
deliver "$L3" "$WORK/c3.json"
if wait_stored three "$WORK/c3.json" 8; then pass "the new holder exports the next configuration"; else failed "the new holder exports the next configuration"; fi
before=$(exports_of "$L2")
kill_node "$L2" CONT
if wait_log "$L2" "this node lost the export lease .*taken by $(id_of "${L3#n}") in epoch 3" 8; then
  pass "the resumed node logs that it lost the lease, and to whom"
else
  failed "the resumed node logs that it lost the lease, and to whom" "$(grep fallback-config "$(node_log "$L2")" | tail -3)"
fi
deliver "$L2" "$WORK/c4.json"
sleep 3
check_eq "$(exports_of "$L2")" "$before" "it exports nothing more"
if stored_is three "$WORK/c3.json"; then pass "the newer configuration survives"; else failed "the newer configuration survives"; fi
check_eq "$(epoch_of three)" 3 "with its holder's epoch"
for n in n1 n2 n3; do keep_logs "$n"; done
node_stop_all

# --- 4. partition the leader from storage, then heal it: its late write is refused
PROXY=$("$ROOT/tests/fault_proxy/up.sh" "$WORK/proxy" --upstream "$FC_RGW_ENDPOINT") || exit 1
CONTROL=http://127.0.0.1:$(cat "$WORK/proxy/control_port")
rules() { curl -fsS -X POST --data-binary "$1" "$CONTROL/rules" >/dev/null; }
start_backup p 4 part "$PROXY"
wait_leader 1 10 p >/dev/null || failed "the node behind the proxy takes the lease"
start_backup q 5 part
deliver p "$WORK/c5.json"
wait_stored part "$WORK/c5.json" 8 || failed "the node behind the proxy exports"
# Cut its lease off the store, and hold its next configuration write in the
# proxy until long after it lost the lease.
rules '[{"match":{"path":"lease\\.json"},"fault":{"type":"reset_request","after_bytes":0}},
        {"match":{"method":"PUT","path":"config\\.json"},"times":1,"fault":{"type":"hold_request","ms":20000}}]'
deliver p "$WORK/c6.json"
if wait_leader 2 $((TAKEOVER + 2)) q >/dev/null; then pass "partitioned: the other node takes the lease"; else failed "partitioned: the other node takes the lease" "$(lease_of part)"; fi
deliver q "$WORK/c7.json"
if wait_stored part "$WORK/c7.json" 8; then pass "and exports the next configuration"; else failed "and exports the next configuration"; fi
if wait_log p "not written: this node lost the export lease .*written by $(id_of 5) in epoch 2" 25; then
  pass "the partitioned node's held write reaches the store late and is refused by its precondition"
else
  failed "the partitioned node's held write reaches the store late and is refused by its precondition" \
    "$(grep fallback-config "$(node_log p)" | tail -3)"
fi
curl -fsS -X DELETE "$CONTROL/rules" >/dev/null # healed
if stored_is part "$WORK/c7.json"; then pass "the newer configuration survives the late write"; else failed "the newer configuration survives the late write"; fi
check_eq "$(epoch_of part)" 2 "with its holder's epoch"
check_eq "$(grep -c 'PUT .*config.json -> 412' "$WORK/proxy/proxy.log")" 1 "the store refused the late write (412)"
keep_logs p
keep_logs q
node_stop_all

# --- 5. clocks minutes off: the store's clock decides
FAKETIME_LIB=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1)
if [ -n "${FC_NODE_LD_PRELOAD:-}" ]; then
  # libfaketime preloaded beside ASan's runtime hangs nginx at start (both
  # intercept the clock at load time): the release build's run covers it.
  echo "skip - clocks minutes off: not under the sanitizers (libfaketime and ASan's runtime deadlock at start)"
elif [ -z "$FAKETIME_LIB" ]; then
  failed "libfaketime is installed (scripts/install-deps.sh test)"
else
  skewed() { # skewed OFFSET: the environment of a node whose clock is OFFSET off
    echo LD_PRELOAD="${FC_NODE_LD_PRELOAD:+$FC_NODE_LD_PRELOAD:}$FAKETIME_LIB" FAKETIME="$1" \
      FAKETIME_DONT_FAKE_MONOTONIC=1 FAKETIME_DONT_RESET=1
  }
  start_backup a 6 skew
  wait_leader 1 10 a >/dev/null || failed "the node with the right clock takes the lease"
  # shellcheck disable=SC2046
  start_backup ahead 7 skew "$FC_RGW_ENDPOINT" $(skewed +5m)
  # shellcheck disable=SC2046
  start_backup behind 8 skew "$FC_RGW_ENDPOINT" $(skewed -5m)
  log_skew() { # log_skew NAME: seconds between the node's first log line's time and now
    local stamp
    stamp=$(head -1 "$(node_log "$1")" | cut -c1-19 | tr / -)
    echo $(($(date -d "$stamp" +%s) - $(date +%s)))
  }
  skew_ahead=$(log_skew ahead) skew_behind=$(log_skew behind)
  if [ "$skew_ahead" -gt 240 ] && [ "$skew_behind" -lt -240 ]; then
    pass "the two nodes' clocks are 5 minutes off ($skew_ahead s, $skew_behind s)"
  else
    failed "the two nodes' clocks are 5 minutes off" "ahead $skew_ahead s, behind $skew_behind s"
  fi
  sleep $((DURATION + RENEW))
  check_eq "$(count ahead "it exports")$(count behind "it exports")" "00" \
    "a node 5 minutes ahead and one 5 minutes behind never take a live lease"
  check_eq "$(count ahead "holds the export lease .*stands by")" 1 "the node ahead stands by"
  kill_node a KILL
  unset "FC_NODE_PIDS[a]"
  if S=$(wait_leader 2 "$TAKEOVER" ahead behind); then
    pass "a dead leader is replaced by a node with a skewed clock ($S), in time"
  else
    failed "a dead leader is replaced by a node with a skewed clock, in time" "$(lease_of skew)"
  fi
  deliver "$S" "$WORK/c8.json"
  if wait_stored skew "$WORK/c8.json" 8; then pass "which exports"; else failed "which exports"; fi
  keep_logs ahead
  keep_logs behind
  node_stop_all
fi

# --- 6. a store that ignores conditional writes is caught at start
rules '[{"match":{"method":"PUT"},"fault":{"type":"precondition_ignored","status":200,"headers":{"ETag":"\"0123456789abcdef0123456789abcdef\""}}}]'
start_backup u 9 ignoring "$PROXY"
if wait_log u "does not honour conditional writes: a second create-only write (If-None-Match: \\*) replaced the object; exporting without a lease" 10; then
  pass "the probe catches a store that ignores conditional writes, and the node says what it does instead"
else
  failed "the probe catches a store that ignores conditional writes" "$(grep fallback-config "$(node_log u)" | tail -3)"
fi
deliver u "$WORK/c9.json"
if wait_log u "exported config" 8; then pass "it exports as a single backup node"; else failed "it exports as a single backup node"; fi
check_eq "$(count u "holds the export lease")" 0 "and never believes it holds a lease"
AWS_CONFIG_STORAGE_ENDPOINT=$PROXY KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=s3://$BUCKET/ignoring \
  run "$FC_CLI" lease --kong-version $VERSION --probe
check_rc 1 "fallback-config lease --probe fails on such a store"
check_contains "$ERR" "does not honour conditional writes: a second create-only write" "and says why"
curl -fsS -X DELETE "$CONTROL/rules" >/dev/null
KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=s3://$BUCKET/ignoring run "$FC_CLI" lease --kong-version $VERSION --probe
check_rc 0 "RGW itself honours them"
keep_logs u
node_stop_all

# --- 7. import and export on one node: it imports first, then competes, and does not export what it imported
KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=s3://$BUCKET/both "$FC_CLI" push "$WORK/c1.json" --kong-version $VERSION 2>/dev/null
start_backup h 10 both "$FC_RGW_ENDPOINT" KONG_CLUSTER_FALLBACK_CONFIG_IMPORT=on KONG_CLUSTER_FALLBACK_CONFIG_IMPORT_GRACE=0.5
if wait_log h "imported config" 10 && wait_log h "holds the export lease .*it exports" 10; then
  pass "a node that imports and exports imports, then takes the lease"
else
  failed "a node that imports and exports imports, then takes the lease" "$(grep fallback-config "$(node_log h)" | tail -3)"
fi
imported_at=$(grep -n "imported config" "$(node_log h)" | head -1 | cut -d: -f1)
leased_at=$(grep -n "holds the export lease" "$(node_log h)" | head -1 | cut -d: -f1)
[ "${imported_at:-0}" -lt "${leased_at:-0}" ] && pass "in that order" || failed "in that order"
sleep 3
check_eq "$(exports_of h)" 0 "it does not export back the configuration it imported"
deliver h "$WORK/c2.json"
if wait_stored both "$WORK/c2.json" 8; then pass "it exports what its control plane sends next"; else failed "it exports what its control plane sends next"; fi

# --- 8. a leader that stops cleanly hands over at once
start_backup h2 11 both
sleep 2
node_stop h
t0=$SECONDS
if wait_leader 2 $((RENEW + 2)) h2 >/dev/null; then
  pass "a leader that stops cleanly releases the lease: the next node takes it at its next look ($((SECONDS - t0)) s)"
else
  failed "a leader that stops cleanly releases the lease" "$(lease_of both)"
fi
keep_logs h
keep_logs h2
node_stop_all

# --- 9. beside Kong Enterprise's backup nodes: their election decides, for every node
# A Kong EE backup node, as EE registers one (strategies/s3.lua: an empty
# object <prefix>/<version>/election/<register time>-<node id>, every round).
: >"$WORK/empty"
ee_node() { # ee_node REGISTER_TIME: registers every second until killed
  local key=mixed/$VERSION/election/$1-ee-node-1
  while :; do
    aws --endpoint-url "$FC_RGW_ENDPOINT" s3api put-object --bucket "$BUCKET" --key "$key" --body "$WORK/empty" >/dev/null 2>&1
    sleep 1
  done
}
ELECTION=(DP_RESILIENCE_ELECTION_INTERVAL=4)
ee_node "$(($(date +%s) - 3600)).5" &
EE_PID=$!
sleep 2
start_backup m1 12 mixed "$FC_RGW_ENDPOINT" "${ELECTION[@]}"
start_backup m2 13 mixed "$FC_RGW_ENDPOINT" "${ELECTION[@]}"
if wait_log m1 "Kong Enterprise's election chose ee-node-1: this node stands by" 10 &&
   wait_log m2 "Kong Enterprise's election chose ee-node-1: this node stands by" 10; then
  pass "beside an older Kong EE backup node, both plugin nodes obey EE's election and stand by"
else
  failed "beside an older Kong EE backup node, both plugin nodes obey EE's election" "$(grep fallback-config "$(node_log m1)" | tail -3)"
fi
check_contains "$(grep 'Kong Enterprise backup nodes register under' "$(node_log m1)")" \
  "s3://$BUCKET/mixed/$VERSION/election/: this node takes part in their election" "and say so in the log"
registered=$(aws --endpoint-url "$FC_RGW_ENDPOINT" s3 ls "s3://$BUCKET/mixed/$VERSION/election/" | grep -c -e "-$(id_of 12)\$" -e "-$(id_of 13)\$")
check_eq "$registered" 2 "they register as EE's nodes do (<register time>-<node id>)"
for n in m1 m2; do deliver "$n" "$WORK/c1.json"; done
sleep 4
check_eq "$(($(exports_of m1) + $(exports_of m2)))" 0 "neither exports while EE's node is elected"
kill "$EE_PID"; wait "$EE_PID" 2>/dev/null; EE_PID=
if ML=$(wait_leader 1 25 m1 m2); then pass "once EE's registrations go stale, they return to the lease ($ML)"; else failed "once EE's registrations go stale, they return to the lease"; fi
if wait_stored mixed "$WORK/c1.json" 8; then pass "and the holder exports what waited"; else failed "and the holder exports what waited"; fi
check_contains "$(grep 'back to the export lease' "$(node_log m1)")" "no other node registers under" "the return is logged"
before=$(($(exports_of m1) + $(exports_of m2)))
ee_node "$(date +%s).5" & # a younger EE node: the oldest plugin registration is EE's choice now
EE_PID=$!
if wait_log m1 "Kong Enterprise's election chose" 15 2 && wait_log m2 "Kong Enterprise's election chose" 15 2; then
  elected=$(( $(count m1 "election chose this node") + $(count m2 "election chose this node") ))
  check_eq "$elected" 1 "beside a younger EE node, exactly one plugin node is EE's choice"
else
  failed "beside a younger EE node, the plugin nodes follow EE's election again"
fi
for n in m1 m2; do deliver "$n" "$WORK/c2.json"; done
if wait_stored mixed "$WORK/c2.json" 10; then pass "and it exports"; else failed "and it exports"; fi
sleep 2
check_eq "$(($(exports_of m1) + $(exports_of m2) - before))" 1 "once: a mixed fleet has exactly one exporter"
kill "$EE_PID"; wait "$EE_PID" 2>/dev/null; EE_PID=
keep_logs m1
keep_logs m2
node_stop_all

for f in "$FC_NODES_DIR"/*/logs/error.log; do
  if grep -qE 'AddressSanitizer|runtime error:|signal [0-9]+ .*exited' "$f"; then failed "no sanitizer report and no crashed worker ($f)" "$(grep -E 'AddressSanitizer|runtime error:|exited on signal' "$f" | head -3)"; fi
done
finish

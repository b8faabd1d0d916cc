# Starts and stops harness nodes (nginx + the plugin). Source it, then:
#   node_start NAME [VAR=VALUE ...]   start a node with that environment; sets PORT_<NAME>
#   node_stop NAME                    graceful stop (QUIT), then TERM, then KILL
#   node_stop_all                     every node this shell started
#   node_log NAME                     the node's error log
# Needs FC_NODES_DIR (a scratch directory) and FC_LIB_DIR (where
# libfallback_config.so is). FC_NODE_ENV (array) adds variables to every node.
# A node is a DB-less data plane unless the variables say otherwise
# (KONG_ROLE, KONG_DATABASE), whose control plane is a free port nothing
# listens on unless KONG_CLUSTER_CONTROL_PLANE names one, reconnecting after
# 1 s instead of Kong's 5 to 10 (KONG_HARNESS_RECONNECT_DELAY).
# Nodes get a clean environment: only PATH, the listed variables and FC_NODE_ENV;
# FC_NODE_LD_PRELOAD, ASAN_OPTIONS and UBSAN_OPTIONS are passed on when set (the
# sanitizer build loads an instrumented library into an uninstrumented nginx).
# FC_NODE_CPUS pins the node to those CPUs (taskset -c), for benchmarks;
# FC_NODE_PORT gives it that port instead of a free one; FC_PLUGIN_ROOT runs
# another checkout's plugin (its lua/, with its library in FC_LIB_DIR).

FC_HARNESS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${FC_NODE_WORKERS:=2}"
: "${FC_NODE_LOG_LEVEL:=notice}"
declare -a FC_NODE_ENV=("${FC_NODE_ENV[@]}")
declare -A FC_NODE_PIDS=()

node_log() { echo "$FC_NODES_DIR/$1/logs/error.log"; }

node_start() {
  local name=$1
  shift
  local prefix=$FC_NODES_DIR/$name port=${FC_NODE_PORT:-}
  [ -n "$port" ] || port=$("$FC_HARNESS_ROOT/scripts/free-port.sh")
  rm -rf "$prefix"
  mkdir -p "$prefix/conf" "$prefix/logs" "$prefix/tmp"
  # Kong's LMDB lives in the prefix, opened by the workers (nginx's default
  # user, nobody, when the master is root; Kong chowns its prefix to its
  # user): they must be able to reach it through a mktemp -d (mode 700).
  if [ "$(id -u)" = 0 ]; then
    local d=$prefix
    while [ "$d" != / ]; do chmod o+x "$d"; d=$(dirname "$d"); done
  fi
  sed -e "s|@PREFIX@|$prefix|g" -e "s|@ROOT@|$FC_HARNESS_ROOT|g" -e "s|@LIB_DIR@|$FC_LIB_DIR|g" \
      -e "s|@PLUGIN_ROOT@|${FC_PLUGIN_ROOT:-$FC_HARNESS_ROOT}|g" \
      -e "s|@PORT@|$port|g" -e "s|@WORKERS@|$FC_NODE_WORKERS|g" -e "s|@LOG_LEVEL@|$FC_NODE_LOG_LEVEL|g" \
      "$FC_HARNESS_ROOT/tests/kong_harness/nginx.conf.in" >"$prefix/conf/nginx.conf"
  local sanitizer_env=()
  [ -n "${FC_NODE_LD_PRELOAD:-}" ] && sanitizer_env+=(LD_PRELOAD="$FC_NODE_LD_PRELOAD")
  [ -n "${ASAN_OPTIONS:-}" ] && sanitizer_env+=(ASAN_OPTIONS="$ASAN_OPTIONS")
  [ -n "${UBSAN_OPTIONS:-}" ] && sanitizer_env+=(UBSAN_OPTIONS="$UBSAN_OPTIONS")
  local pin=()
  [ -n "${FC_NODE_CPUS:-}" ] && pin=(taskset -c "$FC_NODE_CPUS")
  local defaults=(KONG_ROLE=data_plane KONG_DATABASE=off
                  KONG_CLUSTER_CONTROL_PLANE="127.0.0.1:$("$FC_HARNESS_ROOT/scripts/free-port.sh")"
                  KONG_HARNESS_RECONNECT_DELAY=1)
  env -i PATH="$PATH" "${sanitizer_env[@]}" "${defaults[@]}" "${FC_NODE_ENV[@]}" "$@" \
    "${pin[@]}" nginx -p "$prefix" -c "$prefix/conf/nginx.conf" -e "$prefix/logs/error.log" \
    >"$prefix/logs/stdout.log" 2>&1 &
  FC_NODE_PIDS[$name]=$!
  printf -v "PORT_${name//-/_}" '%s' "$port"
  local i
  for i in $(seq 1 100); do
    if curl -fs -o /dev/null "http://127.0.0.1:$port/"; then return 0; fi
    if ! kill -0 "${FC_NODE_PIDS[$name]}" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "node $name did not start:" >&2
  tail -20 "$prefix/logs/error.log" "$prefix/logs/stdout.log" >&2
  return 1
}

node_stop() { # safe under set -e: every step may find the process already gone
  local pid=${FC_NODE_PIDS[$1]:-}
  [ -n "$pid" ] || return 0
  kill -QUIT "$pid" 2>/dev/null || true
  local i
  for i in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    if [ "$i" -eq 50 ]; then kill -TERM "$pid" 2>/dev/null || true; fi
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  # Workers outlive a killed master only if it never got to signal them.
  pkill -KILL -f "nginx -p $FC_NODES_DIR/$1 " 2>/dev/null || true
  unset "FC_NODE_PIDS[$1]"
}

node_stop_all() {
  local name
  for name in "${!FC_NODE_PIDS[@]}"; do node_stop "$name"; done
}

#!/usr/bin/env bash
# Starts the fault-injection proxy (proxy.mjs) on free 127.0.0.1 ports:
#   tests/fault_proxy/up.sh DIR --upstream http://127.0.0.1:PORT
# writes DIR/pid, DIR/proxy.log, DIR/port (data), DIR/control_port and DIR/env
# (FC_FAULT_PROXY_PORT, FC_FAULT_PROXY_URL, FC_FAULT_PROXY_CONTROL); prints the
# data URL. down.sh DIR stops it.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=$1
shift
mkdir -p "$DIR"
for attempt in 1 2 3; do
  port=$("$HERE/../../scripts/free-port.sh")
  cport=$("$HERE/../../scripts/free-port.sh")
  [ "$port" != "$cport" ] || continue
  node "$HERE/proxy.mjs" --port "$port" --control-port "$cport" "$@" >"$DIR/proxy.log" 2>&1 &
  echo $! >"$DIR/pid"
  for _ in $(seq 1 50); do
    if grep -q "listening on $port control $cport" "$DIR/proxy.log"; then
      echo "$port" >"$DIR/port"
      echo "$cport" >"$DIR/control_port"
      printf 'FC_FAULT_PROXY_PORT=%s\nFC_FAULT_PROXY_URL=http://127.0.0.1:%s\nFC_FAULT_PROXY_CONTROL=http://127.0.0.1:%s\n' \
        "$port" "$port" "$cport" >"$DIR/env"
      echo "http://127.0.0.1:$port"
      exit 0
    fi
    kill -0 "$(cat "$DIR/pid")" 2>/dev/null || break
    sleep 0.1
  done
  kill "$(cat "$DIR/pid")" 2>/dev/null || true
  wait "$(cat "$DIR/pid")" 2>/dev/null || true
done
echo "the fault proxy did not start:" >&2
cat "$DIR/proxy.log" >&2
exit 1

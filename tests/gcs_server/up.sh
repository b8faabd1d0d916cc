#!/usr/bin/env bash
# Starts the strict GCS test server on a free 127.0.0.1 port for a test run:
#   tests/gcs_server/up.sh DIR [--token-ttl SECONDS]
# writes DIR/service-account.json (the test key, token_uri pointing at the
# server) and DIR/env (FC_GCS_PORT, FC_GCS_ENDPOINT, FC_GCS_SA). down.sh DIR stops it.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=$1
shift
mkdir -p "$DIR"
for attempt in 1 2 3; do
  port=$("$HERE/../../scripts/free-port.sh")
  sed "s|\"https://oauth2.googleapis.com/token\"|\"http://127.0.0.1:$port/token\"|" \
    "$HERE/../fixtures/gcp/service-account.json" >"$DIR/service-account.json"
  node "$HERE/server.mjs" --port "$port" --service-account "$DIR/service-account.json" "$@" >"$DIR/server.log" 2>&1 &
  echo $! >"$DIR/pid"
  for _ in $(seq 1 50); do
    if grep -q "listening on $port" "$DIR/server.log"; then
      printf 'FC_GCS_PORT=%s\nFC_GCS_ENDPOINT=http://127.0.0.1:%s\nFC_GCS_SA=%s\n' "$port" "$port" "$DIR/service-account.json" >"$DIR/env"
      echo "http://127.0.0.1:$port"
      exit 0
    fi
    kill -0 "$(cat "$DIR/pid")" 2>/dev/null || break
    sleep 0.1
  done
  kill "$(cat "$DIR/pid")" 2>/dev/null || true
done
echo "the GCS test server did not start:" >&2
cat "$DIR/server.log" >&2
exit 1

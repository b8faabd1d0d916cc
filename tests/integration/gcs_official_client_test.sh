#!/usr/bin/env bash
# Google's official Node client against the strict GCS test server, both ways
# with the fallback-config CLI: what the CLI uploads the client reads, what the
# client uploads the CLI reads. Needs: FC_CLI, FC_GCS_ENV.
source "$(dirname "$0")/lib.sh"
source "$FC_GCS_ENV"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
BUCKET=fc-official-$RANDOM
curl -fsS -X POST "$FC_GCS_ENDPOINT/_test/buckets?name=$BUCKET"
export STORAGE_EMULATOR_HOST=127.0.0.1:$FC_GCS_PORT GCP_SERVICE_ACCOUNT
GCP_SERVICE_ACCOUNT=$(cat "$FC_GCS_SA")
printf '{"_format_version":"3.0","services":[{"name":"from-cli","url":"http://c"}]}' >"$WORK/cli.json"
KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=gcs://$BUCKET/kong run "$FC_CLI" push "$WORK/cli.json" --kong-version 3.9.1.0 --uploader cli-node
check_rc 0 "the CLI uploads for the official client to read"

run node "$ROOT/tests/gcs_server/official_client_test.mjs" "$FC_GCS_ENDPOINT" "$BUCKET" kong/3.9.1.0/config.json "$WORK/cli.json" cli-node
echo "$OUT" | sed 's/^/  /'
check_rc 0 "@google-cloud/storage works against the test server and reads the CLI's object"
check_contains "$OUT" "12 passed, 0 failed" "all of the official client's checks ran"

KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=gcs://$BUCKET/node run "$FC_CLI" pull --kong-version 3.9.1.0 -o "$WORK/node.json"
check_rc 0 "the CLI downloads what the official client uploaded"
check_eq "$(cat "$WORK/node.json")" '{"_format_version":"3.0","services":[{"name":"from-node","url":"http://n"}]}' \
  "byte for byte"
KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=gcs://$BUCKET/node run "$FC_CLI" stat --kong-version 3.9.1.0
check_contains "$OUT" "uploader:      node-client" "and reads the uploader the official client set"
finish

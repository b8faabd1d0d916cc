#!/usr/bin/env bash
# The CLI against the strict GCS test server (tests/gcs_server): service-account
# JWT tokens, GOOGLE_APPLICATION_CREDENTIALS, the metadata server, push, pull,
# ls, stat, delete, errors; no key or token in any output.
# Needs: FC_CLI, FC_LIB_DIR, FC_GCS_ENV, and in the sanitizer build FC_LUA_LD_PRELOAD (written by tests/gcs_server/up.sh, with
# --token-ttl 64).
source "$(dirname "$0")/lib.sh"
source "$FC_GCS_ENV"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

BUCKET=fc-gcs-$RANDOM
curl -fsS -X POST "$FC_GCS_ENDPOINT/_test/buckets?name=$BUCKET"
export STORAGE_EMULATOR_HOST=127.0.0.1:$FC_GCS_PORT
export KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=gcs://$BUCKET/kong/dp
export GCP_SERVICE_ACCOUNT
GCP_SERVICE_ACCOUNT=$(cat "$FC_GCS_SA")
unset GOOGLE_APPLICATION_CREDENTIALS GCE_METADATA_HOST
# The private key's body: it must never be printed.
SECRETS+=("$(sed -n '2p' "$(dirname "$0")/../fixtures/gcp/test-key.pem")")
cli() { "$FC_CLI" "$@"; }
stats() { curl -fsS "$FC_GCS_ENDPOINT/_test/stats"; }

printf '{"_format_version":"3.0","services":[{"name":"s\xc3\xbc","url":"http://example.com"}]}\n' >"$WORK/a.json"
run cli push "$WORK/a.json" --kong-version 3.9.1.0 --uploader node-42
check_rc 0 "push uploads through the JSON API with a service-account token"
check_contains "$ERR" "gcs://$BUCKET/kong/dp/3.9.1.0/config.json" "push names the object it wrote"
run cli pull --kong-version 3.9.1.0 -o "$WORK/a.pulled.json"
check_rc 0 "pull downloads it"
check_same_file "$WORK/a.json" "$WORK/a.pulled.json" "pull reads back the same bytes"
run cli stat --kong-version 3.9.1.0
check_contains "$OUT" "uploader:      node-42" "the uploader is stored in the object's metadata"
check_contains "$OUT" "size:          $(wc -c <"$WORK/a.json")" "stat shows the size"
run curl -fsS -H "Authorization: Bearer $(stats | grep -o 'ya29\.test-[0-9a-f]*' | tail -1)" \
  "$FC_GCS_ENDPOINT/storage/v1/b/$BUCKET/o/kong%2Fdp%2F3.9.1.0%2Fconfig.json"
check_contains "$OUT" '"contentType":"application/json"' "the object is application/json"

# --- the server is strict about bearer tokens, as GCS is
obj=$FC_GCS_ENDPOINT/storage/v1/b/$BUCKET/o/kong%2Fdp%2F3.9.1.0%2Fconfig.json
run curl -s -o /dev/null -w '%{http_code}' "$obj"
check_eq "$OUT" 401 "no bearer token: 401"
run curl -s -w ' %{http_code}' -H "Authorization: Bearer ya29.forged" "$obj"
check_contains "$OUT" '"reason":"authError"' "a forged token: GCS's authError"
check_contains "$OUT" " 401" "a forged token: 401"
short=$(curl -fsS -X POST "$FC_GCS_ENDPOINT/_test/token?ttl=1" | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
SECRETS+=("$short")
sleep 1.2
run curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $short" "$obj"
check_eq "$OUT" 401 "an expired token: 401"

# --- generation preconditions (ifGenerationMatch)
run cli stat --kong-version 3.9.1.0
gen=$(sed -n 's/^generation: *//p' <<<"$OUT")
check_contains "$gen" "1" "stat shows the object's generation"
run cli push "$WORK/a.json" --kong-version 3.9.1.0 --if-generation-match "$gen"
check_rc 0 "a push conditional on the current generation is stored"
run cli push "$WORK/a.json" --kong-version 3.9.1.0 --if-generation-match "$gen"
check_rc 1 "the same condition again fails: the generation moved on"
check_contains "$ERR" "HTTP 412 conditionNotMet" "the failure is GCS's 412 with its reason"
run cli push "$WORK/a.json" --kong-version 3.9.2.0 --if-generation-match 0
check_rc 0 "generation 0: stored when there is no object yet"
run cli push "$WORK/a.json" --kong-version 3.9.2.0 --if-generation-match 0
check_rc 1 "generation 0: refused once there is one"
cli delete --kong-version 3.9.2.0 2>/dev/null
KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=file://$WORK/f run cli push "$WORK/a.json" --kong-version 1.0.0.0 --if-generation-match 1
check_rc 2 "a generation precondition on other storage is a usage error"
check_contains "$ERR" "a generation precondition needs gcs:// storage" "and says why"

# --- ls and the newest version
for v in 3.8.0.0 3.10.0.0 3.9.0.0; do cli push "$WORK/a.json" --kong-version $v 2>/dev/null; done
run cli ls --page-size 1
check_rc 0 "ls lists the prefix, one object per page"
for v in 3.8.0.0 3.9.0.0 3.9.1.0 3.10.0.0; do check_contains "$OUT" "kong/dp/$v/config.json" "ls shows $v"; done
run cli stat
check_contains "$OUT" "version:       3.10.0.0" "stat without a version takes the newest"

# --- delete, and a missing object
run cli delete --kong-version 3.8.0.0
check_rc 0 "delete removes a version"
run cli pull --kong-version 3.8.0.0
check_rc 3 "pull of a missing version exits 3"
check_eq "$ERR" "fallback-config: error: no fallback config at gcs://$BUCKET/kong/dp/3.8.0.0/config.json" \
  "a missing object reads as a missing config"

# --- a corrupt upload never replaces the stored object
printf '{"_format_version":"3.0",' >"$WORK/bad.json"
run cli push "$WORK/bad.json" --kong-version 3.9.1.0
check_rc 2 "a truncated file is refused"
run cli pull --kong-version 3.9.1.0 -o "$WORK/still.json"
check_same_file "$WORK/a.json" "$WORK/still.json" "the stored object is untouched"

# --- the key from a file, and bad keys
GCP_SERVICE_ACCOUNT= GOOGLE_APPLICATION_CREDENTIALS=$FC_GCS_SA run cli pull --kong-version 3.9.1.0 -o "$WORK/b.json"
check_rc 0 "GOOGLE_APPLICATION_CREDENTIALS names the key file"
sed 's/"client_email": "[^"]*"/"client_email": "someone-else@fc-test.iam.gserviceaccount.com"/' "$FC_GCS_SA" >"$WORK/other.json"
GCP_SERVICE_ACCOUNT=$(cat "$WORK/other.json") run cli pull --kong-version 3.9.1.0
check_rc 1 "a token request the server refuses fails"
check_contains "$ERR" "cannot get a GCP access token from http://127.0.0.1:$FC_GCS_PORT/token: HTTP 400 invalid_grant" \
  "the refusal names the token endpoint and OAuth's error"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 2>/dev/null >"$WORK/forged.pem"
forged=$(awk -v key="$(sed ':a;N;$!ba;s/\n/\\\\n/g' "$WORK/forged.pem")" \
  '{ if ($0 ~ /"private_key":/) print "  \"private_key\": \"" key "\","; else print }' "$FC_GCS_SA")
SECRETS+=("$(sed -n '2p' "$WORK/forged.pem")")
GCP_SERVICE_ACCOUNT=$forged run cli pull --kong-version 3.9.1.0
check_rc 1 "a JWT signed with another key is refused"
check_contains "$ERR" "Invalid JWT Signature" "the server's reason is shown"
GCP_SERVICE_ACCOUNT='{"type":"service_account","client_email":"x@y","token_uri":"http://127.0.0.1:1/token","private_key":"-----BEGIN PRIVATE KEY-----\nMIIBroken\n-----END PRIVATE KEY-----\n"}' \
  run cli pull --kong-version 3.9.1.0
check_rc 2 "an unloadable key is a usage error"
check_eq "$ERR" "fallback-config: error: GCP_SERVICE_ACCOUNT: field 'private_key' is not a PEM private key OpenSSL can load" \
  "the error names the field, not the key"

# --- no key at all: tokens from the metadata server (workload identity)
before=$(stats | sed -E 's/.*"metadataTokensIssued":([0-9]+).*/\1/')
GCP_SERVICE_ACCOUNT= GCE_METADATA_HOST=127.0.0.1:$FC_GCS_PORT run cli pull --kong-version 3.9.1.0 -o "$WORK/m.json"
check_rc 0 "without a key, the metadata server supplies the token"
check_same_file "$WORK/a.json" "$WORK/m.json" "and the download is the same"
check_eq "$(stats | sed -E 's/.*"metadataTokensIssued":([0-9]+).*/\1/')" "$((before + 1))" "one metadata token was fetched"

# --- one long-lived client (the plugin's case): a token is reused until a
# minute before it expires, then refreshed exactly once (the server issues
# 64 s tokens, so they are due for refresh after 4 s).
issued() { stats | sed -E 's/.*"tokensIssued":([0-9]+).*/\1/'; }
before=$(issued)
# (In the sanitizer build, luajit needs the ASan runtime preloaded: FC_LUA_LD_PRELOAD.)
run env LUA_PATH="$ROOT/lua/?.lua;;" LUA_CPATH="$FC_LIB_DIR/?.so;;" ${FC_LUA_LD_PRELOAD:+LD_PRELOAD=$FC_LUA_LD_PRELOAD} \
  ${FC_LUA_LD_PRELOAD:+ASAN_OPTIONS=detect_leaks=0} luajit - <<'LUA'
local native = require("kong.plugins.fallback-config.native")
local client = assert(native.new_client({}, true))
local cfg = '{"_format_version":"3.0"}'
for i = 1, 3 do assert(client:put("3.7.0.0", cfg)) end
os.execute("sleep 5")
for i = 1, 3 do assert(client:put("3.7.0.0", cfg)) end
print("done")
LUA
check_eq "$OUT" "done" "six uploads from one client across a token's expiry"
check_eq "$(issued)" "$((before + 2))" "exactly one refresh: two tokens for six uploads"

# No access token the server issued was ever printed.
while IFS= read -r t; do SECRETS+=("$t"); done < <(stats | tr ',' '\n' | grep -o 'ya29\.test-[0-9a-f]*')
finish

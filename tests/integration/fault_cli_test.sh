#!/usr/bin/env bash
# Fault injection for the CLI, against real Ceph RGW and the strict GCS test
# server, through the fault proxy (tests/fault_proxy): refused connections,
# resets mid-upload and mid-download, stalls, 5xx/429, truncated and corrupted
# bodies, a clock 20 minutes off, credentials revoked mid-run. Transient faults
# are retried until the transfer succeeds; lasting ones end in one clear line
# and a non-zero exit, with nothing written and nothing stored overwritten.
# Needs: FC_CLI, FC_RGW_ENV (rgw-up.sh), FC_GCS_ENV (tests/gcs_server/up.sh).
source "$(dirname "$0")/lib.sh"
source "$FC_RGW_ENV"
source "$FC_GCS_ENV"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

WORK=$(mktemp -d /tmp/fc-fault-cli.XXXXXX)
HUGE_PID=
cleanup() {
  [ -n "$HUGE_PID" ] && kill "$HUGE_PID" 2>/dev/null
  "$ROOT/tests/fault_proxy/down.sh" "$WORK/s3proxy" 2>/dev/null
  "$ROOT/tests/fault_proxy/down.sh" "$WORK/gcsproxy" 2>/dev/null
  radosgw-admin -c "$FC_RGW_DIR/ceph.conf" user enable --uid fc-test >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

export AWS_ACCESS_KEY_ID=$FC_RGW_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$FC_RGW_SECRET_KEY AWS_REGION=us-east-1
unset AWS_SESSION_TOKEN AWS_DEFAULT_REGION AWS_CONFIG_STORAGE_ENDPOINT STORAGE_EMULATOR_HOST GOOGLE_APPLICATION_CREDENTIALS
export AWS_REQUEST_CHECKSUM_CALCULATION=when_required AWS_RESPONSE_CHECKSUM_VALIDATION=when_required
export GCP_SERVICE_ACCOUNT
GCP_SERVICE_ACCOUNT=$(cat "$FC_GCS_SA")
SECRETS+=("$FC_RGW_SECRET_KEY" "$(sed -n '2p' "$ROOT/tests/fixtures/gcp/test-key.pem")")
# Quick retries for the test: 4 tries, 1 s without a byte ends a transfer.
export KONG_CLUSTER_FALLBACK_CONFIG_RETRY_ATTEMPTS=4 KONG_CLUSTER_FALLBACK_CONFIG_RETRY_DEADLINE=30
export KONG_CLUSTER_FALLBACK_CONFIG_STALL_TIMEOUT=1

S3_PROXY=$("$ROOT/tests/fault_proxy/up.sh" "$WORK/s3proxy" --upstream "$FC_RGW_ENDPOINT") || exit 1
S3_CONTROL=http://127.0.0.1:$(cat "$WORK/s3proxy/control_port")
GCS_PROXY=$("$ROOT/tests/fault_proxy/up.sh" "$WORK/gcsproxy" --upstream "$FC_GCS_ENDPOINT") || exit 1
GCS_CONTROL=http://127.0.0.1:$(cat "$WORK/gcsproxy/control_port")

BUCKET=fc-fault-$RANDOM$RANDOM
command aws --endpoint-url "$FC_RGW_ENDPOINT" s3api create-bucket --bucket "$BUCKET" >/dev/null
curl -fsS -X POST "$FC_GCS_ENDPOINT/_test/buckets?name=$BUCKET" >/dev/null

# A 200 KB configuration: large enough that faults land mid-transfer.
{ printf '{"_format_version":"3.0","blob":"'; head -c 150000 /dev/urandom | base64 -w0; printf '"}'; } >"$WORK/big.json"
{ printf '{"_format_version":"3.0","other":"'; head -c 150000 /dev/urandom | base64 -w0; printf '"}'; } >"$WORK/big2.json"
printf '{"_format_version":"3.0","services":[{"name":"v2","host":"example.com"}]}' >"$WORK/v2.json"
sha() { sha256sum "$1" | cut -d' ' -f1; }
# The SHA-256 of FILE with the proxy's corruption (bit 0 of byte OFFSET flipped).
corrupted_sha() {
  node -e 'const b=require("fs").readFileSync(process.argv[1]); b[+process.argv[2]]^=1;
    console.log(require("crypto").createHash("sha256").update(b).digest("hex"))' "$1" "$2"
}

# Per storage: CLI through the proxy, CLI straight to the store, the proxy's control.
via() { # via s3|gcs CLI-ARGS...
  local st=$1
  shift
  if [ "$st" = s3 ]; then
    env AWS_CONFIG_STORAGE_ENDPOINT="$S3_PROXY" KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="s3://$BUCKET/kong" "$FC_CLI" "$@"
  else
    env STORAGE_EMULATOR_HOST="$GCS_PROXY" KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="gcs://$BUCKET/kong" "$FC_CLI" "$@"
  fi
}
direct() {
  local st=$1
  shift
  if [ "$st" = s3 ]; then
    env AWS_CONFIG_STORAGE_ENDPOINT="$FC_RGW_ENDPOINT" KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="s3://$BUCKET/kong" "$FC_CLI" "$@"
  else
    env STORAGE_EMULATOR_HOST="$FC_GCS_ENDPOINT" KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="gcs://$BUCKET/kong" "$FC_CLI" "$@"
  fi
}
control() { [ "$1" = s3 ] && echo "$S3_CONTROL" || echo "$GCS_CONTROL"; }
rules() { curl -fsS -X POST --data-binary "$2" "$(control "$1")/rules" >/dev/null; }
no_rules() { curl -fsS -X DELETE "$(control "$1")/rules" >/dev/null; }
fired() { # fired STORAGE RULE_INDEX: how often the rule fired
  curl -fsS "$(control "$1")/stats" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).rules['"$2"'].fired))'
}
# The storage's own requests (not the token endpoint) as the proxy sees them.
upload_path() { [ "$1" = s3 ] && echo "/$BUCKET/kong/" || echo "^/upload/storage/v1/b/$BUCKET/o"; }
media_path() { [ "$1" = s3 ] && echo "/$BUCKET/kong/.*/config.json" || echo "alt=media"; }
upload_method() { [ "$1" = s3 ] && echo PUT || echo POST; }
preset_5xx() { [ "$1" = s3 ] && echo s3_slowdown || echo gcs_503; }
check_stored() { # check_stored STORAGE VERSION FILE DESCRIPTION: the store holds FILE's bytes
  run direct "$1" pull --kong-version "$2" -o "$WORK/check.json"
  check_same_file "$3" "$WORK/check.json" "$4"
  rm -f "$WORK/check.json"
}
error_line() { # the failure is one line, says it is an error
  check_one_line "$ERR" "$1: the error is one line"
  check_contains "$ERR" "fallback-config: error:" "$1: the line says it is an error"
}
no_leftovers() { # nothing written at the target, no temporary file beside it
  if [ ! -e "$WORK/out.json" ] && [ -z "$(find "$WORK" -maxdepth 1 -name '.out.json.tmp*')" ]; then
    pass "$1: pull wrote nothing"
  else
    failed "$1: pull wrote nothing" "$(ls -a "$WORK")"
  fi
}

for st in s3 gcs; do
  V=3.9.0.0
  run direct $st push "$WORK/big.json" --kong-version $V
  check_rc 0 "$st: the baseline configuration is stored"

  # --- 5xx / SlowDown on upload, twice: retried, stored
  rules $st '[{"match":{"method":"'"$(upload_method $st)"'","path":"'"$(upload_path $st)"'"},"times":2,"fault":{"type":"status","preset":"'"$(preset_5xx $st)"'"}}]'
  run via $st push "$WORK/v2.json" --kong-version 3.9.1.0
  check_rc 0 "$st: push succeeds after two 503 answers"
  check_eq "$(fired $st 0)" 2 "$st: both 503 answers were seen and retried"
  check_stored $st 3.9.1.0 "$WORK/v2.json" "$st: the store holds the pushed bytes"

  # --- 500/503 that last: bounded attempts, then one clear line
  rules $st '[{"match":{"method":"GET","path":"'"$(media_path $st)"'"},"fault":{"type":"status","preset":"'"$([ $st = s3 ] && echo s3_internal || echo gcs_503)"'"}}]'
  run via $st pull --kong-version $V -o "$WORK/out.json"
  check_rc 1 "$st: a lasting 5xx on download fails"
  check_contains "$ERR" "$([ $st = s3 ] && echo "HTTP 500 InternalError" || echo "HTTP 503 backendError")" "$st: the error names the status and the store's code"
  check_eq "$(fired $st 0)" 4 "$st: exactly KONG_CLUSTER_FALLBACK_CONFIG_RETRY_ATTEMPTS (4) tries"
  error_line "$st 5xx"
  no_leftovers "$st 5xx"

  # --- 429 on download, once
  if [ $st = gcs ]; then
    rules $st '[{"match":{"path":"alt=media"},"times":1,"fault":{"type":"status","preset":"gcs_429"}}]'
    run via $st pull --kong-version $V -o "$WORK/out.json"
    check_rc 0 "gcs: a 429 is waited out"
    check_same_file "$WORK/big.json" "$WORK/out.json" "gcs: pull after 429 gets the whole configuration"
    rm -f "$WORK/out.json"
  fi

  # --- connections refused, then storage comes back while the CLI retries
  no_rules $st
  curl -fsS -X POST "$(control $st)/close" >/dev/null
  run via $st push "$WORK/v2.json" --kong-version 3.9.2.0 --retry-attempts 2
  check_rc 1 "$st: refused connections fail the push once the attempts are spent"
  check_contains "$ERR" "(2 attempts)" "$st: the error says how many attempts were made"
  check_contains "$ERR" "no complete answer from $([ $st = s3 ] && echo "$S3_PROXY" || echo "$GCS_PROXY"): Failed to connect" "$st: the error says the store could not be reached"
  error_line "$st refused"
  (sleep 1.5; curl -fsS -X POST "$(control $st)/open" >/dev/null) &
  run via $st push "$WORK/v2.json" --kong-version 3.9.2.0 --retry-attempts 20
  wait
  check_rc 0 "$st: push succeeds once the store accepts connections again"
  check_stored $st 3.9.2.0 "$WORK/v2.json" "$st: what was pushed during the outage is stored"

  # --- reset mid-upload: once (retried), then always (the stored object stays)
  rules $st '[{"match":{"method":"'"$(upload_method $st)"'","path":"'"$(upload_path $st)"'"},"times":1,"fault":{"type":"reset_request","after_bytes":50000}}]'
  run via $st push "$WORK/big.json" --kong-version 3.9.3.0
  check_rc 0 "$st: a reset mid-upload is retried"
  check_eq "$(fired $st 0)" 1 "$st: the reset happened"
  check_stored $st 3.9.3.0 "$WORK/big.json" "$st: the retried upload stored every byte"
  rules $st '[{"match":{"method":"'"$(upload_method $st)"'","path":"'"$(upload_path $st)"'"},"fault":{"type":"reset_request","after_bytes":50000}}]'
  run via $st push "$WORK/big2.json" --kong-version 3.9.3.0 --retry-attempts 2
  check_rc 1 "$st: uploads that are always reset fail"
  error_line "$st reset upload"
  check_stored $st 3.9.3.0 "$WORK/big.json" "$st: a broken upload never replaced the stored configuration"

  # --- reset mid-download
  rules $st '[{"match":{"method":"GET","path":"'"$(media_path $st)"'"},"times":1,"fault":{"type":"reset_response","after_bytes":50000}}]'
  run via $st pull --kong-version $V -o "$WORK/out.json"
  check_rc 0 "$st: a reset mid-download is retried"
  check_same_file "$WORK/big.json" "$WORK/out.json" "$st: the retried download is whole"
  rm -f "$WORK/out.json"
  rules $st '[{"match":{"method":"GET","path":"'"$(media_path $st)"'"},"fault":{"type":"reset_response","after_bytes":50000}}]'
  run via $st pull --kong-version $V -o "$WORK/out.json"
  check_rc 1 "$st: downloads that are always reset fail"
  check_contains "$ERR" "(4 attempts)" "$st: after every attempt"
  error_line "$st reset download"
  no_leftovers "$st reset download"

  # --- stalls: mid-download once (the stall limit ends it, retried), and forever
  rules $st '[{"match":{"method":"GET","path":"'"$(media_path $st)"'"},"times":1,"fault":{"type":"stall","phase":"mid_response","after_bytes":50000}}]'
  run via $st pull --kong-version $V -o "$WORK/out.json"
  check_rc 0 "$st: a stalled download is abandoned and retried"
  check_same_file "$WORK/big.json" "$WORK/out.json" "$st: the download after a stall is whole"
  rm -f "$WORK/out.json"
  rules $st '[{"match":{"method":"GET","path":"'"$(media_path $st)"'"},"fault":{"type":"stall","phase":"before_response"}}]'
  start=$SECONDS
  run via $st pull --kong-version $V -o "$WORK/out.json" --retry-attempts 3
  check_rc 1 "$st: a store that never answers fails the pull"
  check_contains "$ERR" "no byte moved for 1000 ms (stall timeout) (3 attempts)" "$st: the stall is reported as such"
  if [ $((SECONDS - start)) -le 20 ]; then pass "$st: the stall limit ends each wait"; else failed "$st: the stall limit ends each wait" "$((SECONDS - start)) s"; fi
  rules $st '[{"match":{"method":"GET","path":"'"$(media_path $st)"'"},"fault":{"type":"stall","phase":"before_response"}}]'
  start=$SECONDS
  run via $st pull --kong-version $V -o "$WORK/out.json" --retry-attempts 100 --retry-deadline 4
  check_rc 1 "$st: the retry deadline ends the retries"
  if [ $((SECONDS - start)) -le 12 ]; then pass "$st: within the deadline"; else failed "$st: within the deadline" "$((SECONDS - start)) s"; fi
  error_line "$st stall"
  no_leftovers "$st stall"

  # --- truncated body: once, and always
  rules $st '[{"match":{"method":"GET","path":"'"$(media_path $st)"'"},"times":1,"fault":{"type":"truncate","keep_bytes":1000}}]'
  run via $st pull --kong-version $V -o "$WORK/out.json"
  check_rc 0 "$st: a truncated download is retried"
  check_same_file "$WORK/big.json" "$WORK/out.json" "$st: the download after a truncation is whole"
  rm -f "$WORK/out.json"
  rules $st '[{"match":{"method":"GET","path":"'"$(media_path $st)"'"},"fault":{"type":"truncate","keep_bytes":1000}}]'
  run via $st pull --kong-version $V -o "$WORK/out.json"
  check_rc 1 "$st: downloads that are always truncated fail"
  error_line "$st truncated"
  no_leftovers "$st truncated"

  # --- 200 with corrupted bytes: once (downloaded again), and always (refused, both hashes named)
  rules $st '[{"match":{"method":"GET","path":"'"$(media_path $st)"'"},"times":1,"fault":{"type":"corrupt","offset":100}}]'
  run via $st pull --kong-version $V -o "$WORK/out.json"
  check_rc 0 "$st: a corrupted download is downloaded again"
  check_same_file "$WORK/big.json" "$WORK/out.json" "$st: the second download is the stored configuration"
  rm -f "$WORK/out.json"
  rules $st '[{"match":{"method":"GET","path":"'"$(media_path $st)"'"},"fault":{"type":"corrupt","offset":100}}]'
  run via $st pull --kong-version $V -o "$WORK/out.json"
  check_rc 1 "$st: downloads that are always corrupted are refused"
  check_contains "$ERR" "integrity check failed for $st://$BUCKET/kong/$V/config.json" "$st: the error names the object"
  check_contains "$ERR" "sha256 metadata is $(sha "$WORK/big.json")" "$st: the error names the stored hash"
  check_contains "$ERR" "hash to $(corrupted_sha "$WORK/big.json" 100)" "$st: the error names the hash of what arrived"
  error_line "$st corrupted"
  no_leftovers "$st corrupted"
  run via $st pull --kong-version $V -o -
  check_rc 1 "$st: pull to stdout refuses a corrupted download too"
  check_eq "$OUT" "" "$st: nothing corrupted reaches stdout"
  no_rules $st
done

# --- objects without our metadata (Kong Enterprise's, awscli's) are accepted
# after the parse check; corrupted into non-JSON, they are refused.
command aws --endpoint-url "$FC_RGW_ENDPOINT" s3 cp "$WORK/v2.json" "s3://$BUCKET/kong/3.8.0.0/config.json" >/dev/null
run via s3 pull --kong-version 3.8.0.0 -o "$WORK/out.json"
check_rc 0 "s3: an object written by awscli (no sha256 metadata) is accepted"
check_same_file "$WORK/v2.json" "$WORK/out.json" "s3: and pulled whole"
rm -f "$WORK/out.json"
rules s3 '[{"match":{"path":"/3.8.0.0/config.json"},"fault":{"type":"corrupt","offset":0}}]'
run via s3 pull --kong-version 3.8.0.0 -o "$WORK/out.json"
check_rc 2 "s3: a foreign object corrupted into non-JSON is refused"
check_contains "$ERR" "the downloaded configuration (s3://$BUCKET/kong/3.8.0.0/config.json)" "s3: the error names the object"
no_leftovers "s3 foreign corrupted"
no_rules s3

# --- corruption at rest in the store (GCS test server flips a stored bit)
run direct gcs push "$WORK/v2.json" --kong-version 3.7.0.0
curl -fsS -X POST "$FC_GCS_ENDPOINT/_test/corrupt?bucket=$BUCKET&name=kong/3.7.0.0/config.json&offset=5" >/dev/null
run direct gcs pull --kong-version 3.7.0.0 -o "$WORK/out.json"
check_rc 1 "gcs: an object corrupted at rest is refused"
check_contains "$ERR" "sha256 metadata is $(sha "$WORK/v2.json")" "gcs: the error names the stored hash"
no_leftovers "gcs at rest"

# --- the clock 20 minutes behind: S3 says RequestTimeTooSkewed, the CLI signs
# with the server's time and goes on (awscli, the peer, shows the skew is real)
# (libfaketime is preloaded ahead of the sanitizer runtime in the ASan build.)
SKEW=(env FAKETIME=-20m FAKETIME_DONT_FAKE_MONOTONIC=1 LD_PRELOAD=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
      ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0")
run "${SKEW[@]}" aws --endpoint-url "$FC_RGW_ENDPOINT" s3api head-bucket --bucket "$BUCKET"
check_rc 255 "awscli with the clock 20 minutes behind is refused by RGW"
run "${SKEW[@]}" env AWS_CONFIG_STORAGE_ENDPOINT="$FC_RGW_ENDPOINT" KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="s3://$BUCKET/kong" \
  "$FC_CLI" push "$WORK/v2.json" --kong-version 3.9.5.0 --retry-attempts 1
check_rc 0 "s3: push with the clock 20 minutes behind corrects it from the server's Date"
run "${SKEW[@]}" env AWS_CONFIG_STORAGE_ENDPOINT="$FC_RGW_ENDPOINT" KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="s3://$BUCKET/kong" \
  "$FC_CLI" pull --kong-version 3.9.5.0 -o "$WORK/out.json"
check_rc 0 "s3: pull with the clock 20 minutes behind"
check_same_file "$WORK/v2.json" "$WORK/out.json" "s3: pulled whole with a skewed clock"
rm -f "$WORK/out.json"
run "${SKEW[@]}" env STORAGE_EMULATOR_HOST="$FC_GCS_ENDPOINT" KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="gcs://$BUCKET/kong" \
  "$FC_CLI" push "$WORK/v2.json" --kong-version 3.9.5.0
check_rc 0 "gcs: push with the clock 20 minutes behind (token lifetimes are relative)"

# --- credentials revoked mid-run: refused at once (403 is not retried), a clear
# line; restored, the next run works
before=$(curl -fsS "$S3_CONTROL/stats" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).requests.PUT||0))')
radosgw-admin -c "$FC_RGW_DIR/ceph.conf" user suspend --uid fc-test >/dev/null 2>&1
run via s3 push "$WORK/v2.json" --kong-version 3.9.6.0
check_rc 1 "s3: push with revoked credentials fails"
check_contains "$ERR" "HTTP 403 UserSuspended" "s3: the error names the refusal"
error_line "s3 revoked"
after=$(curl -fsS "$S3_CONTROL/stats" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).requests.PUT||0))')
check_eq "$((after - before))" 1 "s3: a 403 is not retried"
radosgw-admin -c "$FC_RGW_DIR/ceph.conf" user enable --uid fc-test >/dev/null 2>&1
run via s3 push "$WORK/v2.json" --kong-version 3.9.6.0
check_rc 0 "s3: with the credentials restored, push works again"

# GCS: the service-account key deleted mid-run (tokens revoked with it)
curl -fsS -X POST "$FC_GCS_ENDPOINT/_test/revoke?on=1" >/dev/null
run via gcs push "$WORK/v2.json" --kong-version 3.9.6.0
check_rc 1 "gcs: push with a deleted key fails"
check_contains "$ERR" "invalid_grant" "gcs: the error names the token endpoint's refusal"
error_line "gcs revoked"
curl -fsS -X POST "$FC_GCS_ENDPOINT/_test/revoke?on=0" >/dev/null
run via gcs push "$WORK/v2.json" --kong-version 3.9.6.0
check_rc 0 "gcs: with the key restored, push works again"

# --- a store that answers a listing with 17 MiB: refused, memory stays bounded
HUGE_PORT=$("$ROOT/scripts/free-port.sh")
# (and answers anything under /storage/ with a million nested JSON arrays)
node -e 'require("http").createServer((q, r) => {
  if (q.url.startsWith("/storage/")) {
    r.writeHead(200, {"Content-Type": "application/json"});
    return r.end("[".repeat(1000000));
  }
  r.writeHead(200, {"Content-Type": "application/xml"});
  const chunk = Buffer.alloc(1 << 20, 32); let n = 0;
  (function more() { while (n < 17) { n++; if (!r.write(chunk)) return r.once("drain", more); } r.end(); })();
}).listen(+process.argv[1], "127.0.0.1")' "$HUGE_PORT" &
HUGE_PID=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$HUGE_PORT/" && break; sleep 0.1; done
run env AWS_CONFIG_STORAGE_ENDPOINT="http://127.0.0.1:$HUGE_PORT" KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="s3://$BUCKET/kong" "$FC_CLI" ls
check_rc 1 "a 17 MiB listing page is refused"
check_contains "$ERR" "the answer is larger than 16 MiB" "the error says why"
run env STORAGE_EMULATOR_HOST="127.0.0.1:$HUGE_PORT" KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="gcs://$BUCKET/kong" "$FC_CLI" ls
check_rc 1 "a GCS listing of a million nested arrays is an error, not a crash"
check_contains "$ERR" "the answer is not a JSON object" "the error says why"
kill "$HUGE_PID"; wait "$HUGE_PID" 2>/dev/null; HUGE_PID=

command aws --endpoint-url "$FC_RGW_ENDPOINT" s3 rb "s3://$BUCKET" --force >/dev/null 2>&1
finish

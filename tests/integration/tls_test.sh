#!/usr/bin/env bash
# TLS to the storage: certificates and host names are always verified; a CA
# bundle can be named (KONG_CLUSTER_FALLBACK_CONFIG_CA_BUNDLE, AWS_CA_BUNDLE);
# turning verification off takes an explicit setting and warns on every run.
# An nginx https proxy with certificates from a throwaway CA fronts real RGW.
# Needs: FC_CLI and FC_RGW_ENV (written by rgw-up.sh).
source "$(dirname "$0")/lib.sh"
source "$FC_RGW_ENV"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

export AWS_ACCESS_KEY_ID=$FC_RGW_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$FC_RGW_SECRET_KEY AWS_REGION=us-east-1
unset AWS_SESSION_TOKEN AWS_DEFAULT_REGION AWS_CA_BUNDLE KONG_CLUSTER_FALLBACK_CONFIG_CA_BUNDLE KONG_CLUSTER_FALLBACK_CONFIG_TLS_VERIFY
export AWS_REQUEST_CHECKSUM_CALCULATION=when_required AWS_RESPONSE_CHECKSUM_VALIDATION=when_required
export KONG_CLUSTER_FALLBACK_CONFIG_RETRY_DEADLINE=20
SECRETS+=("$FC_RGW_SECRET_KEY")

WORK=$(mktemp -d)
PROXY_PID=
cleanup() {
  [ -n "$PROXY_PID" ] && { kill -QUIT "$PROXY_PID" 2>/dev/null; wait "$PROXY_PID" 2>/dev/null; }
  rm -rf "$WORK"
}
trap cleanup EXIT
cli() { "$FC_CLI" "$@"; }

# --- a throwaway CA, a certificate for 127.0.0.1 and one for another name
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=fallback-config test CA" \
  -keyout "$WORK/ca.key" -out "$WORK/ca.pem" 2>/dev/null
issue() { # issue NAME SAN
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout "$WORK/$1.key" -out "$WORK/$1.csr" 2>/dev/null
  printf 'subjectAltName=%s\n' "$2" >"$WORK/$1.ext"
  openssl x509 -req -in "$WORK/$1.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" -CAcreateserial -days 2 \
    -extfile "$WORK/$1.ext" -out "$WORK/$1.crt" 2>/dev/null
}
issue good "IP:127.0.0.1,DNS:localhost"
issue wrong "DNS:wrong.example"

GOOD_PORT=$("$ROOT/scripts/free-port.sh")
WRONG_PORT=$("$ROOT/scripts/free-port.sh")
while [ "$WRONG_PORT" = "$GOOD_PORT" ]; do WRONG_PORT=$("$ROOT/scripts/free-port.sh"); done
sed -e "s|@PREFIX@|$WORK|g" -e "s|@GOOD_PORT@|$GOOD_PORT|g" -e "s|@WRONG_PORT@|$WRONG_PORT|g" \
  -e "s|@UPSTREAM@|$FC_RGW_ENDPOINT|g" "$ROOT/tests/integration/tls_proxy.conf.in" >"$WORK/nginx.conf"
nginx -p "$WORK" -c "$WORK/nginx.conf" -e "$WORK/error.log" &
PROXY_PID=$!
for _ in $(seq 50); do
  curl -s --cacert "$WORK/ca.pem" -o /dev/null "https://127.0.0.1:$GOOD_PORT/" && break
  sleep 0.1
done

BUCKET=fc-tls-$RANDOM$RANDOM
command aws --endpoint-url "$FC_RGW_ENDPOINT" s3api create-bucket --bucket "$BUCKET" >/dev/null
export KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=s3://$BUCKET/kong
GOOD=https://127.0.0.1:$GOOD_PORT
WRONG=https://127.0.0.1:$WRONG_PORT
printf '{"_format_version":"3.0","services":[]}' >"$WORK/c.json"

# --- an unknown CA is refused at once (not retried), and the fix is named
start=$SECONDS
run env AWS_CONFIG_STORAGE_ENDPOINT=$GOOD "$FC_CLI" push "$WORK/c.json" --kong-version 3.9.0.0
check_rc 1 "a certificate from an unknown CA is refused"
check_contains "$ERR" "certificate" "the error says the certificate is the problem"
check_contains "$ERR" "KONG_CLUSTER_FALLBACK_CONFIG_CA_BUNDLE or AWS_CA_BUNDLE" "the error names the settings that fix it"
check_not_contains "$ERR" "attempts)" "an untrusted certificate is not retried"
check_one_line "$ERR" "the TLS error is one line"
if [ $((SECONDS - start)) -lt 10 ]; then pass "the refusal is immediate"; else failed "the refusal is immediate" "$((SECONDS - start)) s"; fi

# --- the CA named by AWS_CA_BUNDLE, then by our own setting (which wins)
run env AWS_CONFIG_STORAGE_ENDPOINT=$GOOD AWS_CA_BUNDLE="$WORK/ca.pem" "$FC_CLI" push "$WORK/c.json" --kong-version 3.9.0.0
check_rc 0 "AWS_CA_BUNDLE names the CA: push over https works"
check_not_contains "$ERR" "warning" "no warning while verification is on"
run env AWS_CONFIG_STORAGE_ENDPOINT=$GOOD AWS_CA_BUNDLE=/nonexistent.pem KONG_CLUSTER_FALLBACK_CONFIG_CA_BUNDLE="$WORK/ca.pem" \
  "$FC_CLI" pull --kong-version 3.9.0.0 -o "$WORK/pulled.json"
check_rc 0 "KONG_CLUSTER_FALLBACK_CONFIG_CA_BUNDLE wins over AWS_CA_BUNDLE"
check_same_file "$WORK/c.json" "$WORK/pulled.json" "pull over https returns the configuration"
run env AWS_CONFIG_STORAGE_ENDPOINT=$GOOD "$FC_CLI" stat --kong-version 3.9.0.0 --ca-bundle "$WORK/ca.pem"
check_rc 0 "--ca-bundle names the CA"

# --- a bundle that does not hold the server's CA, or does not exist
run env AWS_CONFIG_STORAGE_ENDPOINT=$GOOD AWS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt "$FC_CLI" stat --kong-version 3.9.0.0
check_rc 1 "a bundle without the server's CA is refused"
check_contains "$ERR" "not trusted by the CA bundle /etc/ssl/certs/ca-certificates.crt" "the error names the bundle in use"
run env AWS_CONFIG_STORAGE_ENDPOINT=$GOOD AWS_CA_BUNDLE="$WORK/missing.pem" "$FC_CLI" stat --kong-version 3.9.0.0
check_rc 1 "a missing CA bundle file is an error"
check_contains "$ERR" "$WORK/missing.pem" "the error names the missing bundle"

# --- the right CA but a certificate for another host name
run env AWS_CONFIG_STORAGE_ENDPOINT=$WRONG AWS_CA_BUNDLE="$WORK/ca.pem" "$FC_CLI" stat --kong-version 3.9.0.0
check_rc 1 "a certificate for another host name is refused"
check_contains "$ERR" "127.0.0.1" "the host name error names the host"

# --- verification off: explicit, works, warned about on every run
for i in 1 2; do
  run env AWS_CONFIG_STORAGE_ENDPOINT=$WRONG KONG_CLUSTER_FALLBACK_CONFIG_TLS_VERIFY=off "$FC_CLI" stat --kong-version 3.9.0.0
  check_rc 0 "with KONG_CLUSTER_FALLBACK_CONFIG_TLS_VERIFY=off the request goes through (run $i)"
  check_contains "$ERR" "warning: TLS certificate verification is off" "verification off is warned about (run $i)"
done
run env AWS_CONFIG_STORAGE_ENDPOINT=$WRONG "$FC_CLI" stat --kong-version 3.9.0.0 --tls-verify off
check_contains "$ERR" "warning: TLS certificate verification is off" "--tls-verify off warns too"
run env AWS_CONFIG_STORAGE_ENDPOINT=$WRONG KONG_CLUSTER_FALLBACK_CONFIG_TLS_VERIFY=maybe "$FC_CLI" stat --kong-version 3.9.0.0
check_rc 2 "a bad tls_verify value is a usage error"
check_contains "$ERR" "KONG_CLUSTER_FALLBACK_CONFIG_TLS_VERIFY must be on or off, got 'maybe'" "the error names the variable and the value"

command aws --endpoint-url "$FC_RGW_ENDPOINT" s3 rb "s3://$BUCKET" --force >/dev/null 2>&1
finish

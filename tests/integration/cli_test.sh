#!/usr/bin/env bash
# The CLI's surface without a server: help, usage errors, exit codes, and
# `sign` against the S3 API reference's example, byte for byte.
source "$(dirname "$0")/lib.sh"
cli() { "$FC_CLI" "$@"; }
unset AWS_SESSION_TOKEN AWS_REGION AWS_DEFAULT_REGION KONG_CLUSTER_FALLBACK_CONFIG_STORAGE

run cli --help
check_rc 0 "--help exits 0"
TOP_HELP=$OUT
for c in push pull ls stat delete sign settings; do
  check_contains "$TOP_HELP" "  $c " "--help lists $c"
  run cli "$c" --help
  check_rc 0 "$c --help exits 0"
  check_contains "$OUT" "Usage: fallback-config $c" "$c --help shows its usage"
done
run cli
check_rc 2 "no command is a usage error"
run cli frobnicate
check_rc 2 "an unknown command exits 2"
check_eq "$ERR" "fallback-config: error: unknown command 'frobnicate' (see --help)" "and names it"
run cli ls --bogus
check_rc 2 "an unknown option exits 2"
check_contains "$ERR" "unknown option --bogus" "and names it"
run cli pull --kong-version
check_contains "$ERR" "option --kong-version needs a value" "a missing option value is named"
run cli push --storage file:///tmp/x
check_rc 2 "push without FILE exits 2"
run cli push /dev/null --storage file:///tmp/x
check_contains "$ERR" "push needs --kong-version" "push without --kong-version says so"

# Settings: flags and help come from the library's table; errors name the flag
# or the variable the value came from, never both.
check_contains "$TOP_HELP" "--connect-timeout SECONDS" "--help lists the settings' flags"
check_contains "$TOP_HELP" "KONG_CLUSTER_FALLBACK_CONFIG_CONNECT_TIMEOUT" "and their variables"
check_contains "$TOP_HELP" "AWS_SESSION_TOKEN" "and the settings read from the environment only"
run cli ls --storage file:///tmp/x --connect-timeout 7200
check_rc 2 "an out-of-range flag exits 2"
check_eq "$ERR" "fallback-config: error: --connect-timeout must be a number of seconds from 0.001 to 3600, got '7200'" \
  "and the error names the flag"
run env KONG_CLUSTER_FALLBACK_CONFIG_CONNECT_TIMEOUT=1.5x "$FC_CLI" ls --storage file:///tmp/x
check_eq "$ERR" "fallback-config: error: KONG_CLUSTER_FALLBACK_CONFIG_CONNECT_TIMEOUT must be a number of seconds from 0.001 to 3600, got '1.5x'" \
  "an invalid variable is named"
run env KONG_CLUSTER_FALLBACK_CONFIG_CONNECT_TIMEOUT=1.5 "$FC_CLI" settings connect_timeout
check_eq "$OUT" "1.5" "fractions of seconds are accepted, as the plugin accepts them"
run env KONG_CLUSTER_FALLBACK_CONFIG_CONNECT_TIMEOUT=9 "$FC_CLI" settings connect_timeout --connect-timeout 2
check_eq "$OUT" "2" "a flag wins over its variable"
run cli ls
check_rc 2 "no storage exits 2"
check_eq "$ERR" "fallback-config: error: no storage: pass --storage or set KONG_CLUSTER_FALLBACK_CONFIG_STORAGE" \
  "and says how to give one"
run env AWS_REGION=eu-west-1 AWS_DEFAULT_REGION=us-west-2 AWS_SECRET_ACCESS_KEY=TopSecretValue42 "$FC_CLI" settings
check_rc 0 "settings lists every setting"
check_contains "$OUT" "$(printf 'region%*s eu-west-1%*s AWS_REGION' 34 '' 21 '')" "with its value and where it came from"
check_contains "$OUT" "$(printf 'secret_access_key%*s (set)%*s AWS_SECRET_ACCESS_KEY' 23 '' 25 '')" "a secret shows as (set)"
check_not_contains "$OUT" "TopSecretValue42" "and never its value"
check_contains "$OUT" "$(printf 'connect_timeout%*s 5%*s default' 25 '' 29 '')" "a default says so"
run cli settings secret_access_key
check_rc 2 "a secret's value is never printed"

# S3 API reference, "Example: GET Object" (examplebucket, 20130524T000000Z).
export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
SECRETS+=("$AWS_SECRET_ACCESS_KEY")
REQ=$(mktemp)
trap 'rm -f "$REQ"' EXIT
printf 'GET /test.txt HTTP/1.1\r\nHost: examplebucket.s3.amazonaws.com\r\nRange: bytes=0-9\r\n\r\n' >"$REQ"
run cli sign "$REQ" --s3 --region us-east-1 --time 2013-05-24T00:00:00Z --show authorization
check_rc 0 "sign reads a raw request from a file"
check_eq "$OUT" "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41" \
  "sign reproduces the S3 reference signature"
run cli sign --s3 --region us-east-1 --time 20130524T000000Z --show canonical-request <"$REQ"
check_eq "$OUT" "$(printf 'GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\nx-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')" \
  "sign prints the reference canonical request from stdin"
run cli sign "$REQ" --s3 --region us-east-1 --time 20130524T000000Z --show string-to-sign
check_eq "$OUT" "$(printf 'AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972')" \
  "sign prints the reference string to sign"
run cli sign "$REQ" --s3 --region us-east-1
check_contains "$OUT" "---- canonical request ----" "sign prints every step by default"
check_contains "$OUT" "x-amz-date: " "sign lists the headers to add"

# Generic rules: the path as written, normalised, then encoded once more.
printf 'GET /a/./b/../c%%20d HTTP/1.1\r\nHost: example.amazonaws.com\r\n\r\n' >"$REQ"
run cli sign "$REQ" --region us-east-1 --service service --time 20150830T123600Z --show canonical-request
check_eq "$(sed -n 2p <<<"$OUT")" "/a/c%2520d" "generic rules normalise and encode the written path once more"
run cli sign "$REQ" --region us-east-1 --service service --no-normalize --show canonical-request
check_eq "$(sed -n 2p <<<"$OUT")" "/a/./b/../c%2520d" "--no-normalize keeps the path"
# AWS's SigV4 test suite (credentials AKIDEXAMPLE, 20150830T123600Z): raw
# UTF-8, a path with spaces, and a folded header line.
SUITE=(env AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY "$FC_CLI" sign
  --region us-east-1 --service service --time 20150830T123600Z)
SECRETS+=("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
printf 'GET /\xe1\x88\xb4 HTTP/1.1\nHost:example.amazonaws.com\n\n' >"$REQ"
run "${SUITE[@]}" "$REQ" --show canonical-request
check_eq "$(sed -n 2p <<<"$OUT")" "/%E1%88%B4" "a raw UTF-8 path is encoded once (get-utf8)"
run "${SUITE[@]}" "$REQ" --show authorization
check_contains "$OUT" "Signature=8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85" "get-utf8 signs as AWS's suite does"
printf 'GET /example space/ HTTP/1.1\nHost:example.amazonaws.com\n\n' >"$REQ"
run "${SUITE[@]}" "$REQ" --show canonical-request
check_eq "$(sed -n 1,2p <<<"$OUT" | tr '\n' ' ')" "GET /example%20space/ " "a request line with spaces in its path (get-space)"
run "${SUITE[@]}" "$REQ" --no-normalize --show authorization
check_contains "$OUT" "Signature=652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741" "get-space-unnormalized signs as AWS's suite does"
printf 'GET /%%E1 HTTP/1.1\nHost:example.amazonaws.com\n\n' >"$REQ"
run "${SUITE[@]}" "$REQ" --show canonical-request
check_eq "$(sed -n 2p <<<"$OUT")" "/%25E1" "an encoded %E1 is encoded once more"
printf 'GET / HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1:value1\n  value2\n     value3\n\n' >"$REQ"
run "${SUITE[@]}" "$REQ" --show canonical-request
check_contains "$OUT" "my-header1:value1 value2 value3" "folded header lines are joined (get-header-value-multiline)"
run "${SUITE[@]}" "$REQ" --show authorization
check_contains "$OUT" "Signature=cfd34249e4b1c8d6b91ef74165d41a32e5fab3306300901bb65a51a73575eefd" "get-header-value-multiline signs as AWS's suite does"
printf 'GET /%%E1 HTTP/1.1\nHost:example.amazonaws.com\n\n' >"$REQ"
run "${SUITE[@]}" "$REQ" --s3 --show canonical-request
check_rc 0 "S3 rules decode the key first"
check_eq "$(sed -n 2p <<<"$OUT")" "/%E1" "and encode it once, unchanged"
run cli sign "$REQ" --s3 --no-normalize --region us-east-1
check_rc 2 "--s3 with --no-normalize is refused"

TOKEN=IQoJb3JpZ2luX2VjEXAMPLETOKEN$RANDOM$RANDOM
SECRETS+=("$TOKEN")
run env AWS_SESSION_TOKEN="$TOKEN" "$FC_CLI" sign "$REQ" --s3 --region us-east-1
check_contains "$OUT" "x-amz-security-token:<AWS_SESSION_TOKEN>" "sign signs the session token but prints a placeholder"
run cli sign "$REQ" --region us-east-1
check_rc 2 "sign without --service in generic mode exits 2"
check_contains "$ERR" "--service is required" "and says so"
run cli sign "$REQ" --s3
check_rc 2 "sign without a region exits 2"
check_eq "$ERR" "fallback-config: error: sign needs the region of the credential scope: pass --region or set AWS_REGION" \
  "and names the flag and the variable"
run cli sign "$REQ" --s3 --region us-east-1 --time yesterday
check_rc 2 "a bad signing time exits 2"
check_contains "$ERR" "signing time must be ISO 8601 UTC" "and says what it must be"
printf 'NOT A REQUEST\r\n' >"$REQ"
run cli sign "$REQ" --s3 --region us-east-1
check_rc 2 "a malformed request exits 2"
check_one_line "$ERR" "with a one-line error"
run env -u AWS_SECRET_ACCESS_KEY "$FC_CLI" sign "$REQ" --s3 --region us-east-1
check_contains "$ERR" "AWS_SECRET_ACCESS_KEY" "sign without a secret names the variable"

finish

#!/usr/bin/env bash
# The CLI's surface without a server: help, usage errors, exit codes, and
# `sign` against the S3 API reference's example, byte for byte.
source "$(dirname "$0")/lib.sh"
cli() { "$FC_CLI" "$@"; }
unset AWS_SESSION_TOKEN AWS_REGION AWS_DEFAULT_REGION KONG_CLUSTER_FALLBACK_CONFIG_STORAGE

run cli --help
check_rc 0 "--help exits 0"
TOP_HELP=$OUT
for c in push pull ls stat delete sign; do
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

# Generic rules: the path is normalised, then encoded twice.
printf 'GET /a/./b/../c%%20d HTTP/1.1\r\nHost: example.amazonaws.com\r\n\r\n' >"$REQ"
run cli sign "$REQ" --region us-east-1 --service service --time 20150830T123600Z --show canonical-request
check_eq "$(sed -n 2p <<<"$OUT")" "/a/c%2520d" "generic rules normalise and double-encode"
run cli sign "$REQ" --region us-east-1 --service service --no-normalize --show canonical-request
check_eq "$(sed -n 2p <<<"$OUT")" "/a/./b/../c%2520d" "--no-normalize keeps the path"
run cli sign "$REQ" --s3 --no-normalize --region us-east-1
check_rc 2 "--s3 with --no-normalize is refused"

TOKEN=IQoJb3JpZ2luX2VjEXAMPLETOKEN$RANDOM$RANDOM
SECRETS+=("$TOKEN")
run env AWS_SESSION_TOKEN="$TOKEN" "$FC_CLI" sign "$REQ" --s3 --region us-east-1
check_contains "$OUT" "x-amz-security-token:<AWS_SESSION_TOKEN>" "sign signs the session token but prints a placeholder"
run cli sign "$REQ" --region us-east-1
check_rc 2 "sign without --service in generic mode exits 2"
check_contains "$ERR" "--service is required" "and says so"
printf 'NOT A REQUEST\r\n' >"$REQ"
run cli sign "$REQ" --s3 --region us-east-1
check_rc 2 "a malformed request exits 2"
check_one_line "$ERR" "with a one-line error"
run env -u AWS_SECRET_ACCESS_KEY "$FC_CLI" sign "$REQ" --s3 --region us-east-1
check_contains "$ERR" "AWS_SECRET_ACCESS_KEY" "sign without a secret names the variable"

finish

#!/usr/bin/env bash
# The CLI against a real Ceph RGW, with awscli as the peer: push, pull, stat,
# ls, delete, errors, and byte-for-byte interop in both directions.
# Needs: FC_CLI (the fallback-config binary) and FC_RGW_ENV (written by rgw-up.sh).
source "$(dirname "$0")/lib.sh"
source "$FC_RGW_ENV"

export AWS_ACCESS_KEY_ID=$FC_RGW_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$FC_RGW_SECRET_KEY AWS_REGION=us-east-1
export AWS_CONFIG_STORAGE_ENDPOINT=$FC_RGW_ENDPOINT
unset AWS_SESSION_TOKEN AWS_DEFAULT_REGION KONG_CLUSTER_FALLBACK_EXPORT_S3_CONFIG
# RGW 16 predates the flexible checksums newer awscli sends by default.
export AWS_REQUEST_CHECKSUM_CALCULATION=when_required AWS_RESPONSE_CHECKSUM_VALIDATION=when_required
SECRETS+=("$FC_RGW_SECRET_KEY")

BUCKET=fc-cli-$RANDOM$RANDOM
export KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=s3://$BUCKET/kong/dp
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
aws() { command aws --endpoint-url "$FC_RGW_ENDPOINT" "$@"; }
cli() { "$FC_CLI" "$@"; }

run aws s3api create-bucket --bucket "$BUCKET"
check_rc 0 "awscli creates the test bucket"

# --- push, and awscli reads it back byte for byte
printf '{"_format_version":"3.0","services":[{"name":"s\xc3\xbc","url":"http://example.com"}]}\n' >"$WORK/a.json"
run cli push "$WORK/a.json" --kong-version 3.9.0.0 --uploader node-1234
check_rc 0 "push uploads a declarative config"
check_contains "$ERR" "s3://$BUCKET/kong/dp/3.9.0.0/config.json" "push names the key it wrote"
run aws s3 cp "s3://$BUCKET/kong/dp/3.9.0.0/config.json" "$WORK/a.aws.json"
check_rc 0 "awscli downloads what push wrote"
check_same_file "$WORK/a.json" "$WORK/a.aws.json" "awscli reads push's object byte-identical"
run aws s3api head-object --bucket "$BUCKET" --key kong/dp/3.9.0.0/config.json
check_contains "$OUT" '"ContentType": "application/json"' "object has Content-Type application/json"
check_contains "$OUT" '"uploader": "node-1234"' "object has x-amz-meta-uploader"

# --- the reverse: awscli writes, pull reads
head -c 300000 /dev/urandom | base64 -w0 | sed 's/.*/{"blob":"&"}/' >"$WORK/b.json"
run aws s3 cp "$WORK/b.json" "s3://$BUCKET/kong/dp/3.8.0.0/config.json"
check_rc 0 "awscli uploads a config"
run cli pull --kong-version 3.8.0.0 -o "$WORK/b.pulled.json"
check_rc 0 "pull -o downloads awscli's object"
check_same_file "$WORK/b.json" "$WORK/b.pulled.json" "pull reads awscli's object byte-identical"
run cli pull --kong-version 3.8.0.0
check_eq "$OUT" "$(cat "$WORK/b.json")" "pull writes to stdout without -o"

# --- a download larger than the limit is refused while it streams
run cli pull --kong-version 3.8.0.0 -o "$WORK/limited.json" --max-download-bytes 1000
check_rc 1 "a download over --max-download-bytes fails"
check_contains "$ERR" "is larger than the download limit of 1000 bytes (max_download_bytes)" "and says why"
check_eq "$(ls "$WORK" | grep -c limited)" 0 "no file, whole or partial, is left behind"

# --- newest version, ls, stat
run cli push "$WORK/a.json" --kong-version 3.10.0.0
run cli stat
check_rc 0 "stat without --kong-version"
check_contains "$OUT" "version:       3.10.0.0" "stat picks the newest version numerically (3.10 > 3.9)"
check_contains "$OUT" "size:          $(wc -c <"$WORK/a.json")" "stat shows the size"
check_contains "$OUT" "uploader:      fallback-config-cli@" "stat shows the default uploader"
check_contains "$OUT" "sha256:        $(sha256sum "$WORK/a.json" | cut -d' ' -f1)" "stat shows the stored SHA-256 of the file pushed"
check_contains "$OUT" "etag:          \"" "stat shows the etag"
run cli stat --kong-version 3.9.0.0
check_contains "$OUT" "uploader:      node-1234" "stat shows the uploader of a given version"
run aws s3 cp "$WORK/a.json" "s3://$BUCKET/kong/dp/notes.txt"
run cli ls
check_rc 0 "ls lists the prefix"
for v in 3.8.0.0 3.9.0.0 3.10.0.0; do
  check_contains "$OUT" "kong/dp/$v/config.json" "ls shows version $v"
done
check_contains "$OUT" "kong/dp/notes.txt" "ls shows other objects under the prefix"
run cli pull -o "$WORK/newest.json"
check_same_file "$WORK/a.json" "$WORK/newest.json" "pull without --kong-version takes the newest"

# --- pagination: 23 more versions, listed 5 keys per request
for i in $(seq 1 23); do cli push "$WORK/a.json" --kong-version "2.$i.0.0" 2>/dev/null; done
run cli ls --page-size 5
check_eq "$(printf '%s\n' "$OUT" | grep -c '/config.json$')" 26 "ls follows continuation tokens across pages"

# --- delete
run cli delete --kong-version 3.10.0.0
check_rc 0 "delete removes a version's config"
run aws s3api head-object --bucket "$BUCKET" --key kong/dp/3.10.0.0/config.json
# awscli 1.x exits 255 on a service error, 2.x 254: either way, not found.
if [ "$RC" -ne 0 ] && [[ "$ERR" == *"404"* || "$ERR" == *"Not Found"* ]]; then
  pass "awscli no longer finds the deleted object"
else
  failed "awscli no longer finds the deleted object" "exit $RC: $ERR"
fi
run cli delete --kong-version 3.10.0.0
check_rc 3 "deleting a missing config exits 3"
check_eq "$ERR" "fallback-config: error: no fallback config at s3://$BUCKET/kong/dp/3.10.0.0/config.json" "and says which key is missing"

# --- missing key
run cli pull --kong-version 1.0.0.0
check_rc 3 "pull of a missing version exits 3"
check_eq "$ERR" "fallback-config: error: no fallback config at s3://$BUCKET/kong/dp/1.0.0.0/config.json" "missing key names the key"
run cli stat --storage "s3://$BUCKET/empty-prefix"
check_rc 3 "stat on an empty prefix exits 3"
check_contains "$ERR" "no fallback config under s3://$BUCKET/empty-prefix/" "and names the prefix"

# --- invalid input is refused before anything is sent; the backup stays intact
printf '[1,2,3]' >"$WORK/array.json"
printf '{"_format_version":"3.0",' >"$WORK/truncated.json"
for f in array truncated; do
  run cli push "$WORK/$f.json" --kong-version 3.9.0.0
  check_rc 2 "push refuses a $f file"
  check_one_line "$ERR" "the $f refusal is one line"
done
# Large enough that the upload is under way before the check reaches the end:
# the check holds the last byte back, so the storage never commits it.
{ printf '{"_format_version":"3.0","blob":"'; head -c 6000000 /dev/zero | tr '\0' 'x'; } >"$WORK/big-truncated.json"
run cli push "$WORK/big-truncated.json" --kong-version 3.9.0.0
check_rc 2 "push refuses a large truncated file"
check_contains "$ERR" "ends early at byte 6000033 (truncated?)" "and says where it ends"
run aws s3 cp "s3://$BUCKET/kong/dp/3.9.0.0/config.json" "$WORK/a.after.json"
check_same_file "$WORK/a.json" "$WORK/a.after.json" "a refused push leaves the stored config untouched"
run cli push "$WORK/nonexistent.json" --kong-version 3.9.0.0
check_rc 1 "push of a missing file fails"
check_contains "$ERR" "cannot open $WORK/nonexistent.json" "and names the file"

# --- wrong secret: SignatureDoesNotMatch, reported clearly, without the secret
WRONG=wrong-secret-$RANDOM$RANDOM-value
SECRETS+=("$WRONG")
run env AWS_SECRET_ACCESS_KEY="$WRONG" "$FC_CLI" pull --kong-version 3.9.0.0
check_rc 1 "a wrong secret fails"
check_contains "$ERR" "SignatureDoesNotMatch" "a wrong secret reports SignatureDoesNotMatch"
check_contains "$ERR" "HTTP 403" "with the HTTP status"
check_one_line "$ERR" "as one line"
run env AWS_ACCESS_KEY_ID=NOSUCHKEY0000000000 "$FC_CLI" ls
check_contains "$ERR" "InvalidAccessKeyId" "an unknown access key reports InvalidAccessKeyId"

# --- keys with spaces, unicode, '+' and '~' go through unharmed
odd_prefix='odd dir/ü+x~y'
run cli push "$WORK/a.json" --kong-version 3.9.0.0 --storage "s3://$BUCKET/$odd_prefix"
check_rc 0 "push under a prefix with spaces, unicode, + and ~"
run aws s3api get-object --bucket "$BUCKET" --key "$odd_prefix/3.9.0.0/config.json" "$WORK/odd.json"
check_same_file "$WORK/a.json" "$WORK/odd.json" "awscli finds that key spelled the same"
run cli pull --storage "s3://$BUCKET/$odd_prefix" -o "$WORK/odd.pulled.json"
check_same_file "$WORK/a.json" "$WORK/odd.pulled.json" "pull reads it back"

# --- extra PutObject parameters (KONG_CLUSTER_FALLBACK_EXPORT_S3_CONFIG)
run env KONG_CLUSTER_FALLBACK_EXPORT_S3_CONFIG='{"CacheControl":"no-cache","Metadata":{"team":"edge"},"StorageClass":"STANDARD"}' \
  "$FC_CLI" push "$WORK/a.json" --kong-version 3.7.0.0
check_rc 0 "push with extra PutObject parameters"
run aws s3api head-object --bucket "$BUCKET" --key kong/dp/3.7.0.0/config.json
check_contains "$OUT" '"CacheControl": "no-cache"' "CacheControl reaches the object"
check_contains "$OUT" '"team": "edge"' "Metadata reaches the object"
run env KONG_CLUSTER_FALLBACK_EXPORT_S3_CONFIG='{"Bogus":1}' "$FC_CLI" push "$WORK/a.json" --kong-version 3.7.0.0
check_rc 2 "an unknown PutObject parameter is refused"
check_contains "$ERR" "KONG_CLUSTER_FALLBACK_EXPORT_S3_CONFIG: 'Bogus' is not a supported PutObject parameter" "naming the setting and the parameter"

# --- unreachable storage
port=$("$(dirname "$0")/../../scripts/free-port.sh")
run env AWS_CONFIG_STORAGE_ENDPOINT="http://127.0.0.1:$port" "$FC_CLI" pull --kong-version 3.9.0.0
check_rc 1 "an unreachable endpoint fails"
check_contains "$ERR" "no complete answer from http://127.0.0.1:$port" "and names the endpoint"

# --- configuration errors
run env -u KONG_CLUSTER_FALLBACK_CONFIG_STORAGE "$FC_CLI" ls
check_rc 2 "no storage configured exits 2"
check_contains "$ERR" "KONG_CLUSTER_FALLBACK_CONFIG_STORAGE" "and names the variable"
run env -u AWS_SECRET_ACCESS_KEY "$FC_CLI" ls
check_contains "$ERR" "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not" "a missing secret names the variable"
run cli ls --storage "s3://user:$WRONG@bucket/x"
check_rc 2 "credentials in the storage URL are refused"

finish

#!/usr/bin/env bash
# The AWS credential chain against local stand-ins for IMDSv2, ECS and STS
# (tests/aws_fixtures) and a real Ceph RGW: every provider, their order, the
# error when none answers, bounded waits on a hanging endpoint, refresh before
# expiry, and pushes to RGW with keys from the shared file and from "IMDS".
# Needs: FC_CLI, FC_LIB_DIR, FC_RGW_ENV (and FC_LUA_LD_PRELOAD in the sanitizer build).
source "$(dirname "$0")/lib.sh"
source "$FC_RGW_ENV"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$WORK"' EXIT

WEB_TOKEN=eyJ-web-identity-token-$RANDOM$RANDOM
ECS_AUTH=ecs-auth-$RANDOM$RANDOM
SECRETS+=("$FC_RGW_SECRET_KEY" "$WEB_TOKEN" "$ECS_AUTH")
# fixture NAME [ARGS...]: starts one credentials stand-in handing out the RGW user's keys.
fixture() {
  local name=$1 port
  shift
  port=$("$ROOT/scripts/free-port.sh")
  node "$ROOT/tests/aws_fixtures/server.mjs" --port "$port" --access-key "$FC_RGW_ACCESS_KEY" \
    --secret-key "$FC_RGW_SECRET_KEY" --ecs-auth "$ECS_AUTH" --web-identity-token "$WEB_TOKEN" "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 50); do grep -q "listening" "$WORK/$name.log" && break; sleep 0.1; done
  printf -v "PORT_$name" '%s' "$port"
}
fixture main
fixture short --ttl 302 # due for refresh 2 s after it is issued (5 minutes' margin)
stats() { curl -fsS "http://127.0.0.1:$1/_test/stats"; }

BUCKET=fc-chain-$RANDOM
# Everything the chain reads, off by default; each case turns on what it tests.
chain_env() {
  env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_PROFILE \
    -u AWS_ROLE_ARN -u AWS_WEB_IDENTITY_TOKEN_FILE -u AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
    -u AWS_CONTAINER_CREDENTIALS_FULL_URI -u AWS_CONTAINER_AUTHORIZATION_TOKEN \
    AWS_SHARED_CREDENTIALS_FILE="$WORK/none" AWS_CONFIG_FILE="$WORK/none" AWS_EC2_METADATA_DISABLED=true \
    AWS_REGION=us-east-1 AWS_CONFIG_STORAGE_ENDPOINT="$FC_RGW_ENDPOINT" \
    KONG_CLUSTER_FALLBACK_CONFIG_STORAGE="s3://$BUCKET/kong" "$@"
}
# cli [VAR=value]... ARGS...: the CLI in chain_env with those changes (VAR= unsets).
cli() {
  local envs=()
  while [ $# -gt 0 ]; do
    case $1 in
      [A-Z]*=*) envs+=("$1"); shift ;;
      *) break ;;
    esac
  done
  chain_env "${envs[@]}" "$FC_CLI" "$@"
}
printf '{"_format_version":"3.0","services":[]}' >"$WORK/c.json"

# --- nothing configured: one error naming every provider and why
run chain_env "$FC_CLI" whoami
check_rc 1 "with no provider answering, whoami fails"
check_contains "$ERR" "no AWS credentials: environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set; shared files: no profile 'default' in $WORK/none (not readable)" \
  "the error starts with the environment and the shared files"
check_contains "$ERR" "; web identity: AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE are not both set; ECS container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI are not set; EC2 instance profile: AWS_EC2_METADATA_DISABLED is true" \
  "and names web identity, ECS and IMDS in the SDKs' order"
check_one_line "$ERR" "the error is one line"

# --- shared files: profiles, region from the config file
cat >"$WORK/credentials" <<INI
[default]
aws_access_key_id = AKIDWRONGWRONGWRONG
aws_secret_access_key = wrong-secret-for-the-default-profile
[rgw]
aws_access_key_id = $FC_RGW_ACCESS_KEY
aws_secret_access_key = $FC_RGW_SECRET_KEY   # an inline comment
INI
printf '[profile rgw]\nregion = us-east-1\n' >"$WORK/config"
SECRETS+=("wrong-secret-for-the-default-profile")
run cli AWS_SHARED_CREDENTIALS_FILE="$WORK/credentials" AWS_CONFIG_FILE="$WORK/config" AWS_PROFILE=rgw AWS_REGION= whoami
check_rc 0 "whoami finds the shared files' profile"
check_contains "$OUT" "provider:      shared files (profile rgw)" "and names it"
check_contains "$OUT" "access key id: ****************${FC_RGW_ACCESS_KEY: -4}" "the key id is masked but for its end"
check_contains "$OUT" "expires:       never" "static keys never expire"
aws() { command aws --endpoint-url "$FC_RGW_ENDPOINT" "$@"; }
AWS_ACCESS_KEY_ID=$FC_RGW_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$FC_RGW_SECRET_KEY AWS_REGION=us-east-1 \
  AWS_REQUEST_CHECKSUM_CALCULATION=when_required aws s3api create-bucket --bucket "$BUCKET" >/dev/null
run cli AWS_SHARED_CREDENTIALS_FILE="$WORK/credentials" AWS_CONFIG_FILE="$WORK/config" AWS_PROFILE=rgw AWS_REGION= \
  push "$WORK/c.json" --kong-version 1.0.0.0
check_rc 0 "push to RGW with keys from the shared credentials file (region from the config file)"
run cli AWS_SHARED_CREDENTIALS_FILE="$WORK/credentials" push "$WORK/c.json" --kong-version 1.0.0.0
check_rc 1 "the default profile's wrong keys are refused by RGW"
run cli AWS_SHARED_CREDENTIALS_FILE="$WORK/credentials" AWS_PROFILE=rgw \
  AWS_ACCESS_KEY_ID=AKIDFROMENVIRONMENT AWS_SECRET_ACCESS_KEY=env-secret-value whoami
SECRETS+=("env-secret-value")
check_contains "$OUT" "provider:      environment" "the environment comes before the shared files"

# --- web identity (EKS IRSA) through STS
printf '%s\n' "$WEB_TOKEN" >"$WORK/web-token"
run cli AWS_ROLE_ARN=arn:aws:iam::123456789012:role/kong-backup AWS_WEB_IDENTITY_TOKEN_FILE="$WORK/web-token" \
  AWS_ENDPOINT_URL_STS="http://127.0.0.1:$PORT_main" whoami
check_contains "$OUT" "provider:      web identity (arn:aws:iam::123456789012:role/kong-backup)" "web identity answers through STS"
check_contains "$OUT" "expires:       20" "with the expiry STS gave"
printf 'not-the-token\n' >"$WORK/bad-token"
run cli AWS_ROLE_ARN=arn:aws:iam::123456789012:role/kong-backup AWS_WEB_IDENTITY_TOKEN_FILE="$WORK/bad-token" \
  AWS_ENDPOINT_URL_STS="http://127.0.0.1:$PORT_main" whoami
check_contains "$ERR" "web identity: STS AssumeRoleWithWebIdentity at http://127.0.0.1:$PORT_main answered HTTP 400 InvalidIdentityToken" \
  "a refused web identity token reads as STS's code"
run cli AWS_ROLE_ARN=arn:aws:iam::123456789012:role/kong-backup AWS_WEB_IDENTITY_TOKEN_FILE="$WORK/web-token" \
  AWS_ENDPOINT_URL_STS="http://127.0.0.1:$PORT_main" push "$WORK/c.json" --kong-version 2.0.0.0
check_rc 0 "push to RGW with web-identity credentials"

run cli AWS_ROLE_ARN=arn:aws:iam::123456789012:role/kong-backup AWS_WEB_IDENTITY_TOKEN_FILE="$WORK/web-token" \
  AWS_ENDPOINT_URL_STS="http://127.0.0.1:$PORT_main" AWS_CONTAINER_AUTHORIZATION_TOKEN="$ECS_AUTH" \
  AWS_CONTAINER_CREDENTIALS_FULL_URI="http://127.0.0.1:$PORT_main/ecs/credentials" \
  AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$PORT_main" whoami
check_contains "$OUT" "provider:      web identity" "web identity comes before ECS and IMDS"
run cli AWS_CONTAINER_AUTHORIZATION_TOKEN="$ECS_AUTH" AWS_CONTAINER_CREDENTIALS_FULL_URI="http://127.0.0.1:$PORT_main/ecs/credentials" \
  AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$PORT_main" whoami
check_contains "$OUT" "provider:      ECS container" "ECS comes before IMDS"

# --- ECS task role
run cli AWS_CONTAINER_CREDENTIALS_FULL_URI="http://127.0.0.1:$PORT_main/ecs/credentials" \
  AWS_CONTAINER_AUTHORIZATION_TOKEN="$ECS_AUTH" whoami
check_contains "$OUT" "provider:      ECS container" "the ECS endpoint answers with the authorization token"
printf '%s' "$ECS_AUTH" >"$WORK/ecs-token"
run cli AWS_CONTAINER_CREDENTIALS_FULL_URI="http://127.0.0.1:$PORT_main/ecs/credentials" \
  AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$WORK/ecs-token" whoami
check_contains "$OUT" "provider:      ECS container" "or with the token from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"
run cli AWS_CONTAINER_CREDENTIALS_FULL_URI="http://127.0.0.1:$PORT_main/ecs/credentials" whoami
check_contains "$ERR" "ECS container: the container credentials endpoint answered HTTP 403" "without it the endpoint refuses"
run cli AWS_CONTAINER_CREDENTIALS_FULL_URI="http://10.1.2.3/creds" whoami
check_contains "$ERR" "AWS_CONTAINER_CREDENTIALS_FULL_URI must point at loopback or the ECS/EKS agent, not 10.1.2.3" \
  "a full URI elsewhere is refused without being asked"

# --- EC2 instance profile over IMDSv2
run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT_main/latest/meta-data/iam/security-credentials/"
check_eq "$OUT" 401 "the IMDS stand-in refuses reads without a session token (IMDSv2 only)"
run cli AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$PORT_main" whoami
check_contains "$OUT" "provider:      EC2 instance profile (kong-backup-role)" "IMDSv2 supplies the role's credentials"
run cli AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$PORT_main" \
  push "$WORK/c.json" --kong-version 3.0.0.0
check_rc 0 "push to RGW with credentials from IMDS"
start=$SECONDS
run cli AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$PORT_main/hang" whoami
check_rc 1 "a hanging metadata endpoint fails the lookup"
check_contains "$ERR" "EC2 instance profile: no answer" "and says it did not answer"
if [ $((SECONDS - start)) -le 20 ]; then pass "within its timeout, not forever"; else failed "within its timeout" "$((SECONDS - start)) s"; fi

# --- S3 says the token expired (before its time, for us): renew, retry once
fixture rotating --session-token rotate
run cli AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$PORT_rotating" \
  AWS_CONFIG_STORAGE_ENDPOINT="http://127.0.0.1:$PORT_rotating" KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=s3://expiring-bucket/kong \
  push "$WORK/c.json" --kong-version 5.0.0.0
check_rc 0 "a push answered ExpiredToken renews its credentials and succeeds"
st=$(stats "$PORT_rotating")
check_contains "$st" '"imdsCredentials":2' "one renewal: two credential fetches"
check_contains "$st" '"s3Requests":2,"s3Expired":1,"s3Tokens":["tok-1","tok-2"]' \
  "one retry, with the renewed token: two requests, the first refused"

# --- on EC2 with no region named anywhere, the instance's region (IMDS placement)
fixture placed --region eu-north-1 --s3-expire 0
run cli AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$PORT_placed" AWS_REGION= \
  AWS_CONFIG_STORAGE_ENDPOINT="http://127.0.0.1:$PORT_placed" KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=s3://expiring-bucket/kong \
  push "$WORK/c.json" --kong-version 6.0.0.0
check_rc 0 "a push with instance-profile credentials and no region"
check_contains "$(stats "$PORT_placed")" '"s3Regions":["eu-north-1"]' "is signed for the instance's region"
run cli AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$PORT_placed" AWS_REGION=us-west-2 \
  AWS_CONFIG_STORAGE_ENDPOINT="http://127.0.0.1:$PORT_placed" KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=s3://expiring-bucket/kong \
  push "$WORK/c.json" --kong-version 6.0.0.0
check_contains "$(stats "$PORT_placed")" '"s3Regions":["eu-north-1","us-west-2"]' "AWS_REGION wins over the instance's region"
printf '[profile rgw]\nregion = ap-south-1\n' >"$WORK/config-ap"
run cli AWS_SHARED_CREDENTIALS_FILE="$WORK/credentials" AWS_CONFIG_FILE="$WORK/config-ap" AWS_PROFILE=rgw AWS_REGION= \
  AWS_CONFIG_STORAGE_ENDPOINT="http://127.0.0.1:$PORT_placed" KONG_CLUSTER_FALLBACK_CONFIG_STORAGE=s3://expiring-bucket/kong \
  push "$WORK/c.json" --kong-version 6.0.0.0
check_contains "$(stats "$PORT_placed")" '"s3Regions":["eu-north-1","us-west-2","ap-south-1"]' \
  "with no region variable, the shared config file's region is used"

# --- a long-lived client refreshes before expiry, once, with no failed request
before=$(stats "$PORT_short" | sed -E 's/.*"imdsCredentials":([0-9]+).*/\1/')
run chain_env AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$PORT_short" \
  LUA_PATH="$ROOT/lua/?.lua;;" LUA_CPATH="$FC_LIB_DIR/?.so;;" ${FC_LUA_LD_PRELOAD:+LD_PRELOAD=$FC_LUA_LD_PRELOAD} \
  ${FC_LUA_LD_PRELOAD:+ASAN_OPTIONS=detect_leaks=0} luajit - <<'LUA'
local native = require("kong.plugins.fallback-config.native")
local client = assert(native.new_client({}, true))
local cfg = '{"_format_version":"3.0"}'
for _ = 1, 3 do assert(client:put("4.0.0.0", cfg)) end
os.execute("sleep 3")
for _ = 1, 3 do assert(client:put("4.0.0.0", cfg)) end
print("done")
LUA
check_eq "$OUT" "done" "six uploads across the credentials' refresh margin, none failed"
check_eq "$(stats "$PORT_short" | sed -E 's/.*"imdsCredentials":([0-9]+).*/\1/')" "$((before + 2))" \
  "exactly one refresh: two credential fetches"
finish

#!/usr/bin/env bash
# The RS256 known answer (tests/fixtures/gcp/assertion.jwt, which the unit test
# requires our JWT to equal byte for byte) verifies with `openssl dgst -verify`
# against the service account's public key, and a changed claim does not.
source "$(dirname "$0")/lib.sh"
FIX=$(cd "$(dirname "$0")/../fixtures/gcp" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
b64url_decode() { local s; s=$(tr '_-' '/+'); while [ $(( ${#s} % 4 )) -ne 0 ]; do s+="="; done; printf '%s' "$s" | openssl base64 -d -A; }
jwt=$(tr -d '\n' <"$FIX/assertion.jwt")
printf '%s' "${jwt%.*}" >"$WORK/input"
printf '%s' "${jwt##*.}" | b64url_decode >"$WORK/sig"
run openssl dgst -sha256 -verify "$FIX/test-key.pub.pem" -signature "$WORK/sig" "$WORK/input"
check_rc 0 "openssl verifies the RS256 signature of the known answer"
check_contains "$OUT" "Verified OK" "openssl says Verified OK"
sed 's/\.eyJpc3Mi/.eyJpc3Ni/' "$WORK/input" >"$WORK/forged"
run openssl dgst -sha256 -verify "$FIX/test-key.pub.pem" -signature "$WORK/sig" "$WORK/forged"
check_rc 1 "a changed claim does not verify"
check_eq "$(printf '%s' "${jwt%%.*}" | b64url_decode)" '{"alg":"RS256","typ":"JWT","kid":"0123456789abcdef0123456789abcdef01234567"}' \
  "the header is RS256 with the key id"
finish

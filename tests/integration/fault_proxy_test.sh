#!/usr/bin/env bash
# The fault-injection proxy (tests/fault_proxy) against a tiny upstream this
# script starts itself (tests/fault_proxy/test_upstream.mjs): pass-through is
# byte for byte (Host and other headers unchanged, request bodies including
# `Expect: 100-continue` and chunked uploads), and each fault is seen by curl
# as the failure it imitates. Needs: node, curl. Starts and stops
# everything itself on free ports.
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
FP=$ROOT/tests/fault_proxy
WORK=$(mktemp -d)
UP_PID=
cleanup() {
  "$FP/down.sh" "$WORK/proxy"
  "$FP/down.sh" "$WORK/proxy2"
  if [ -n "$UP_PID" ]; then kill "$UP_PID" 2>/dev/null; wait "$UP_PID" 2>/dev/null; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# --- the upstream: serves a 300 kB file of random bytes, records uploads
head -c 300000 /dev/urandom >"$WORK/file.bin"
FILE_SHA=$(sha256sum "$WORK/file.bin" | cut -d' ' -f1)
for attempt in 1 2 3; do
  up_port=$("$ROOT/scripts/free-port.sh")
  node "$FP/test_upstream.mjs" --port "$up_port" --file "$WORK/file.bin" 2>"$WORK/upstream.log" &
  UP_PID=$!
  for _ in $(seq 1 50); do
    grep -q "listening on $up_port" "$WORK/upstream.log" && break 2
    kill -0 "$UP_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill "$UP_PID" 2>/dev/null; wait "$UP_PID" 2>/dev/null; UP_PID=
done
[ -n "$UP_PID" ] || { echo "the test upstream did not start"; cat "$WORK/upstream.log"; exit 1; }
UPSTREAM=http://127.0.0.1:$up_port

# --- the proxy
run "$FP/up.sh" "$WORK/proxy" --upstream "$UPSTREAM"
check_rc 0 "up.sh starts the proxy"
source "$WORK/proxy/env"
P=$FC_FAULT_PROXY_URL
CTL=$FC_FAULT_PROXY_CONTROL
check_eq "$(cat "$WORK/proxy/port")" "$FC_FAULT_PROXY_PORT" "up.sh writes the data port to DIR/port"
check_eq "http://127.0.0.1:$(cat "$WORK/proxy/control_port")" "$CTL" "up.sh writes the control port to DIR/control_port"

rules() { curl -fsS -X POST --data-binary "$1" "$CTL/rules" >/dev/null; }
no_rules() { curl -fsS -X DELETE "$CTL/rules" >/dev/null; }
# js EXPR: EXPR over the JSON on stdin as d; strings raw, the rest as JSON.
js() {
  node -e 'const d = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const v = new Function("d", "return (" + process.argv[1] + ")")(d);
    console.log(typeof v === "string" ? v : JSON.stringify(v));' "$1"
}
stats() { curl -fsS "$CTL/stats" | js "$1"; }
upstream_requests() { curl -fsS "$UPSTREAM/_log" | js d.length; }
last_upstream() { curl -fsS "$UPSTREAM/_log" | js "$1"; }
size() { stat -c %s "$1" 2>/dev/null || echo 0; }
O=$WORK/out

# --- pass-through
run curl -sS -m 10 -o "$O" "$P/file"
check_rc 0 "GET through the proxy"
check_same_file "$WORK/file.bin" "$O" "a Content-Length body arrives byte for byte"
run curl -sS -m 10 -o "$O" "$P/chunked"
check_same_file "$WORK/file.bin" "$O" "a chunked body arrives byte for byte"
run curl -sS -m 10 -o "$O" "$P/close-delimited"
check_same_file "$WORK/file.bin" "$O" "a close-delimited body arrives byte for byte"
run curl -sS -m 5 -I "$P/file"
check_contains "$OUT" "Content-Length: 300000" "HEAD: the length of the body it does not carry"
check_rc 0 "HEAD completes (no body awaited)"
run curl -sS -m 10 -H "Host: s3.example.test:9000" -H "X-Custom-Header: Mixed Case  value" "$P/headers"
check_eq "$(js d.host <<<"$OUT")" "s3.example.test:9000" "the Host header reaches the upstream unchanged"
check_contains "$(js d.rawHeaders <<<"$OUT")" '"X-Custom-Header","Mixed Case  value"' \
  "a custom header reaches the upstream unchanged (name case, inner spaces)"
run curl -sS -m 5 --expect100-timeout 30 -H "Expect: 100-continue" -T "$WORK/file.bin" "$P/put/expect"
check_eq "$(js d.expect <<<"$OUT")" "100-continue" "a PUT with Expect: 100-continue: the upstream sees the Expect header"
check_eq "$(js d.sha256 <<<"$OUT")" "$FILE_SHA" \
  "... and receives the body byte for byte, the 100 Continue relayed (curl would wait 30 s)"
run curl -sS -m 5 --expect100-timeout 30 -H "Transfer-Encoding: chunked" -T "$WORK/file.bin" "$P/put/chunked"
check_eq "$(js d.sha256 <<<"$OUT")" "$FILE_SHA" "a chunked PUT body arrives byte for byte"
run curl -sS -m 10 -o "$O" -o "$O.2" -w '%{num_connects} ' "$P/file" "$P/chunked"
check_eq "$OUT" "1 0 " "the client's connection is kept alive across requests"
check_same_file "$WORK/file.bin" "$O.2" "... and the second response on it is whole"

# --- counting
curl -fsS -X DELETE "$CTL/stats" >/dev/null
curl -sS -o /dev/null -o /dev/null -o /dev/null "$P/file" "$P/file" "$P/headers"
curl -sS -o /dev/null -T "$WORK/file.bin" "$P/put/a"
curl -sS -o /dev/null -X DELETE "$P/x"
check_eq "$(stats d.requests)" '{"GET":3,"PUT":1,"DELETE":1}' "stats count requests per method"
check_eq "$(stats d.total_requests)" 5 "stats count all requests"
check_eq "$(stats 'd.bytes.proxy_to_upstream >= 300000 && d.bytes.proxy_to_client >= 600000')" true "stats count bytes"

# --- truncate: headers claim the full length, fewer bytes, then FIN
rules '[{"match":{"method":"GET","path":"^/(file|chunked)$"},"fault":{"type":"truncate","keep_bytes":1000}}]'
rm -f "$O"
run curl -sS -m 10 -o "$O" "$P/file"
check_rc 18 "truncate: curl reports a partial transfer (18)"
check_eq "$(size "$O")" 1000 "truncate: exactly keep_bytes body bytes arrive"
rm -f "$O"
run curl -sS -m 10 -o "$O" "$P/chunked"
check_rc 18 "truncate on a chunked response: partial transfer (18)"
check_eq "$(size "$O")" 1000 "truncate on a chunked response: keep_bytes of payload"
run curl -sS -m 10 -o "$O" "$P/headers"
check_rc 0 "a request the rule's path does not match passes through"

# --- corrupt: same length, one byte changed
rules '[{"match":{"path":"^/file$"},"fault":{"type":"corrupt","offset":12345}}]'
run curl -sS -m 10 -o "$O" "$P/file"
check_rc 0 "corrupt: the transfer itself succeeds"
check_eq "$(size "$O")" 300000 "corrupt: the length is unchanged"
if [ "$(sha256sum <"$O" | cut -d' ' -f1)" != "$FILE_SHA" ]; then pass "corrupt: the sha256 differs"; else failed "corrupt: the sha256 differs"; fi
check_eq "$(cmp -l "$WORK/file.bin" "$O" | awk '{print $1}' | tr '\n' ' ')" "12346 " "corrupt: only the byte at the offset differs"

# --- status: answered by the proxy, upstream not contacted
rules '[{"match":{"method":"GET"},"fault":{"type":"status","preset":"s3_slowdown"}},
        {"match":{"method":"PUT"},"fault":{"type":"status","preset":"gcs_429"}},
        {"match":{"method":"POST"},"fault":{"type":"status","preset":"gcs_503"}},
        {"match":{"method":"DELETE"},"fault":{"type":"status","preset":"s3_internal"}}]'
before=$(upstream_requests)
run curl -sS -m 5 -D "$O.h" -w '\n%{http_code}' "$P/bucket/key"
check_contains "$OUT" "<Code>SlowDown</Code>" "preset s3_slowdown: S3's XML error"
check_eq "$(tail -1 <<<"$OUT")" 503 "preset s3_slowdown: 503"
check_contains "$(cat "$O.h")" "Content-Type: application/xml" "preset s3_slowdown: application/xml"
body=$(sed '$d' <<<"$OUT")
check_contains "$(cat "$O.h")" "Content-Length: ${#body}" "preset s3_slowdown: a correct Content-Length"
run curl -sS -m 5 --expect100-timeout 30 -D "$O.h" -w '\n%{http_code}' -T "$WORK/file.bin" "$P/upload/storage/v1/b/b/o"
check_eq "$(tail -1 <<<"$OUT")" 429 "preset gcs_429 on a PUT with Expect: 429 (body read and discarded first)"
check_eq "$(sed '$d' <<<"$OUT" | js 'd.error.errors[0].reason')" rateLimitExceeded "preset gcs_429: GCS's JSON error"
check_contains "$(cat "$O.h")" "Content-Type: application/json; charset=UTF-8" "preset gcs_429: GCS's Content-Type"
run curl -sS -m 5 -w '\n%{http_code}' -X POST -d x "$P/storage/v1/b"
check_eq "$(sed '$d' <<<"$OUT" | js '[d.error.code, d.error.errors[0].reason]')" '[503,"backendError"]' "preset gcs_503: 503 backendError"
run curl -sS -m 5 -w '\n%{http_code}' -X DELETE "$P/bucket/key"
check_contains "$OUT" "<Code>InternalError</Code>" "preset s3_internal: InternalError"
check_eq "$(tail -1 <<<"$OUT")" 500 "preset s3_internal: 500"
check_eq "$(upstream_requests)" "$before" "status faults never contact the upstream"
rules '[{"fault":{"type":"status","status":418,"body":"teapot\n","headers":{"Retry-After":"3","Content-Type":"text/plain"}}}]'
run curl -sS -m 5 -D "$O.h" -w '%{http_code}' "$P/file"
check_eq "$OUT" "teapot
418" "a custom status and body"
check_contains "$(cat "$O.h")" "Retry-After: 3" "a custom status: its headers"

# --- times and skip
rules '[{"match":{"path":"^/file$"},"times":1,"fault":{"type":"status","preset":"s3_slowdown"}}]'
codes=$(for _ in 1 2 3; do curl -s -o /dev/null -w '%{http_code} ' "$P/file"; done)
check_eq "$codes" "503 200 200 " "times:1 fires once, then passes through"
check_eq "$(stats '[d.rules[0].fired, d.rules[0].remaining]')" "[1,0]" "stats: the rule fired once, none remaining"
rules '[{"match":{"path":"^/file$"},"skip":1,"times":1,"fault":{"type":"status","preset":"s3_slowdown"}}]'
codes=$(for _ in 1 2 3; do curl -s -o /dev/null -w '%{http_code} ' "$P/file"; done)
check_eq "$codes" "200 503 200 " "skip:1 times:1 fires on the second matching request only"
rules '[{"match":{"method":"PUT"},"fault":{"type":"status","preset":"s3_slowdown"}}]'
codes=$(for _ in 1 2; do curl -s -o /dev/null -w '%{http_code} ' "$P/file"; done)
check_eq "$codes" "200 200 " "a rule for another method does not fire"
check_eq "$(stats 'd.rules[0].fired')" 0 "stats: a rule that did not fire counts 0"

# --- resets
rules '[{"match":{"path":"^/file$"},"fault":{"type":"reset_response","after_bytes":1000}}]'
rm -f "$O"
run curl -sS -m 10 -o "$O" "$P/file"
check_rc 56 "reset_response: curl sees a reset (56)"
check_eq "$(size "$O")" 1000 "reset_response: after_bytes body bytes arrive first"
rules '[{"match":{"method":"PUT"},"fault":{"type":"reset_request","after_bytes":100000}}]'
run curl -sS -m 10 --expect100-timeout 30 -T "$WORK/file.bin" "$P/put/reset"
if [ "$RC" -eq 55 ] || [ "$RC" -eq 56 ]; then pass "reset_request: curl sees a send/receive failure (55/56)"
else failed "reset_request: curl sees a send/receive failure (55/56)" "exit $RC"; fi
check_eq "$(last_upstream 'd.map((e) => [e.path, e.complete, e.received]).pop()')" '["/put/reset",false,100000]' \
  "reset_request: the upstream got exactly after_bytes of the body and a reset"
rules '[{"match":{"method":"GET"},"fault":{"type":"reset_request","after_bytes":0}}]'
run curl -sS -m 10 -o "$O" "$P/file"
check_rc 56 "reset_request without a body: curl sees a reset (56)"

# --- stalls
rules '[{"fault":{"type":"stall","phase":"before_response"}}]'
rm -f "$O"
run curl -sS -m 2 -o "$O" "$P/file"
check_rc 28 "stall before_response: curl -m 2 times out (28)"
check_eq "$(size "$O")" 0 "stall before_response: no byte arrives"
rules '[{"fault":{"type":"stall","phase":"mid_response","after_bytes":5000}}]'
rm -f "$O"
run curl -sS -m 2 -o "$O" "$P/file"
check_rc 28 "stall mid_response: curl -m 2 times out (28)"
check_eq "$(size "$O")" 5000 "stall mid_response: after_bytes body bytes arrive first"

# --- Date skew and delay
rules '[{"fault":{"type":"skew_date","seconds":-1200}}]'
run curl -sS -m 5 -o /dev/null -D - "$P/file"
date_hdr=$(tr -d '\r' <<<"$OUT" | sed -n 's/^Date: //p')
skew=$(($(date +%s) - $(date -d "$date_hdr" +%s)))
if [ "$skew" -ge 1195 ] && [ "$skew" -le 1210 ]; then pass "skew_date -1200: the Date header is 20 minutes behind"
else failed "skew_date -1200: the Date header is 20 minutes behind" "Date: $date_hdr, skew $skew s"; fi
rules '[{"fault":{"type":"delay","ms":700}}]'
run curl -sS -m 5 -o "$O" -w '%{time_starttransfer}' "$P/file"
if awk -v t="$OUT" 'BEGIN { exit !(t >= 0.7) }'; then pass "delay 700 ms: the response starts no earlier"; else failed "delay 700 ms" "started after $OUT s"; fi
check_same_file "$WORK/file.bin" "$O" "delay: the body is whole"
no_rules
run curl -sS -m 5 -o "$O" "$P/file"
check_same_file "$WORK/file.bin" "$O" "DELETE /rules: everything passes through again"

# --- close and open
curl -fsS -X POST "$CTL/close" >/dev/null
run curl -sS -m 5 -o /dev/null "$P/file"
check_rc 7 "close: connection refused (7)"
check_eq "$(stats d.listening)" false "stats: not listening"
curl -fsS -X POST "$CTL/open" >/dev/null
run curl -sS -m 5 -o "$O" "$P/file"
check_rc 0 "open: the same port works again"
check_same_file "$WORK/file.bin" "$O" "open: bodies whole again"
exec 3<>"/dev/tcp/127.0.0.1/$FC_FAULT_PROXY_PORT"
printf 'GET /headers HTTP/1.1\r\nHost: keep.alive.test\r\n\r\n' >&3
sleep 0.3
curl -fsS -X POST "$CTL/close" >/dev/null
timeout 3 cat <&3 >"$O"
check_eq "$?" 0 "close: an idle keep-alive connection is closed too"
check_contains "$(cat "$O")" '"host":"keep.alive.test"' "... after the response it carried"
exec 3<&-
curl -fsS -X POST "$CTL/open" >/dev/null
rules '[{"fault":{"type":"stall","phase":"before_response"}}]'
curl -sS -m 20 -o /dev/null "$P/file" 2>/dev/null &
stalled=$!
sleep 0.5
curl -fsS -X POST "$CTL/close?drop=1" >/dev/null
wait "$stalled"
check_eq "$?" 56 "close?drop=1: connections in flight are reset too"
curl -fsS -X POST "$CTL/open" >/dev/null
no_rules

# --- control errors
run curl -sS -o /dev/null -w '%{http_code}' -X POST --data-binary '{"not":"an array"}' "$CTL/rules"
check_eq "$OUT" 400 "POST /rules: not an array, 400"
run curl -sS -o /dev/null -w '%{http_code}' -X POST --data-binary '[{"fault":{"type":"explode"}}]' "$CTL/rules"
check_eq "$OUT" 400 "POST /rules: an unknown fault type, 400"

# --- the log: one line per request, never a header value or a signature
curl -sS -o /dev/null -H "Authorization: AWS4-HMAC-SHA256 Credential=AKIDSECRETVALUE/x, Signature=feedface0123" \
  "$P/file?X-Amz-Signature=deadbeef4567&partNumber=1"
# (the proxy logs a request once its last byte is written: curl may be faster)
for _ in $(seq 1 20); do grep -q "partNumber" "$WORK/proxy/proxy.log" && break; sleep 0.1; done
log=$(cat "$WORK/proxy/proxy.log")
check_not_contains "$log" "AKIDSECRETVALUE" "the log holds no header value"
check_not_contains "$log" "deadbeef4567" "the log hides signature query values"
check_contains "$log" "GET /file?X-Amz-Signature=REDACTED&partNumber=1 -> 200" "the log names method, path and status"
check_contains "$log" "PUT /put/reset -> reset after 100000 request body bytes fault=reset_request rule=0" "the log names the fault fired"

# --- down.sh: nothing left behind, even from a wedged proxy
alive() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null) && [[ $s != Z* ]]; }
pid=$(cat "$WORK/proxy/pid")
"$FP/down.sh" "$WORK/proxy"
if alive "$pid"; then failed "down.sh stops the proxy"; else pass "down.sh stops the proxy"; fi
check_eq "$([ -e "$WORK/proxy" ] && echo exists || echo gone)" gone "down.sh removes DIR"
"$FP/up.sh" "$WORK/proxy2" --upstream "$UPSTREAM" >/dev/null
pid=$(cat "$WORK/proxy2/pid")
kill -STOP "$pid"
"$FP/down.sh" "$WORK/proxy2"
if alive "$pid"; then failed "down.sh kills a wedged (stopped) proxy"; kill -9 "$pid"; else pass "down.sh kills a wedged (stopped) proxy"; fi

finish

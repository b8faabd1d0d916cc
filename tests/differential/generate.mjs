#!/usr/bin/env node
// Differential-test case generator for the SigV4 implementation.
//
// Produces random-but-reproducible signing cases and signs each of them with
// the official AWS JavaScript signer (@smithy/signature-v4 + @aws-crypto/sha256-js).
//
//   node generate.mjs [--count N] [--seed S] > cases.json
//   node generate.mjs --self-check     # AWS S3 API reference example, exit 1 on mismatch
//
// All request data in the output is DECODED/logical; see README.md for the
// exact meaning of each field and for how smithy is driven so that it computes
// what the AWS SigV4 spec prescribes for those decoded inputs.

import { createRequire } from "node:module";
import {
  SignatureV4,
  ALWAYS_UNSIGNABLE_HEADERS,
  GENERATED_HEADERS,
  PROXY_HEADER_PATTERN,
  SEC_HEADER_PATTERN,
} from "@smithy/signature-v4";
import { Sha256 } from "@aws-crypto/sha256-js";

const require = createRequire(import.meta.url);
const SMITHY_VERSION = require("@smithy/signature-v4/package.json").version;

// ---------------------------------------------------------------------------
// Seeded PRNG (mulberry32) and helpers
// ---------------------------------------------------------------------------

function mulberry32(seed) {
  let a = seed >>> 0;
  return function () {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let rand = mulberry32(1);
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1)); // inclusive
const pick = (arr) => arr[Math.floor(rand() * arr.length)];
const chance = (p) => rand() < p;
const randStr = (alphabet, len) => {
  let s = "";
  for (let i = 0; i < len; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
  return s;
};

// ---------------------------------------------------------------------------
// Encoding / calling convention
// ---------------------------------------------------------------------------

const UNRESERVED = /[A-Za-z0-9\-_.~]/;

// Percent-encode every byte of the UTF-8 path except unreserved chars and '/'.
export function encodeOnce(path) {
  let out = "";
  for (const byte of new TextEncoder().encode(path)) {
    const ch = String.fromCharCode(byte);
    if (byte < 0x80 && (UNRESERVED.test(ch) || ch === "/")) out += ch;
    else out += "%" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

// A path as a request line may carry it for the generic rules: each character
// that is not unreserved is percent-encoded or left raw at random (a raw space
// or UTF-8 byte is legal input to \`fallback-config sign\`); '?' and '#' are
// always encoded, or they would end the path.
function asWritten(path) {
  let out = "";
  for (const ch of path) {
    if (ch === "/" || (ch.length === 1 && UNRESERVED.test(ch))) out += ch;
    else if (ch === "?" || ch === "#" || chance(0.5)) out += encodeOnce(ch);
    else out += ch;
  }
  return out;
}

// Merge raw header pairs the way the spec does: lowercase names, values of the
// same (lowercased) name joined with ',' in order of appearance.  Values are
// NOT trimmed here; smithy collapses space runs and trims the joined value
// (the generator guarantees that equals per-value trimming, see genHeaders).
function mergeHeaders(pairs) {
  const out = {};
  for (const [name, value] of pairs) {
    const k = name.toLowerCase();
    out[k] = k in out ? out[k] + "," + value : value;
  }
  return out;
}

function queryObject(pairs) {
  const q = {};
  for (const [name, value] of pairs) {
    if (!(name in q)) q[name] = value;
    else if (Array.isArray(q[name])) q[name].push(value);
    else q[name] = [q[name], value];
  }
  return q;
}

function parseAmzDate(t) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(t);
  if (!m) throw new Error(`bad time ${t}`);
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

function formatAmzDate(ms) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z").replace(/[-:]/g, "");
}

export async function signCase(c) {
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: c.access_key,
      secretAccessKey: c.secret_key,
      ...(c.session_token != null ? { sessionToken: c.session_token } : {}),
    },
    region: c.region,
    service: c.service,
    sha256: Sha256,
    uriEscapePath: c.mode === "generic",
    applyChecksum: c.mode === "s3",
  });
  const hostPair = c.headers.find(([n]) => n.toLowerCase() === "host");
  const request = {
    method: c.method,
    protocol: "https:",
    hostname: hostPair ? hostPair[1].trim().replace(/:\d+$/, "") : "localhost",
    // S3: the decoded key, encoded once; generic: the path as written, which
    // smithy (uriEscapePath) encodes once more, as the spec says.
    path: c.mode === "s3" ? encodeOnce(c.path) : c.path,
    query: queryObject(c.query),
    headers: mergeHeaders(c.headers),
    body: c.body,
  };
  const signed = await signer.sign(request, { signingDate: parseAmzDate(c.time) });
  return signed.headers["authorization"];
}

// ---------------------------------------------------------------------------
// Value pools
// ---------------------------------------------------------------------------

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";
const SECRET_ALPHABET = UPPER + LOWER + DIGITS + "/+";
const TOKEN_ALPHABET = UPPER + LOWER + DIGITS + "/+";

const METHODS = ["GET", "PUT", "POST", "HEAD", "DELETE"];
const REGIONS = [
  "us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-central-1",
  "eu-north-1", "ap-northeast-1", "ap-southeast-2", "ap-south-1", "sa-east-1",
  "ca-central-1", "me-south-1", "af-south-1", "cn-north-1", "us-gov-west-1",
];
const GENERIC_SERVICES = [
  "iam", "sts", "execute-api", "dynamodb", "lambda", "sqs", "sns", "ec2",
  "monitoring", "es", "kms", "logs",
];

const RESERVED = "!*'();:@&=$,?#[]";
const UNICODE_BITS = ["ü", "é", "ß", "Ω", "ñ", "日本", "中文", "한국어", "€", "😀", "🚀", "𝄞", "ሴ", "Ä", "ø", "ﬁ"];
const WORDS = [
  "photos", "2006", "February", "sample.jpg", "test.txt", "index.html", "a", "B", "data",
  "file-1", "my_file", "v1.2.3", "README", "x", "logs", "2024-01-02", "report.csv",
  "CamelCase", "UPPER", "with~tilde", "archive.tar.gz",
];

function segmentPiece() {
  const r = rand();
  if (r < 0.35) return pick(WORDS);
  if (r < 0.50) return pick(UNICODE_BITS);
  if (r < 0.58) return " ";
  if (r < 0.63) return "+";
  if (r < 0.68) return "%";
  if (r < 0.71) return "~";
  if (r < 0.82) return RESERVED[int(0, RESERVED.length - 1)];
  if (r < 0.86) return "%2F"; // literal percent sequence in a decoded key
  if (r < 0.90) return "%20";
  if (r < 0.95) return "-_.";
  return randStr(UPPER + LOWER + DIGITS, int(1, 8));
}

function randomSegment() {
  let s = "";
  const n = int(1, 4);
  for (let i = 0; i < n; i++) s += segmentPiece();
  return s;
}

function genPath(mode, pathStyleBucket) {
  const r = rand();
  if (r < 0.06) return "/";
  const segs = [];
  if (pathStyleBucket) segs.push(pathStyleBucket);
  const n = int(pathStyleBucket ? 0 : 1, 5);
  for (let i = 0; i < n; i++) {
    const x = rand();
    if (x < 0.07) segs.push(""); // produces '//'
    else if (x < 0.13) segs.push("."); // s3: literal; generic: removed
    else if (x < 0.19) segs.push(".."); // s3: literal; generic: pops
    else if (x < 0.22) segs.push(pick(["...", ".a", "a.", "..a", ".~"]));
    else segs.push(randomSegment());
  }
  let p = "/" + segs.join("/");
  if (chance(0.18) && !p.endsWith("/")) p += "/"; // trailing slash
  if (chance(0.04)) p = "/" + p; // leading '//'
  return p;
}

const QUERY_NAMES = [
  "prefix", "delimiter", "max-keys", "list-type", "marker", "continuation-token",
  "uploads", "uploadId", "partNumber", "versionId", "acl", "tagging", "versioning",
  "Action", "Version", "UserName", "MaxItems", "Marker", "DurationSeconds",
  "a", "A", "b", "B", "a-b", "a_b", "a.b", "a~b", "a%b", "a b", "a+b", "a=b", "a&b",
  "Param1", "Param2", "param1", "ü", "日本", "😀", "x-id", "X-Amz-Expires", "z", "Z", "0", "1",
];

function queryValue() {
  const r = rand();
  if (r < 0.18) return "";
  if (r < 0.40) return pick(WORDS);
  if (r < 0.55) return String(int(0, 100000));
  if (r < 0.65) return pick(["photos/2006/", "/", "a b", "a+b", "a%20b", "100%", "x=y", "a&b=c", "~", "-._~"]);
  let s = "";
  const n = int(1, 4);
  for (let i = 0; i < n; i++) s += segmentPiece();
  return s;
}

function queryName() {
  if (chance(0.75)) return pick(QUERY_NAMES);
  let s = "";
  const n = int(1, 3);
  for (let i = 0; i < n; i++) s += segmentPiece();
  return s;
}

function genQuery() {
  if (chance(0.28)) return [];
  const out = [];
  const n = int(1, 6);
  for (let i = 0; i < n; i++) {
    if (out.length > 0 && chance(0.2)) {
      // repeated name, same or different value
      const [name, value] = pick(out);
      out.push([name, chance(0.25) ? value : queryValue()]);
    } else {
      out.push([queryName(), queryValue()]);
    }
  }
  return out;
}

const HEADER_NAMES = [
  "Content-Type", "Content-MD5", "Content-Encoding", "Content-Language", "Content-Disposition",
  "Range", "Accept", "Accept-Encoding", "Accept-Language", "If-Match", "If-None-Match",
  "If-Modified-Since", "Origin", "X-Amz-Acl", "X-Amz-Storage-Class", "X-Amz-Meta-Author",
  "x-amz-meta-foo", "X-Amz-Tagging", "X-Amz-Server-Side-Encryption", "X-Amz-Copy-Source",
  "X-Amz-Target", "X-Amz-User-Agent", "X-Amz-Request-Payer", "X-Custom-Header", "My-Header1",
  "My-Header2", "X-Forwarded-For", "X-Api-Key", "ETag", "Content-Length", "X-A", "x_underscore",
  "X-Amz-Meta-Name.With.Dots", "X-Amz-Expected-Bucket-Owner",
];

const VALUE_CHARS = UPPER + LOWER + DIGITS + "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

function randomCase(name) {
  const r = rand();
  if (r < 0.45) return name;
  if (r < 0.6) return name.toLowerCase();
  if (r < 0.7) return name.toUpperCase();
  let s = "";
  for (const ch of name) s += chance(0.5) ? ch.toUpperCase() : ch.toLowerCase();
  return s;
}

// A header value with no leading/trailing spaces, possibly with inner runs of spaces.
function coreHeaderValue() {
  const r = rand();
  if (r < 0.25) return pick([
    "text/plain", "application/json", "application/x-amz-json-1.0", "bytes=0-9", "gzip, deflate",
    "en-US,en;q=0.5", "\"a   b   c\"", "value1", "value2", "AES256", "STANDARD", "private",
    "DynamoDB_20120810.ListTables", "attachment; filename=\"x y.txt\"", "*", "W/\"etag\"",
  ]);
  const words = [];
  const n = int(1, 4);
  for (let i = 0; i < n; i++) words.push(randStr(VALUE_CHARS, int(1, 10)));
  let s = words[0];
  for (let i = 1; i < words.length; i++) s += " ".repeat(pick([1, 1, 2, 3, 5])) + words[i];
  return s;
}

function paddedHeaderValue() {
  const v = coreHeaderValue();
  if (!chance(0.45)) return v;
  return " ".repeat(int(0, 3)) + v + " ".repeat(int(0, 3));
}

function isForbiddenHeader(lower) {
  return (
    Object.prototype.hasOwnProperty.call(ALWAYS_UNSIGNABLE_HEADERS, lower) ||
    GENERATED_HEADERS.includes(lower) ||
    PROXY_HEADER_PATTERN.test(lower) ||
    SEC_HEADER_PATTERN.test(lower) ||
    lower === "x-amz-date" ||
    lower === "x-amz-security-token" ||
    lower === "x-amz-content-sha256" ||
    lower === "host" ||
    lower === "__proto__"
  );
}

function genHeaders(host, body) {
  const pairs = [];
  const n = int(0, 6);
  const used = new Set();
  for (let i = 0; i < n; i++) {
    let name = chance(0.85) ? pick(HEADER_NAMES) : "X-Rnd-" + randStr(LOWER + UPPER + DIGITS, int(1, 6));
    if (isForbiddenHeader(name.toLowerCase()) || used.has(name.toLowerCase())) continue;
    used.add(name.toLowerCase());
    if (name === "Content-Length") {
      pairs.push([randomCase(name), String(new TextEncoder().encode(body).length)]);
    } else if (chance(0.18)) {
      // Repeated header (possibly in different case).  Values carry no
      // leading/trailing spaces so that smithy's trim-of-the-joined-value
      // equals the spec's trim-each-value-then-join.
      const reps = int(2, 3);
      for (let k = 0; k < reps; k++) pairs.push([randomCase(name), coreHeaderValue()]);
    } else {
      pairs.push([randomCase(name), paddedHeaderValue()]);
    }
  }
  // shuffle, then insert Host at a random position
  for (let i = pairs.length - 1; i > 0; i--) {
    const j = int(0, i);
    [pairs[i], pairs[j]] = [pairs[j], pairs[i]];
  }
  pairs.splice(int(0, pairs.length), 0, [pick(["Host", "host", "HOST", "hOsT"]), host]);
  return pairs;
}

function genBody(method) {
  const emptyP = method === "PUT" || method === "POST" ? 0.25 : 0.7;
  if (chance(emptyP)) return "";
  const r = rand();
  if (r < 0.2) return pick(["Welcome to Amazon S3.", "Action=ListUsers&Version=2010-05-08", "{\"TableName\":\"t\"}", "x", " "]);
  let s = "";
  const n = int(1, 12);
  for (let i = 0; i < n; i++) {
    const x = rand();
    if (x < 0.5) s += randStr(UPPER + LOWER + DIGITS + " .,;:!?-_\"'{}[]", int(1, 20));
    else if (x < 0.75) s += pick(UNICODE_BITS);
    else if (x < 0.88) s += "\n";
    else if (x < 0.93) s += "\t";
    else s += " ".repeat(int(1, 4));
  }
  return s;
}

function randomBucket() {
  return pick(["examplebucket", "my-bucket", "bucket", "test.bucket.1", "b1", "logs-2024"]) +
    (chance(0.3) ? "-" + randStr(LOWER + DIGITS, 4) : "");
}

function s3Host(region) {
  const r = rand();
  if (r < 0.3) {
    const b = randomBucket();
    return { host: pick([`${b}.s3.amazonaws.com`, `${b}.s3.${region}.amazonaws.com`]), bucket: null };
  }
  const b = chance(0.85) ? randomBucket() : null; // null: service-level path (e.g. ListBuckets)
  const host = pick([
    "s3.amazonaws.com", `s3.${region}.amazonaws.com`, "127.0.0.1:7480", "localhost:9000",
    "[::1]:8080", "minio.internal:443", "192.168.1.10",
  ]);
  return { host, bucket: b };
}

function genericHost(service, region) {
  const r = rand();
  if (r < 0.2) return pick(["127.0.0.1:4566", "localhost:8000", "10.0.0.5:8443"]);
  if (service === "execute-api") return `${randStr(LOWER + DIGITS, 10)}.execute-api.${region}.amazonaws.com`;
  if (service === "iam") return "iam.amazonaws.com";
  return `${service}.${region}.amazonaws.com`;
}

// Hand-picked inputs cycled through the first cases; other fields stay random.
const CURATED = [
  { mode: "s3", path: "/" },
  { mode: "generic", path: "/" },
  { mode: "s3", path: "/bucket/a b+c/ü%x" },
  { mode: "generic", path: "//" },
  { mode: "s3", path: "/bucket//double//slash//" },
  { mode: "generic", path: "/./" },
  { mode: "s3", path: "/bucket/./dot/../dotdot/.." },
  { mode: "generic", path: "/example/.." },
  { mode: "s3", path: "/bucket/日本/😀/𝄞" },
  { mode: "generic", path: "/example1/example2/../.." },
  { mode: "s3", path: "/bucket/!*'();:@&=$,?#[]" },
  { mode: "generic", path: "/./example" },
  { mode: "s3", path: "/bucket/~tilde-_.dot" },
  { mode: "generic", path: "//example//" },
  { mode: "s3", path: "/bucket/%2F%25%20" },
  { mode: "generic", path: "/a/b/../c/./d/" },
  { mode: "s3", path: "/bucket/trailing/" },
  { mode: "generic", path: "/../../a" },
  { mode: "s3", path: "/ " },
  { mode: "generic", path: "/ü/日本/😀" },
  { mode: "s3", path: "/+" },
  { mode: "generic", path: "/a b/+/%/~" },
  { mode: "s3", path: "/%" },
  { mode: "generic", path: "/!*'();:@&=$,?#[]/" },
  { mode: "generic", path: "/2015-03-31/functions/my%20fn/invocations" },
  { mode: "generic", path: "/.../..../.a/a./" },
  { mode: "s3", path: "/bucket/..", },
  { mode: "s3", path: "/bucket/." },
  { mode: "generic", path: "/", query: [["Param2", "value2"], ["Param1", "value1"]] },
  { mode: "generic", path: "/", query: [["Param1", "value2"], ["Param1", "Value1"]] },
  { mode: "generic", path: "/", query: [["Param1", "value1"], ["Param1", "value2"]] },
  { mode: "generic", path: "/", query: [["-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"]] },
  { mode: "generic", path: "/", query: [["ሴ", "bar"]] },
  { mode: "s3", query: [["uploads", ""]] },
  { mode: "s3", query: [["a", ""], ["a", ""]] },
  { mode: "s3", query: [["a-b", "1"], ["a", "2"], ["a=b", "3"], ["a%b", "4"], ["a b", "5"]] },
  { mode: "s3", query: [["A", "1"], ["a", "2"], ["B", "3"], ["b", "4"], ["_", "5"], ["~", "6"]] },
  { mode: "s3", query: [["list-type", "2"], ["prefix", "photos/2006/"], ["delimiter", "/"], ["max-keys", "50"]] },
  { mode: "generic", query: [["Action", "ListUsers"], ["Version", "2010-05-08"]] },
  { mode: "s3", query: [["k", "日本"], ["k", "😀"], ["k", "ü"], ["k", ""], ["k", "Z"]] },
  { mode: "generic", query: [["k", "!*'();:@&=$,?#[]"], ["+", "+"], ["%", "%"], ["=", "&"], [" ", " "]] },
  { mode: "generic", extraHeaders: [["My-Header1", "value2"], ["My-Header1", "value2"], ["My-Header1", "value1"]] },
  { mode: "generic", extraHeaders: [["My-Header1", "value4"], ["My-Header1", "value1"], ["My-Header1", "value3"], ["My-Header1", "value2"]] },
  { mode: "generic", extraHeaders: [["My-Header1", " value1"], ["My-Header2", " \"a   b   c\""]] },
  { mode: "s3", extraHeaders: [["x-amz-meta-a", "1"], ["X-Amz-Meta-A", "2"], ["X-AMZ-META-A", "3  4"]] },
  { mode: "s3", extraHeaders: [["X-Amz-Meta-Pad", "   lots    of     spaces   "], ["Content-Type", "text/plain"]] },
];

// AWS S3 API reference example ("GET Object", Authorization header example).
const S3_EXAMPLE = {
  mode: "s3",
  method: "GET",
  path: "/test.txt",
  query: [],
  headers: [["Host", "examplebucket.s3.amazonaws.com"], ["Range", "bytes=0-9"]],
  body: "",
  region: "us-east-1",
  service: "s3",
  time: "20130524T000000Z",
  access_key: "AKIAIOSFODNN7EXAMPLE",
  secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  session_token: null,
};
const S3_EXAMPLE_SIGNATURE = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";

// ---------------------------------------------------------------------------
// Case generation
// ---------------------------------------------------------------------------

const T_MIN = Date.UTC(2015, 0, 1, 0, 0, 0) / 1000;
const T_MAX = Date.UTC(2030, 11, 31, 23, 59, 59) / 1000;

function genCase(id) {
  // Alternate modes so each gets ~50% regardless of count.
  const curated = id >= 1 && id - 1 < CURATED.length ? CURATED[id - 1] : null;
  const mode = curated ? curated.mode : id % 2 === 0 ? "s3" : "generic";
  const region = pick(REGIONS);
  const service = mode === "s3" ? "s3" : pick(GENERIC_SERVICES);
  const method = pick(METHODS);

  let host, path;
  if (mode === "s3") {
    const h = s3Host(region);
    host = h.host;
    path = genPath(mode, h.bucket);
  } else {
    host = genericHost(service, region);
    path = asWritten(genPath(mode, null));
  }
  let query = genQuery();
  const body = genBody(method);
  let headers = genHeaders(host, body);

  const withToken = chance(0.5);
  const access_key = (withToken ? "ASIA" : "AKIA") + randStr(UPPER + DIGITS, 16);
  const secret_key = randStr(SECRET_ALPHABET, 40);
  const session_token = withToken
    ? "IQoJb3JpZ2luX2Vj" + randStr(TOKEN_ALPHABET, int(40, 300)) + pick(["", "=", "=="])
    : null;
  const time = formatAmzDate(int(T_MIN, T_MAX) * 1000);

  if (curated) {
    if (curated.path !== undefined) path = curated.path;
    if (curated.query !== undefined) query = curated.query.map((p) => [...p]);
    if (curated.extraHeaders) {
      headers = headers
        .filter(([n]) => n.toLowerCase() === "host" || !curated.extraHeaders.some(([e]) => e.toLowerCase() === n.toLowerCase()))
        .concat(curated.extraHeaders.map((p) => [...p]));
    }
  }

  return {
    id, mode, method, path, query, headers, body, region, service, time,
    access_key, secret_key, session_token,
  };
}

// Guard against generating anything smithy would silently treat differently
// from the spec.
function validateCase(c, authorization) {
  if (!c.path.startsWith("/")) throw new Error(`case ${c.id}: path must start with '/'`);
  for (const [name] of c.query) {
    if (name.toLowerCase() === "x-amz-signature") throw new Error(`case ${c.id}: forbidden query name`);
    if (name === "" || name === "__proto__") throw new Error(`case ${c.id}: bad query name`);
  }
  const counts = new Map();
  for (const [name, value] of c.headers) {
    const k = name.toLowerCase();
    if (k !== "host" && isForbiddenHeader(k)) throw new Error(`case ${c.id}: forbidden header ${name}`);
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) throw new Error(`case ${c.id}: bad header name ${name}`);
    if (/[\t\r\n]/.test(value)) throw new Error(`case ${c.id}: control char in header value`);
    if (value.trim() === "") throw new Error(`case ${c.id}: empty header value`);
    counts.set(k, (counts.get(k) || 0) + 1);
  }
  if (counts.get("host") !== 1) throw new Error(`case ${c.id}: need exactly one host header`);
  for (const [name, value] of c.headers) {
    if (counts.get(name.toLowerCase()) > 1 && value !== value.trim()) {
      throw new Error(`case ${c.id}: repeated header ${name} has untrimmed value`);
    }
  }
  const expected = new Set(counts.keys());
  expected.add("x-amz-date");
  if (c.session_token != null) expected.add("x-amz-security-token");
  if (c.mode === "s3") expected.add("x-amz-content-sha256");
  const signedHeaders = /SignedHeaders=([^,]+),/.exec(authorization)[1];
  const want = [...expected].sort().join(";");
  if (signedHeaders !== want) {
    throw new Error(`case ${c.id}: smithy signed ${signedHeaders}, expected ${want}`);
  }
  const scope = `Credential=${c.access_key}/${c.time.slice(0, 8)}/${c.region}/${c.service}/aws4_request,`;
  if (!authorization.startsWith("AWS4-HMAC-SHA256 " + scope)) {
    throw new Error(`case ${c.id}: unexpected credential scope in ${authorization}`);
  }
}

async function selfCheck() {
  const auth = await signCase(S3_EXAMPLE);
  const sig = /Signature=([0-9a-f]{64})$/.exec(auth)?.[1];
  const expectedAuth =
    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, " +
    "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, " +
    `Signature=${S3_EXAMPLE_SIGNATURE}`;
  if (auth !== expectedAuth) {
    process.stderr.write(`self-check FAILED\n  got:      ${auth}\n  expected: ${expectedAuth}\n`);
    return false;
  }
  process.stderr.write(`self-check OK (@smithy/signature-v4 ${SMITHY_VERSION}): Signature=${sig}\n`);
  return true;
}

function parseArgs(argv) {
  const opts = { count: 1200, seed: 1, selfCheck: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--count") opts.count = Number(next());
    else if (a === "--seed") opts.seed = Number(next());
    else if (a === "--self-check") opts.selfCheck = true;
    else if (a === "-h" || a === "--help") {
      process.stdout.write("usage: node generate.mjs [--count N] [--seed S] > cases.json\n       node generate.mjs --self-check\n");
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isInteger(opts.count) || opts.count < 1) throw new Error("--count must be a positive integer");
  if (!Number.isInteger(opts.seed)) throw new Error("--seed must be an integer");
  return opts;
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e.message}\nusage: node generate.mjs [--count N] [--seed S] [--self-check]\n`);
    process.exit(2);
  }
  if (opts.selfCheck) process.exit((await selfCheck()) ? 0 : 1);

  rand = mulberry32(opts.seed);
  const lines = [];
  for (let id = 0; id < opts.count; id++) {
    // Case 0 is the S3 reference example (a known answer anchor).
    const c = id === 0 ? { id: 0, ...S3_EXAMPLE } : genCase(id);
    const authorization = await signCase(c);
    validateCase(c, authorization);
    if (id === 0 && !authorization.endsWith(`Signature=${S3_EXAMPLE_SIGNATURE}`)) {
      throw new Error("case 0 does not match the S3 reference example");
    }
    lines.push(JSON.stringify({ ...c, authorization }));
  }
  process.stdout.write(
    `{"generator":${JSON.stringify(`@smithy/signature-v4 ${SMITHY_VERSION}`)},"cases":[\n` +
      lines.join(",\n") +
      "\n]}\n",
  );
}

main().catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exit(1);
});

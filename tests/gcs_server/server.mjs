// A strict Google Cloud Storage test server (no GCS emulator runs offline
// here, and the ones that exist check neither auth nor preconditions).
//
//   node server.mjs --port P --service-account KEY.json [--token-ttl SECONDS]
//
// Plays three parts on one port:
//  * the OAuth token endpoint (POST /token): verifies the RS256 JWT assertion
//    against the service account's public key, and its claims (iss, aud,
//    scope, iat, exp); issues random tokens that expire after --token-ttl;
//  * the GCE metadata server (GET /computeMetadata/v1/instance/service-accounts/
//    default/token, only with "Metadata-Flavor: Google");
//  * the JSON API: objects insert (media and multipart), get (metadata and
//    alt=media), patch (metadata), list (prefix, maxResults, pageToken), delete, with bearer
//    tokens checked (missing, unknown or expired: 401), ifGenerationMatch
//    enforced (412), and errors in GCS's JSON shape.
// Prints "listening on PORT" once ready. Test controls: POST /_test/buckets?name=B
// creates a bucket, POST /_test/token?ttl=S issues a token, GET /_test/stats,
// POST /_test/corrupt?bucket=B&name=N&offset=I flips a bit of a stored object,
// POST /_test/revoke?on=1|0 deletes (restores) the service-account key.
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, v, i, a) => {
  if (v.startsWith("--")) acc.push([v.slice(2), a[i + 1]]);
  return acc;
}, []));
const port = Number(args.port);
const account = JSON.parse(fs.readFileSync(args["service-account"], "utf8"));
const publicKey = crypto.createPublicKey(account.private_key);
const tokenTtl = Number(args["token-ttl"] || 3600);
const SCOPES = ["https://www.googleapis.com/auth/devstorage.read_write",
  "https://www.googleapis.com/auth/devstorage.full_control",
  "https://www.googleapis.com/auth/cloud-platform"];

const tokens = new Map(); // token -> expiry (ms)
const buckets = new Map(); // bucket -> Map(name -> object)
const stats = { tokensIssued: 0, metadataTokensIssued: 0, unauthorized: 0, preconditionFailed: 0, issued: [] };
let generationCounter = 1000;

// CRC32C (Castagnoli), which GCS reports for every object and Google's clients
// check uploads and downloads against; base64 of the big-endian value.
const CRC32C_TABLE = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32c(data) {
  let c = 0xffffffff;
  for (const byte of data) c = CRC32C_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((c ^ 0xffffffff) >>> 0);
  return out.toString("base64");
}

function gcsError(res, code, reason, message) {
  const body = JSON.stringify({ error: { code, message, errors: [{ domain: "global", reason, message }] } });
  res.writeHead(code, { "Content-Type": "application/json; charset=UTF-8" });
  res.end(body);
}

function oauthError(res, code, error, description) {
  res.writeHead(code, { "Content-Type": "application/json" });
  res.end(JSON.stringify({ error, error_description: description }));
}

function b64urlJson(part) {
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
}

function issueToken(ttl = tokenTtl) {
  const token = "ya29.test-" + crypto.randomBytes(24).toString("hex");
  tokens.set(token, Date.now() + ttl * 1000);
  stats.issued.push(token); // so that tests can assert no token is ever printed
  return { access_token: token, expires_in: ttl, token_type: "Bearer" };
}

// RFC 7523 with Google's rules: the assertion is the only credential.
let keyRevoked = false;

function handleToken(req, res, body) {
  const form = new URLSearchParams(body.toString("utf8"));
  if (form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer")
    return oauthError(res, 400, "unsupported_grant_type", "Invalid grant_type");
  const assertion = form.get("assertion") || "";
  const parts = assertion.split(".");
  if (parts.length !== 3) return oauthError(res, 400, "invalid_grant", "Invalid JWT: not three parts");
  let header, claims;
  try {
    header = b64urlJson(parts[0]);
    claims = b64urlJson(parts[1]);
  } catch {
    return oauthError(res, 400, "invalid_grant", "Invalid JWT: not base64url JSON");
  }
  if (header.alg !== "RS256") return oauthError(res, 400, "invalid_grant", "Invalid JWT: alg must be RS256");
  if (header.kid !== undefined && header.kid !== account.private_key_id)
    return oauthError(res, 400, "invalid_grant", "Invalid JWT: unknown kid");
  const ok = crypto.verify("RSA-SHA256", Buffer.from(parts[0] + "." + parts[1]), publicKey,
    Buffer.from(parts[2], "base64url"));
  // A deleted key: Google answers its assertions as if they were forged.
  if (!ok || keyRevoked) return oauthError(res, 400, "invalid_grant", "Invalid JWT Signature.");
  const now = Math.floor(Date.now() / 1000);
  if (claims.iss !== account.client_email) return oauthError(res, 400, "invalid_grant", "Invalid JWT: iss");
  if (claims.aud !== account.token_uri) return oauthError(res, 400, "invalid_grant", "Invalid JWT: aud");
  if (!String(claims.scope || "").split(" ").some((s) => SCOPES.includes(s)))
    return oauthError(res, 400, "invalid_scope", "Invalid JWT: no storage scope");
  if (!(claims.iat <= now + 60 && claims.exp > now && claims.exp - claims.iat <= 3600))
    return oauthError(res, 400, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.");
  stats.tokensIssued++;
  res.writeHead(200, { "Content-Type": "application/json" });
  res.end(JSON.stringify(issueToken()));
}

function authorized(req, res) {
  const m = /^Bearer (\S+)$/.exec(req.headers.authorization || "");
  const expiry = m && tokens.get(m[1]);
  if (!expiry || expiry <= Date.now()) {
    stats.unauthorized++;
    gcsError(res, 401, "authError", m ? "Invalid Credentials" : "Anonymous caller does not have storage.objects access.");
    return false;
  }
  return true;
}

function resource(bucket, o) {
  return {
    kind: "storage#object", id: `${bucket}/${o.name}/${o.generation}`, name: o.name, bucket,
    generation: String(o.generation), metageneration: String(o.metageneration || 1), contentType: o.contentType,
    size: String(o.data.length), md5Hash: o.md5, crc32c: o.crc32c, etag: o.etag, updated: o.updated,
    timeCreated: o.created || o.updated,
    ...(o.metadata ? { metadata: o.metadata } : {}),
  };
}

function preconditionFails(url, existing) {
  const want = url.searchParams.get("ifGenerationMatch");
  if (want === null) return false;
  const have = existing ? String(existing.generation) : "0";
  return want !== have;
}

// multipart/related: a JSON metadata part, then the media part.
function parseMultipart(req, body) {
  const m = /boundary="?([^";]+)"?/.exec(req.headers["content-type"] || "");
  if (!m) return null;
  const delimiter = Buffer.from("--" + m[1]);
  const parts = [];
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    const start = at + delimiter.length;
    if (body.slice(start, start + 2).toString() === "--") break;
    const next = body.indexOf(delimiter, start);
    if (next === -1) return null;
    const part = body.slice(start + 2, next - 2); // skip CRLF after the delimiter and before the next
    const split = part.indexOf("\r\n\r\n");
    if (split === -1) return null;
    parts.push({ headers: part.slice(0, split).toString(), data: part.slice(split + 4) });
    at = next;
  }
  if (parts.length !== 2) return null;
  return { meta: JSON.parse(parts[0].data.toString("utf8")), data: parts[1].data, contentType: /content-type:\s*([^\r\n]+)/i.exec(parts[1].headers)?.[1] };
}

function handleStorage(req, res, url, body) {
  let m;
  if (req.method === "POST" && (m = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname))) {
    const bucket = decodeURIComponent(m[1]);
    const type = url.searchParams.get("uploadType");
    let name, data, contentType, metadata, declared = {};
    if (type === "media") {
      name = url.searchParams.get("name");
      data = body;
      contentType = req.headers["content-type"] || "application/octet-stream";
    } else if (type === "multipart") {
      const mp = parseMultipart(req, body);
      if (!mp) return gcsError(res, 400, "invalid", "Malformed multipart body.");
      name = mp.meta.name || url.searchParams.get("name");
      data = mp.data;
      contentType = mp.meta.contentType || mp.contentType || "application/octet-stream";
      metadata = mp.meta.metadata;
      declared = mp.meta;
    } else {
      return gcsError(res, 400, "invalid", `Unsupported uploadType: ${type}`);
    }
    if (!name) return gcsError(res, 400, "required", "Required parameter: name");
    // Like GCS: a checksum given with the upload must match the bytes received.
    const md5 = crypto.createHash("md5").update(data).digest("base64");
    if (declared.md5Hash !== undefined && declared.md5Hash !== md5)
      return gcsError(res, 400, "invalid", `Provided MD5 hash "${declared.md5Hash}" doesn't match calculated MD5 hash "${md5}".`);
    if (declared.crc32c !== undefined && declared.crc32c !== crc32c(data))
      return gcsError(res, 400, "invalid", `Provided CRC32C "${declared.crc32c}" doesn't match calculated CRC32C "${crc32c(data)}".`);
    if (req.headers["content-length"] !== undefined && Number(req.headers["content-length"]) !== body.length)
      return gcsError(res, 400, "invalid", "Content-Length does not match the body.");
    if (!buckets.has(bucket)) return gcsError(res, 404, "notFound", "The specified bucket does not exist.");
    const objects = buckets.get(bucket);
    if (preconditionFails(url, objects.get(name))) {
      stats.preconditionFailed++;
      return gcsError(res, 412, "conditionNotMet", "At least one of the pre-conditions you specified did not hold.");
    }
    const o = { name, data, contentType, metadata, generation: ++generationCounter,
      md5: crypto.createHash("md5").update(data).digest("base64"), crc32c: crc32c(data),
      updated: new Date().toISOString() };
    o.created = o.updated;
    o.etag = crypto.createHash("md5").update(o.md5 + o.generation).digest("base64");
    objects.set(name, o);
    res.writeHead(200, { "Content-Type": "application/json; charset=UTF-8" });
    return res.end(JSON.stringify(resource(bucket, o)));
  }
  if ((m = /^\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname)) && req.method === "GET") {
    const bucket = decodeURIComponent(m[1]);
    if (!buckets.has(bucket)) return gcsError(res, 404, "notFound", "The specified bucket does not exist.");
    const prefix = url.searchParams.get("prefix") || "";
    const max = Math.min(Number(url.searchParams.get("maxResults") || 1000), 1000);
    const after = url.searchParams.get("pageToken") ? Buffer.from(url.searchParams.get("pageToken"), "base64url").toString() : "";
    const names = [...buckets.get(bucket).keys()].filter((n) => n.startsWith(prefix) && n > after).sort();
    const page = names.slice(0, max);
    const out = { kind: "storage#objects", items: page.map((n) => resource(bucket, buckets.get(bucket).get(n))) };
    if (names.length > max) out.nextPageToken = Buffer.from(page[page.length - 1]).toString("base64url");
    res.writeHead(200, { "Content-Type": "application/json; charset=UTF-8" });
    return res.end(JSON.stringify(out));
  }
  if ((m = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(url.pathname))) {
    const bucket = decodeURIComponent(m[1]);
    const name = decodeURIComponent(m[2]);
    if (!buckets.has(bucket)) return gcsError(res, 404, "notFound", "The specified bucket does not exist.");
    const objects = buckets.get(bucket);
    const o = objects.get(name);
    if (!o) return gcsError(res, 404, "notFound", `No such object: ${bucket}/${name}`);
    if (preconditionFails(url, o)) {
      stats.preconditionFailed++;
      return gcsError(res, 412, "conditionNotMet", "At least one of the pre-conditions you specified did not hold.");
    }
    if (req.method === "DELETE") {
      objects.delete(name);
      res.writeHead(204);
      return res.end();
    }
    if (req.method === "PATCH") {
      // objects.patch: a metadata change moves `updated` and the
      // metageneration; the generation and timeCreated stay (as in GCS).
      let patch;
      try {
        patch = JSON.parse(body.toString("utf8"));
      } catch {
        return gcsError(res, 400, "parseError", "Parse Error");
      }
      if (!patch || typeof patch !== "object" || Array.isArray(patch)) return gcsError(res, 400, "invalid", "Invalid JSON payload.");
      for (const field of Object.keys(patch))
        if (field !== "metadata" && field !== "contentType")
          return gcsError(res, 400, "invalid", `This test server does not patch '${field}'.`);
      if (patch.contentType !== undefined) o.contentType = String(patch.contentType);
      if (patch.metadata !== undefined) {
        const merged = { ...(o.metadata || {}) };
        for (const [k, v] of Object.entries(patch.metadata || {})) {
          if (v === null) delete merged[k];
          else merged[k] = String(v);
        }
        o.metadata = merged;
      }
      o.metageneration = (o.metageneration || 1) + 1;
      o.updated = new Date().toISOString();
      res.writeHead(200, { "Content-Type": "application/json; charset=UTF-8" });
      return res.end(JSON.stringify(resource(bucket, o)));
    }
    // Without versioning only the live generation exists.
    if (url.searchParams.get("generation") !== null && url.searchParams.get("generation") !== String(o.generation))
      return gcsError(res, 404, "notFound", `No such object: ${bucket}/${name}#${url.searchParams.get("generation")}`);
    if (req.method === "GET" && url.searchParams.get("alt") === "media") {
      res.writeHead(200, { "Content-Type": o.contentType, "Content-Length": o.data.length,
        "x-goog-generation": String(o.generation), "x-goog-hash": `crc32c=${o.crc32c},md5=${o.md5}`, ETag: o.etag });
      return res.end(o.data);
    }
    if (req.method === "GET") {
      res.writeHead(200, { "Content-Type": "application/json; charset=UTF-8" });
      return res.end(JSON.stringify(resource(bucket, o)));
    }
  }
  return gcsError(res, 404, "notFound", `Not Found: ${req.method} ${url.pathname}`);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    const url = new URL(req.url, `http://127.0.0.1:${port}`);
    try {
      if (req.method === "POST" && url.pathname === "/token") return handleToken(req, res, body);
      if (url.pathname === "/computeMetadata/v1/instance/service-accounts/default/token") {
        if (req.headers["metadata-flavor"] !== "Google") {
          res.writeHead(403, { "Content-Type": "text/html" });
          return res.end("Missing Metadata-Flavor:Google header.");
        }
        stats.metadataTokensIssued++;
        res.writeHead(200, { "Content-Type": "application/json", "Metadata-Flavor": "Google" });
        return res.end(JSON.stringify(issueToken()));
      }
      if (url.pathname === "/_test/stats") {
        res.writeHead(200, { "Content-Type": "application/json" });
        return res.end(JSON.stringify(stats));
      }
      if (req.method === "POST" && url.pathname === "/_test/token") { // a token with its own lifetime
        res.writeHead(200, { "Content-Type": "application/json" });
        return res.end(JSON.stringify(issueToken(Number(url.searchParams.get("ttl") || tokenTtl))));
      }
      if (req.method === "POST" && url.pathname === "/_test/revoke") { // delete (on=1) or restore (on=0) the key
        keyRevoked = url.searchParams.get("on") === "1";
        if (keyRevoked) tokens.clear(); // and every token issued for it
        res.writeHead(204);
        return res.end();
      }
      if (req.method === "POST" && url.pathname === "/_test/corrupt") { // damage a stored object's bytes at rest
        const o = buckets.get(url.searchParams.get("bucket"))?.get(url.searchParams.get("name"));
        if (!o) { res.writeHead(404); return res.end(); }
        o.data = Buffer.from(o.data);
        o.data[Number(url.searchParams.get("offset") || 0)] ^= 0x20;
        res.writeHead(204);
        return res.end();
      }
      if (req.method === "POST" && url.pathname === "/_test/buckets") {
        buckets.set(url.searchParams.get("name"), buckets.get(url.searchParams.get("name")) || new Map());
        res.writeHead(201);
        return res.end();
      }
      if (!authorized(req, res)) return;
      return handleStorage(req, res, url, body);
    } catch (e) {
      return gcsError(res, 500, "backendError", String(e && e.message));
    }
  });
});
server.listen(port, "127.0.0.1", () => console.log(`listening on ${port}`));

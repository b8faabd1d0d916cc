// A fault-injecting HTTP/1.1 proxy for the tests: it forwards requests to one
// upstream byte for byte (request line and headers exactly as received, so
// SigV4 signatures over Host stay valid) and applies faults set over a
// control port. See README.md beside this file for the rule API.
//
//   node proxy.mjs --upstream http://127.0.0.1:PORT [--port P] [--control-port C]
//
// It is a TCP-level proxy that parses just enough HTTP to find message
// boundaries (Content-Length, chunked, close-delimited; 1xx interim responses
// such as "100 Continue" are relayed). One upstream connection per request;
// the client side may keep its connection alive. Only built-in modules.
// Logs one line per request to stderr; never header values (they hold
// Authorization) nor query values that look like credentials.
import net from "node:net";
import http from "node:http";

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const upstreamUrl = new URL(arg("--upstream", ""));
if (upstreamUrl.protocol !== "http:") {
  console.error("fault_proxy: --upstream http://HOST:PORT is required");
  process.exit(2);
}
const UPSTREAM = { host: upstreamUrl.hostname, port: Number(upstreamUrl.port || 80) };
let dataPort = Number(arg("--port", "0"));
const controlPort = Number(arg("--control-port", "0"));

const MAX_HEAD = 64 * 1024;
const HIGH_WATER = 256 * 1024;

// ---------------------------------------------------------------- state
let rules = []; // {match, times, skip, fault, fired, seen, re}
const stats = newStats();
function newStats() {
  return {
    requests: {}, // per method
    total_requests: 0,
    connections: 0,
    bytes: { client_to_proxy: 0, proxy_to_upstream: 0, upstream_to_proxy: 0, proxy_to_client: 0 },
    upstream_errors: 0,
  };
}
const liveSockets = new Set();

// ---------------------------------------------------------------- helpers
// Buffers a socket's input for sequential async reads, with backpressure.
class Reader {
  constructor(sock, counter) {
    this.sock = sock;
    this.chunks = [];
    this.len = 0;
    this.eof = false;
    this.wake = null;
    sock.on("data", (d) => {
      stats.bytes[counter] += d.length;
      this.chunks.push(d);
      this.len += d.length;
      if (this.len > HIGH_WATER) sock.pause();
      this.notify();
    });
    const done = () => { this.eof = true; this.notify(); };
    sock.on("end", done);
    sock.on("close", done);
    sock.on("error", done);
  }
  notify() {
    const w = this.wake;
    this.wake = null;
    if (w) w();
  }
  // Resolves on the next input or EOF.
  wait() {
    if (this.eof) return Promise.resolve();
    return new Promise((r) => { this.wake = r; });
  }
  take(n) {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.len = rest.length;
    if (this.len <= HIGH_WATER && this.sock.isPaused() && !this.sock.destroyed) this.sock.resume();
    return out;
  }
  // Bytes up to and including delim; null on EOF before any byte, throws on a
  // partial line at EOF or one longer than max.
  async readUntil(delim, max) {
    for (;;) {
      if (this.len > 0) {
        const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
        this.chunks = [all];
        const i = all.indexOf(delim);
        if (i >= 0) return this.take(i + delim.length);
        if (all.length > max) throw new Error("header section too long");
      }
      if (this.eof) {
        if (this.len === 0) return null;
        throw new Error("connection closed mid-header");
      }
      await this.wait();
    }
  }
  // Up to max bytes (at least one); null on EOF.
  async readSome(max) {
    for (;;) {
      if (this.len > 0 && this.chunks[0].length <= max) {
        const c = this.chunks.shift();
        this.len -= c.length;
        if (this.len <= HIGH_WATER && this.sock.isPaused() && !this.sock.destroyed) this.sock.resume();
        return c;
      }
      if (this.len > 0) return this.take(Math.min(max, this.len));
      if (this.eof) return null;
      await this.wait();
    }
  }
}

function write(sock, buf, counter) {
  return new Promise((resolve, reject) => {
    if (sock.destroyed || sock.writableEnded) return reject(new Error("socket closed"));
    stats.bytes[counter] += buf.length;
    sock.write(buf, (err) => (err ? reject(err) : resolve()));
  });
}
const toClient = (s, b) => write(s, b, "proxy_to_client");
const toUpstream = (s, b) => write(s, b, "proxy_to_upstream");

function rst(sock) {
  if (!sock || sock.destroyed) return;
  if (typeof sock.resetAndDestroy === "function") sock.resetAndDestroy();
  else sock.destroy();
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const closed = (sock) => (sock.destroyed ? Promise.resolve() : new Promise((r) => sock.once("close", r)));

function parseHead(buf) {
  const text = buf.toString("latin1");
  const lines = text.slice(0, -4).split("\r\n");
  const first = lines.shift();
  const headers = [];
  for (const l of lines) {
    const c = l.indexOf(":");
    if (c <= 0) throw new Error("malformed header line");
    headers.push([l.slice(0, c).trim().toLowerCase(), l.slice(c + 1).trim()]);
  }
  const get = (name) => headers.filter(([n]) => n === name).map(([, v]) => v);
  return { first, headers, get };
}

function framing(head, { isResponse, status, method }) {
  if (isResponse && (method === "HEAD" || (status >= 100 && status < 200) || status === 204 || status === 304))
    return { kind: "none" };
  const te = head.get("transfer-encoding").join(",").toLowerCase();
  if (te) {
    if (te.split(",").map((s) => s.trim()).pop() === "chunked") return { kind: "chunked" };
    return isResponse ? { kind: "close" } : { kind: "bad" };
  }
  const cl = head.get("content-length");
  if (cl.length) {
    const n = Number(cl[0]);
    if (!/^\d+$/.test(cl[0]) || cl.some((v) => v !== cl[0])) return { kind: "bad" };
    return { kind: "length", n };
  }
  return isResponse ? { kind: "close" } : { kind: "none" };
}

// Yields {buf, payload} segments of one message body as they arrive:
// payload segments carry body bytes, the others chunked framing.
async function* bodySegments(reader, fr) {
  if (fr.kind === "none") return;
  if (fr.kind === "length" || fr.kind === "close") {
    let left = fr.kind === "length" ? fr.n : Infinity;
    while (left > 0) {
      const b = await reader.readSome(Math.min(left, 64 * 1024));
      if (!b) {
        if (fr.kind === "close") return;
        throw new Error("connection closed mid-body");
      }
      left -= b.length;
      yield { buf: b, payload: true };
    }
    return;
  }
  // chunked
  for (;;) {
    const line = await reader.readUntil("\r\n", 4096);
    if (!line) throw new Error("connection closed mid-body");
    yield { buf: line, payload: false };
    const size = parseInt(line.toString("latin1").split(";")[0].trim(), 16);
    if (!Number.isFinite(size) || size < 0) throw new Error("bad chunk size");
    if (size === 0) {
      for (;;) { // trailers, up to the empty line
        const t = await reader.readUntil("\r\n", MAX_HEAD);
        if (!t) throw new Error("connection closed in trailers");
        yield { buf: t, payload: false };
        if (t.length === 2) return;
      }
    }
    let left = size;
    while (left > 0) {
      const b = await reader.readSome(Math.min(left, 64 * 1024));
      if (!b) throw new Error("connection closed mid-chunk");
      left -= b.length;
      yield { buf: b, payload: true };
    }
    const crlf = await reader.readUntil("\r\n", 2);
    if (!crlf || crlf.length !== 2) throw new Error("bad chunk end");
    yield { buf: crlf, payload: false };
  }
}

// The path for the log: query values of credential-like parameters hidden.
function logPath(target) {
  const q = target.indexOf("?");
  if (q < 0) return target;
  const parts = target.slice(q + 1).split("&").map((p) => {
    const e = p.indexOf("=");
    const k = e < 0 ? p : p.slice(0, e);
    return /sig|cred|token|key|auth|secret|session/i.test(k) && e >= 0 ? `${k}=REDACTED` : p;
  });
  return target.slice(0, q + 1) + parts.join("&");
}
function pathOf(target) {
  if (/^https?:\/\//i.test(target)) {
    try { const u = new URL(target); return u.pathname + u.search; } catch { return target; }
  }
  return target;
}

// ---------------------------------------------------------------- faults
const REQ_ID = () => Math.random().toString(16).slice(2, 10).toUpperCase().padEnd(8, "0");
const PRESETS = {
  s3_slowdown: () => s3Error(503, "SlowDown", "Please reduce your request rate."),
  s3_internal: () => s3Error(500, "InternalError", "We encountered an internal error. Please try again."),
  gcs_503: () => gcsError(503, "backendError", "We encountered an internal error. Please try again."),
  gcs_429: () => gcsError(429, "rateLimitExceeded",
    "The object exceeded the rate limit for object mutation operations (create, update, and delete). " +
    "Please reduce your request rate. See https://cloud.google.com/storage/docs/gcs429."),
};
function s3Error(status, code, message) {
  const id = REQ_ID() + REQ_ID();
  return {
    status,
    headers: { "Content-Type": "application/xml", "x-amz-request-id": id, "x-amz-id-2": id + "=", Server: "AmazonS3" },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>` +
      `<RequestId>${id}</RequestId><HostId>${id}=</HostId></Error>`,
  };
}
function gcsError(status, reason, message) {
  return {
    status,
    headers: { "Content-Type": "application/json; charset=UTF-8", "X-GUploader-UploadID": "fault-proxy-" + REQ_ID() },
    body: JSON.stringify({ error: { code: status, message, errors: [{ message, domain: "global", reason }] } }),
  };
}

const FAULT_TYPES = new Set(["reset_request", "reset_response", "stall", "status", "truncate", "corrupt", "skew_date", "delay",
  "hold_request", "precondition_ignored"]);
function compileRules(list) {
  if (!Array.isArray(list)) throw new Error("rules must be a JSON array");
  return list.map((r, i) => {
    if (!r || typeof r !== "object" || !r.fault || !FAULT_TYPES.has(r.fault.type))
      throw new Error(`rule ${i}: fault.type must be one of ${[...FAULT_TYPES].join(", ")}`);
    const m = r.match || {};
    const f = r.fault;
    if (f.type === "status" && f.preset && !PRESETS[f.preset]) throw new Error(`rule ${i}: unknown preset ${f.preset}`);
    if (f.type === "status" && !f.preset && !f.status) throw new Error(`rule ${i}: status needs "status" or "preset"`);
    if (f.type === "stall" && f.phase && !["before_response", "mid_response"].includes(f.phase))
      throw new Error(`rule ${i}: stall phase is before_response or mid_response`);
    return {
      match: m,
      method: m.method ? String(m.method).toUpperCase() : null,
      re: m.path !== undefined ? new RegExp(m.path) : null,
      times: r.times === undefined || r.times === null ? Infinity : Number(r.times),
      skip: Number(r.skip || 0),
      fault: f,
      seen: 0,
      fired: 0,
    };
  });
}
function pickRule(method, path) {
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i];
    if (r.method && r.method !== method) continue;
    if (r.re && !r.re.test(path)) continue;
    if (r.fired >= r.times) continue;
    r.seen++;
    if (r.seen <= r.skip) continue;
    r.fired++;
    return { index: i, fault: r.fault };
  }
  return null;
}

function skewHead(headBuf, seconds) {
  const lines = headBuf.toString("latin1").slice(0, -4).split("\r\n");
  let found = false;
  for (let i = 1; i < lines.length; i++) {
    const c = lines[i].indexOf(":");
    if (lines[i].slice(0, c).trim().toLowerCase() !== "date") continue;
    const t = Date.parse(lines[i].slice(c + 1).trim());
    lines[i] = `${lines[i].slice(0, c)}: ${new Date((Number.isNaN(t) ? Date.now() : t) + seconds * 1000).toUTCString()}`;
    found = true;
  }
  if (!found) lines.push(`Date: ${new Date(Date.now() + seconds * 1000).toUTCString()}`);
  return Buffer.from(lines.join("\r\n") + "\r\n\r\n", "latin1");
}

// ---------------------------------------------------------------- proxying
function logLine(method, target, outcome, picked) {
  const f = picked ? ` fault=${picked.fault.type}${picked.fault.preset ? ":" + picked.fault.preset : ""} rule=${picked.index}` : "";
  process.stderr.write(`fault_proxy: ${method} ${logPath(target)} -> ${outcome}${f}\n`);
}

async function simpleResponse(client, status, headers, body, method, keepAlive) {
  const b = Buffer.from(body, "utf8");
  const h = { Date: new Date().toUTCString(), ...headers, "Content-Length": String(b.length) };
  if (!keepAlive) h.Connection = "close";
  let head = `HTTP/1.1 ${status} ${http.STATUS_CODES[status] || "Status"}\r\n`;
  for (const [k, v] of Object.entries(h)) head += `${k}: ${v}\r\n`;
  await toClient(client, Buffer.from(head + "\r\n", "latin1"));
  if (method !== "HEAD" && b.length) await toClient(client, b);
}

// Handles one request from the client; resolves true when the client
// connection can carry another request.
async function handleRequest(client, creader, headBuf) {
  const head = parseHead(headBuf);
  const m = /^([A-Z]+) (\S+) HTTP\/1\.([01])$/.exec(head.first);
  if (!m) throw new Error("malformed request line");
  const [, method, target, minor] = m;
  const path = pathOf(target);
  stats.total_requests++;
  stats.requests[method] = (stats.requests[method] || 0) + 1;
  const conn = head.get("connection").join(",").toLowerCase();
  let keepAlive = minor === "1" ? !conn.includes("close") : conn.includes("keep-alive");
  const reqFr = framing(head, { isResponse: false });
  if (reqFr.kind === "bad") {
    await simpleResponse(client, 400, {}, "bad request framing\n", method, false);
    logLine(method, target, "400 (bad framing)", null);
    return false;
  }
  const expects = head.get("expect").some((v) => v.toLowerCase() === "100-continue");
  const picked = pickRule(method, path);
  const fault = picked ? picked.fault : null;

  if (fault && fault.type === "status") {
    const p = fault.preset ? PRESETS[fault.preset]() : { status: 0, headers: {}, body: "" };
    const status = Number(fault.status || p.status);
    const headers = { ...p.headers, ...(fault.headers || {}) };
    const body = fault.body !== undefined ? String(fault.body) : p.body;
    if (expects && reqFr.kind !== "none") await toClient(client, Buffer.from("HTTP/1.1 100 Continue\r\n\r\n"));
    for await (const _ of bodySegments(creader, reqFr)); // read and discard
    await simpleResponse(client, status, headers, body, method, keepAlive);
    logLine(method, target, String(status), picked);
    return keepAlive;
  }

  const upstream = net.connect(UPSTREAM);
  upstream.setNoDelay(true);
  const connected = await new Promise((resolve) => {
    upstream.once("connect", () => resolve(true));
    upstream.once("error", () => resolve(false));
  });
  if (!connected) {
    stats.upstream_errors++;
    for await (const _ of bodySegments(creader, reqFr));
    await simpleResponse(client, 502, { "Content-Type": "text/plain" }, "fault_proxy: upstream unreachable\n", method, keepAlive);
    logLine(method, target, "502 (upstream unreachable)", picked);
    return keepAlive;
  }
  const ureader = new Reader(upstream, "upstream_to_proxy");
  upstream.on("error", () => {});
  // A client that goes away takes its upstream connection with it (every
  // path below ends by closing the upstream connection).
  const onClientClose = () => upstream.destroy();
  client.once("close", onClientClose);
  upstream.once("close", () => client.removeListener("close", onClientClose));
  let outcome = null;
  let resetDone = false;

  // Request: head and body to upstream, as received.
  let requestDone = false;
  const pump = (async () => {
    if (fault && fault.type === "hold_request") await sleep(Number(fault.ms || 0));
    await toUpstream(upstream, headBuf);
    let sent = 0;
    const limit = fault && fault.type === "reset_request" ? Number(fault.after_bytes || 0) : Infinity;
    const resetNow = async () => {
      await sleep(20); // let the bytes written so far leave first
      outcome = `reset after ${sent} request body bytes`;
      resetDone = true;
      rst(client);
      rst(upstream);
    };
    if (limit === 0) return resetNow();
    for await (const seg of bodySegments(creader, reqFr)) {
      if (!seg.payload) { await toUpstream(upstream, seg.buf); continue; }
      const n = Math.min(seg.buf.length, limit - sent);
      await toUpstream(upstream, n === seg.buf.length ? seg.buf : seg.buf.subarray(0, n));
      sent += n;
      if (sent >= limit) return resetNow();
    }
    if (limit !== Infinity) return resetNow(); // body shorter than after_bytes: reset before any response
    requestDone = true;
  })();
  // Settles true once the whole request went upstream, false on failure.
  const pumped = pump.then(() => requestDone, () => { if (!resetDone) upstream.destroy(); return false; });

  if (fault && fault.type === "reset_request") {
    // Interim responses ("100 Continue") are relayed so that the client sends
    // its body; no byte of the final response is.
    (async () => {
      for (;;) {
        const b = await ureader.readUntil("\r\n\r\n", MAX_HEAD);
        if (!b || resetDone || !/^HTTP\/1\.[01] 1(?!01)\d\d/.test(b.toString("latin1"))) return;
        await toClient(client, b);
      }
    })().catch(() => {});
    await pumped;
    if (!resetDone) { rst(client); rst(upstream); outcome = "reset (request failed first)"; }
    logLine(method, target, outcome, picked);
    return false;
  }

  try {
    // Response: interim 1xx heads, then the final one.
    let rhead, rbuf, status;
    for (;;) {
      rbuf = await ureader.readUntil("\r\n\r\n", MAX_HEAD);
      if (!rbuf) throw new Error(resetDone ? "reset" : "upstream closed before responding");
      rhead = parseHead(rbuf);
      const sm = /^HTTP\/1\.[01] (\d{3})/.exec(rhead.first);
      if (!sm) throw new Error("malformed status line");
      status = Number(sm[1]);
      if (status >= 100 && status < 200 && status !== 101) {
        await toClient(client, rbuf);
        continue;
      }
      break;
    }
    if (status === 101) throw new Error("protocol upgrades are not supported");
    const resFr = framing(rhead, { isResponse: true, status, method });
    const rconn = rhead.get("connection").join(",").toLowerCase();
    if (rconn.includes("close") || resFr.kind === "close") keepAlive = false;

    if (fault && fault.type === "stall" && (fault.phase || "before_response") === "before_response") {
      outcome = `stalled before ${status} response`;
      logLine(method, target, outcome, picked);
      await closed(client);
      upstream.destroy();
      return false;
    }
    if (fault && fault.type === "precondition_ignored" && status === 412) {
      // What a store that ignores If-Match/If-None-Match shows its client: the
      // write "succeeded" (the rule's status, headers and body).
      for await (const _ of bodySegments(ureader, resFr));
      upstream.destroy();
      await simpleResponse(client, Number(fault.status || 200), fault.headers || {}, String(fault.body ?? ""), method, keepAlive);
      logLine(method, target, `412 answered as ${Number(fault.status || 200)}`, picked);
      const whole = await Promise.race([pumped, sleep(200).then(() => false)]);
      return whole && keepAlive;
    }
    if (fault && fault.type === "delay") await sleep(Number(fault.ms || 0));
    if (fault && fault.type === "skew_date") rbuf = skewHead(rbuf, Number(fault.seconds || 0));
    await toClient(client, rbuf);

    let off = 0; // payload offset
    const cut = fault && ["reset_response", "truncate", "stall"].includes(fault.type)
      ? Number(fault.type === "truncate" ? fault.keep_bytes || 0 : fault.after_bytes || 0) : Infinity;
    const corruptAt = fault && fault.type === "corrupt" ? Number(fault.offset || 0) : -1;
    let cutHit = cut === 0;
    if (!cutHit) {
      for await (const seg of bodySegments(ureader, resFr)) {
        if (!seg.payload) { await toClient(client, seg.buf); continue; }
        let b = seg.buf;
        if (corruptAt >= off && corruptAt < off + b.length) {
          b = Buffer.from(b);
          b[corruptAt - off] ^= Number(fault.xor ?? 0x01) & 0xff || 0x01;
        }
        if (off + b.length >= cut) {
          b = b.subarray(0, cut - off);
          if (b.length) await toClient(client, b);
          off += b.length;
          cutHit = true;
          break;
        }
        await toClient(client, b);
        off += b.length;
      }
    }
    if (fault && cutHit && fault.type !== "corrupt") {
      upstream.destroy();
      if (fault.type === "truncate") {
        outcome = `${status}, truncated after ${off} body bytes`;
        logLine(method, target, outcome, picked);
        await Promise.race([new Promise((r) => client.end(r)), closed(client)]); // FIN after the bytes
        return false;
      }
      if (fault.type === "reset_response") {
        await sleep(20);
        outcome = `${status}, reset after ${off} body bytes`;
        logLine(method, target, outcome, picked);
        rst(client);
        return false;
      }
      outcome = `${status}, stalled after ${off} body bytes`;
      logLine(method, target, outcome, picked);
      await closed(client);
      return false;
    }
    upstream.destroy();
    const short = fault && (fault.type === "corrupt" ? off <= corruptAt : cut !== Infinity);
    logLine(method, target, short ? `${status} (body too short for the fault: passed whole)` : String(status), picked);
    // If the upstream answered before the whole request body arrived, the
    // client connection cannot carry another request.
    const whole = await Promise.race([pumped, sleep(200).then(() => false)]);
    return whole && keepAlive;
  } catch (e) {
    if (resetDone) {
      logLine(method, target, outcome, picked);
      return false;
    }
    logLine(method, target, `error (${e.message})`, picked);
    upstream.destroy();
    client.destroy();
    return false;
  }
}

async function handleClient(client) {
  stats.connections++;
  liveSockets.add(client);
  client.on("close", () => liveSockets.delete(client));
  client.on("error", () => {});
  client.setNoDelay(true);
  const creader = new Reader(client, "client_to_proxy");
  client.fpReader = creader;
  try {
    for (;;) {
      client.fpIdle = true; // between requests: /close ends it
      const headBuf = await creader.readUntil("\r\n\r\n", MAX_HEAD);
      client.fpIdle = false;
      if (!headBuf) break;
      if (!(await handleRequest(client, creader, headBuf))) break;
    }
    if (!client.destroyed) client.end();
  } catch (e) {
    process.stderr.write(`fault_proxy: connection error (${e.message})\n`);
    client.destroy();
  }
}

// ---------------------------------------------------------------- servers
let dataServer = null;
function openData() {
  return new Promise((resolve, reject) => {
    const s = net.createServer(handleClient);
    s.once("error", reject);
    s.listen(dataPort, "127.0.0.1", () => {
      s.removeListener("error", reject);
      s.on("error", (e) => process.stderr.write(`fault_proxy: ${e.message}\n`));
      dataPort = s.address().port;
      dataServer = s;
      resolve();
    });
  });
}
// Stops listening and closes idle keep-alive connections (FIN), as a server
// going down would, so that clients cannot reuse them; drop: resets every
// connection, in-flight requests too.
function closeData(drop) {
  if (dataServer) dataServer.close();
  dataServer = null;
  for (const s of liveSockets) {
    if (drop) rst(s);
    else if (s.fpIdle && s.fpReader.len === 0) s.destroy();
  }
}

function reply(res, code, obj) {
  const body = JSON.stringify(obj) + "\n";
  res.writeHead(code, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}
const control = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", async () => {
    const url = new URL(req.url, "http://x");
    const body = Buffer.concat(chunks).toString("utf8");
    try {
      if (url.pathname === "/rules" && req.method === "POST") {
        rules = compileRules(JSON.parse(body || "[]"));
        return reply(res, 200, { rules: rules.length });
      }
      if (url.pathname === "/rules" && req.method === "DELETE") {
        rules = [];
        return reply(res, 200, { rules: 0 });
      }
      if (url.pathname === "/rules" && req.method === "GET")
        return reply(res, 200, rules.map((r, index) => ({ index, match: r.match, times: r.times === Infinity ? null : r.times, skip: r.skip, fault: r.fault, fired: r.fired })));
      if (url.pathname === "/stats" && req.method === "GET")
        return reply(res, 200, {
          ...stats,
          listening: dataServer !== null,
          open_connections: liveSockets.size,
          port: dataPort,
          rules: rules.map((r, index) => ({ index, type: r.fault.type, fired: r.fired, seen: r.seen,
            remaining: r.times === Infinity ? null : r.times - r.fired })),
        });
      if (url.pathname === "/stats" && req.method === "DELETE") {
        Object.assign(stats, newStats());
        for (const r of rules) { r.fired = 0; r.seen = 0; }
        return reply(res, 200, {});
      }
      if (url.pathname === "/close" && req.method === "POST") {
        closeData(url.searchParams.get("drop") === "1");
        return reply(res, 200, { listening: false, port: dataPort });
      }
      if (url.pathname === "/open" && req.method === "POST") {
        if (!dataServer) await openData();
        return reply(res, 200, { listening: true, port: dataPort });
      }
      return reply(res, 404, { error: "no such control endpoint" });
    } catch (e) {
      return reply(res, 400, { error: e.message });
    }
  });
});

process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
try {
  await openData();
  await new Promise((resolve, reject) => {
    control.once("error", reject);
    control.listen(controlPort, "127.0.0.1", resolve);
  });
} catch (e) {
  console.error(`fault_proxy: cannot listen: ${e.message}`);
  process.exit(1);
}
process.stderr.write(`fault_proxy: listening on ${dataPort} control ${control.address().port} upstream ${UPSTREAM.host}:${UPSTREAM.port}\n`);

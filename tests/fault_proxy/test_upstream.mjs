// A tiny upstream for tests/integration/fault_proxy_test.sh:
//   node test_upstream.mjs --port P --file PATH
//   GET|HEAD /file       PATH's bytes, with Content-Length
//   GET /chunked         the same bytes, chunked
//   GET /close-delimited the same bytes, no length, ends with the connection
//   GET /headers         JSON: the Host header and every header as received
//   PUT|POST any path    reads the body; JSON {sha256, length, expect}
//   GET /_log            JSON: every request seen (method, path, complete, received,
//                        and for complete ones length and sha256)
import http from "node:http";
import crypto from "node:crypto";
import fs from "node:fs";

const arg = (n) => process.argv[process.argv.indexOf(n) + 1];
const port = Number(arg("--port"));
const file = fs.readFileSync(arg("--file"));
const log = [];

const server = http.createServer((req, res) => {
  const entry = { method: req.method, path: req.url, complete: false };
  const route = req.url.split("?")[0];
  log.push(entry);
  const hash = crypto.createHash("sha256");
  let length = 0;
  req.on("data", (d) => { hash.update(d); length += d.length; entry.received = length; });
  req.on("end", () => {
    entry.complete = true;
    entry.length = length;
    entry.sha256 = hash.digest("hex");
    const json = (obj) => {
      const b = JSON.stringify(obj);
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(b) });
      res.end(b);
    };
    if (req.method === "PUT" || req.method === "POST")
      return json({ sha256: entry.sha256, length, expect: req.headers.expect || null });
    if (route === "/file") {
      res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": file.length });
      return res.end(req.method === "HEAD" ? undefined : file);
    }
    if (route === "/chunked") {
      res.writeHead(200, { "Content-Type": "application/octet-stream" }); // no length: chunked
      for (let i = 0; i < file.length; i += 10000) res.write(file.subarray(i, i + 10000));
      return res.end();
    }
    if (route === "/close-delimited") {
      res.socket.write("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n");
      return res.socket.end(file);
    }
    if (route === "/headers") return json({ host: req.headers.host, rawHeaders: req.rawHeaders });
    if (route === "/_log") return json(log.filter((e) => e.path !== "/_log"));
    res.writeHead(404, { "Content-Length": 0 });
    res.end();
  });
});
server.listen(port, "127.0.0.1", () => process.stderr.write(`test_upstream: listening on ${port}\n`));
process.on("SIGTERM", () => process.exit(0));

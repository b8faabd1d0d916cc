// Local stand-ins for the AWS credential endpoints, for the credential chain's
// tests (none of the real ones can run here):
//  * EC2 IMDSv2: PUT /latest/api/token (needs the TTL header), then the role
//    name and its credentials, each only with a valid session token (401 else);
//  * ECS: GET /ecs/credentials, only with the expected Authorization header;
//  * STS: GET /?Action=AssumeRoleWithWebIdentity, only with the expected web
//    identity token, answering in AWS's XML (errors too);
//  * anything under /hang never answers;
//  * /expiring-bucket/...: an S3 path-style stand-in for one failure only: the
//    first --s3-expire requests (default 1) get S3's 400 ExpiredToken, later
//    ones 200 (it stores nothing and checks no signature; the real S3 in the
//    suite is RGW, which cannot expire tokens). It records the tokens used.
// --session-token rotate: each credential answer carries a new token (tok-N).
// Credentials expire after --ttl seconds. GET /_test/stats counts the calls.
//   node server.mjs --port P --access-key K --secret-key S [--session-token T] [--ttl 3600]
//                   [--role R] [--ecs-auth A] [--web-identity-token W] [--region R] [--s3-expire N]
import crypto from "node:crypto";
import http from "node:http";

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, v, i, a) => {
  if (v.startsWith("--")) acc.push([v.slice(2), a[i + 1] ?? ""]);
  return acc;
}, []));
const port = Number(args.port);
const ttl = Number(args.ttl || 3600);
const role = args.role || "kong-backup-role";
const stats = { imdsTokens: 0, imdsCredentials: 0, ecsCredentials: 0, stsCalls: 0, refused: 0, s3Requests: 0, s3Expired: 0,
  s3Tokens: [] };
const s3Expire = Number(args["s3-expire"] ?? 1);
let issued = 0;
const sessions = new Set();

function credentials() {
  const token = args["session-token"] === "rotate" ? `tok-${++issued}` : args["session-token"] || "";
  return { AccessKeyId: args["access-key"], SecretAccessKey: args["secret-key"], Token: token,
    Expiration: new Date(Date.now() + ttl * 1000).toISOString().replace(/\.\d+Z$/, "Z") };
}

function send(res, code, type, body) {
  res.writeHead(code, { "Content-Type": type });
  res.end(body);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, `http://127.0.0.1:${port}`);
  req.resume();
  req.on("end", () => {
    if (url.pathname.startsWith("/hang")) return; // never answers
    if (url.pathname === "/_test/stats") return send(res, 200, "application/json", JSON.stringify(stats));
    if (url.pathname.startsWith("/expiring-bucket/")) {
      stats.s3Requests++;
      stats.s3Tokens.push(req.headers["x-amz-security-token"] || "");
      // The region the request was signed for: Credential=<key>/<date>/<region>/s3/aws4_request
      stats.s3Regions = stats.s3Regions || [];
      stats.s3Regions.push((/Credential=[^/]+\/\d+\/([^/]+)\//.exec(req.headers.authorization || "") || [])[1] || "");
      if (stats.s3Expired < s3Expire) {
        stats.s3Expired++;
        return send(res, 400, "application/xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message><RequestId>r-3</RequestId></Error>");
      }
      res.writeHead(200, { ETag: '"0"' });
      return res.end();
    }
    if (req.method === "PUT" && url.pathname === "/latest/api/token") {
      if (!req.headers["x-aws-ec2-metadata-token-ttl-seconds"]) return send(res, 400, "text/plain", "Missing TTL header");
      const token = crypto.randomBytes(16).toString("hex");
      sessions.add(token);
      stats.imdsTokens++;
      return send(res, 200, "text/plain", token);
    }
    if (url.pathname.startsWith("/latest/meta-data/")) {
      if (!sessions.has(req.headers["x-aws-ec2-metadata-token"])) {
        stats.refused++;
        return send(res, 401, "text/plain", "Unauthorized"); // IMDSv2 only: no token, no answer
      }
      if (url.pathname === "/latest/meta-data/iam/security-credentials/") return send(res, 200, "text/plain", role);
      if (url.pathname === "/latest/meta-data/placement/region") return send(res, 200, "text/plain", args.region || "us-east-1");
      if (url.pathname === `/latest/meta-data/iam/security-credentials/${role}`) {
        stats.imdsCredentials++;
        return send(res, 200, "text/plain", JSON.stringify({ Code: "Success", Type: "AWS-HMAC", ...credentials() }));
      }
      return send(res, 404, "text/plain", "Not Found");
    }
    if (url.pathname === "/ecs/credentials") {
      if (args["ecs-auth"] && req.headers.authorization !== args["ecs-auth"]) {
        stats.refused++;
        return send(res, 403, "application/json", JSON.stringify({ code: "AccessDenied" }));
      }
      stats.ecsCredentials++;
      return send(res, 200, "application/json", JSON.stringify({ RoleArn: "arn:aws:iam::1:role/task", ...credentials() }));
    }
    if (url.searchParams.get("Action") === "AssumeRoleWithWebIdentity") {
      stats.stsCalls++;
      const error = (code, message) => send(res, 400, "text/xml",
        `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`);
      if (!url.searchParams.get("RoleArn") || !url.searchParams.get("RoleSessionName")) return error("ValidationError", "RoleArn and RoleSessionName are required");
      if (url.searchParams.get("WebIdentityToken") !== args["web-identity-token"]) {
        stats.refused++;
        return error("InvalidIdentityToken", "The web identity token that was passed could not be validated by AWS.");
      }
      const c = credentials();
      return send(res, 200, "text/xml", `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <Credentials><AccessKeyId>${c.AccessKeyId}</AccessKeyId><SecretAccessKey>${c.SecretAccessKey}</SecretAccessKey><SessionToken>${c.Token}</SessionToken><Expiration>${c.Expiration}</Expiration></Credentials>
    <AssumedRoleUser><Arn>${url.searchParams.get("RoleArn")}/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>`);
    }
    send(res, 404, "text/plain", "Not Found");
  });
});
server.listen(port, "127.0.0.1", () => console.log(`listening on ${port}`));

// Google's official Node client, @google-cloud/storage, against the strict
// test server: it must get its token with the service account (the server
// verifies the JWT), upload, download, read metadata, list, and meet the
// server's ifGenerationMatch, so the server speaks GCS's protocol. Given an
// object the fallback-config CLI uploaded, it also reads that.
//   node official_client_test.mjs ENDPOINT BUCKET [CLI_OBJECT EXPECTED_FILE UPLOADER]
import fs from "node:fs";
import { Storage } from "@google-cloud/storage";
import { Compute } from "google-auth-library";

const [endpoint, bucketName, cliObject, expectedFile, uploader] = process.argv.slice(2);
let passed = 0, failed = 0;
function check(ok, what, detail) {
  if (ok) { passed++; console.log(`ok - ${what}`); } else { failed++; console.log(`not ok - ${what}${detail ? `\n  # ${detail}` : ""}`); }
}

// Google's auth library signs service-account JWTs for its own token URL, not
// the key's token_uri, so it cannot be pointed at this server that way; its
// GCE flow can: Compute fetches tokens from the metadata server that
// GCE_METADATA_HOST names (this server), with Metadata-Flavor: Google.
// useAuthWithCustomEndpoint: otherwise a custom endpoint is taken for an
// emulator and sent no credentials; this server checks them like GCS.
process.env.GCE_METADATA_HOST = new URL(endpoint).host;
// The endpoint is given explicitly; the client would read STORAGE_EMULATOR_HOST
// differently (as a base URL with its own path rules).
delete process.env.STORAGE_EMULATOR_HOST;
const storage = new Storage({ apiEndpoint: endpoint, projectId: "fc-test", useAuthWithCustomEndpoint: true,
  authClient: new Compute(), retryOptions: { autoRetry: false } });
const bucket = storage.bucket(bucketName);
const body = JSON.stringify({ _format_version: "3.0", services: [{ name: "from-node", url: "http://n" }] });
const file = bucket.file("node/3.9.1.0/config.json");

try {
  await file.save(body, { resumable: false, contentType: "application/json", metadata: { metadata: { uploader: "node-client" } } });
  check(true, "the official client uploads (with a token from the metadata server)");
} catch (e) {
  check(false, "the official client uploads", e.message);
}
try {
  const [data] = await file.download();
  check(data.toString() === body, "the official client downloads the same bytes", data.toString().slice(0, 80));
  const [meta] = await file.getMetadata();
  check(meta.metadata && meta.metadata.uploader === "node-client", "it reads the object's custom metadata", JSON.stringify(meta.metadata));
  check(Number(meta.size) === Buffer.byteLength(body), "size is reported as GCS does (a string of the byte count)", meta.size);
  const [files] = await bucket.getFiles({ prefix: "node/" });
  check(files.length === 1 && files[0].name === "node/3.9.1.0/config.json", "it lists by prefix", files.map((f) => f.name).join(","));
  let code;
  try {
    await file.save(body, { resumable: false, preconditionOpts: { ifGenerationMatch: 1 } });
  } catch (e) {
    code = e.code;
  }
  check(code === 412, "a failed ifGenerationMatch is a 412 to the client", String(code));
  // A metadata patch (Kong EE's election refresh) moves `updated`, keeps timeCreated and the generation.
  await new Promise((r) => setTimeout(r, 20));
  const [patched] = await file.setMetadata({ metadata: { refreshed: "1" } });
  check(patched.metadata.refreshed === "1" && patched.metadata.uploader === "node-client",
    "the official client patches custom metadata, keeping the rest", JSON.stringify(patched.metadata));
  check(patched.generation === meta.generation && patched.timeCreated === meta.timeCreated && patched.updated > meta.updated,
    "a patch moves updated, keeps timeCreated and the generation",
    `${meta.generation}/${patched.generation} ${meta.timeCreated}/${patched.timeCreated} ${meta.updated}/${patched.updated}`);
  let missing;
  try {
    await bucket.file("nope.json").download();
  } catch (e) {
    missing = e.code;
  }
  check(missing === 404, "a missing object is a 404 to the client", String(missing));
  if (cliObject) {
    const [cliData] = await bucket.file(cliObject).download();
    check(cliData.equals(fs.readFileSync(expectedFile)), "the official client reads what fallback-config uploaded");
    const [cliMeta] = await bucket.file(cliObject).getMetadata();
    check(cliMeta.metadata && cliMeta.metadata.uploader === uploader, "and sees its uploader", JSON.stringify(cliMeta.metadata));
    check(cliMeta.contentType === "application/json", "and its content type", cliMeta.contentType);
  }
} catch (e) {
  check(false, "the official client's calls", e.stack);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

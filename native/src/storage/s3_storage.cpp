#include "storage/s3_storage.h"

#include <ctime>

#include "storage/s3_chunked_upload.h"
#include "storage/s3_errors.h"
#include "storage/s3_xml.h"
#include "util/error.h"
#include "util/strings.h"
#include "util/time.h"
#include "util/uri.h"

namespace fc {

// Chunks of a streaming upload: small enough to keep memory flat and the JSON
// check's gate fine-grained, large enough that signing them costs nothing.
constexpr size_t kUploadChunkSize = 256 * 1024;

namespace {

std::shared_ptr<AwsCredentialChain> credential_chain(const Settings &settings) {
  AwsChainSettings chain = settings.aws_chain;
  chain.environment = settings.credentials;
  chain.region = settings.region;
  return std::make_shared<AwsCredentialChain>(std::move(chain));
}

}  // namespace

S3Storage::S3Storage(Location location, const Settings &settings)
    : location_(std::move(location)),
      credentials_(credential_chain(settings)),
      endpoint_(settings.endpoint),
      region_from_instance_(settings.region.empty() && credentials_->shared_config_region().empty()),
      // No region variable: the shared config file's, as the SDKs do.
      addressing_(resolve_s3_addressing(location_.bucket,
                                        settings.region.empty() ? credentials_->shared_config_region() : settings.region,
                                        settings.endpoint)),
      list_page_size_(settings.list_page_size),
      put_params_(parse_s3_put_params(settings.s3_put_params)),
      transport_(http::Options{settings.connect_timeout_ms, settings.stall_timeout_ms}) {
  // Half a key pair in the environment is a mistake to report now; anything
  // else is looked for on first use, on the worker thread (remote providers
  // must never be asked from nginx's event loop).
  if (!settings.credentials.empty()) validate_credentials(settings.credentials);
  if (addressing_.scheme != "https")
    for (const auto &h : put_params_.read_headers)
      if (h.first == "x-amz-server-side-encryption-customer-key")
        fail(FC_EINVAL, "KONG_CLUSTER_FALLBACK_EXPORT_S3_CONFIG: SSECustomerKey would travel in clear text: "
                        "it needs an https:// endpoint");
}

http::Response S3Storage::send(Call &call) const {
  const AwsCredentials credentials = credentials_->get();
  if (region_from_instance_)
    std::call_once(region_once_, [this] {
      std::string region = credentials_->instance_region();
      if (!region.empty()) addressing_ = resolve_s3_addressing(location_.bucket, region, endpoint_);
    });
  const std::string path = addressing_.path(location_.bucket, call.key);
  const std::string host = addressing_.host_header();
  call.headers.emplace_back("Host", host);

  sigv4::Request req;
  req.method = call.method;
  req.path = path;
  req.query = call.query;
  req.headers = call.headers;
  req.payload_hash = call.payload_hash;
  sigv4::Params params;
  params.credentials = credentials;
  call.signed_with = credentials;
  params.region = addressing_.region;
  params.service = "s3";
  params.time = std::time(nullptr);
  params.rules = sigv4::Rules::S3;
  sigv4::Signature sig = signer_.sign(req, params);

  http::Headers headers = call.headers;
  headers.insert(headers.end(), sig.added_headers.begin(), sig.added_headers.end());
  headers.emplace_back("Authorization", sig.authorization);
  // The URL carries the path and query exactly as they were signed.
  std::string url = addressing_.scheme + "://" + host + uri_encode(path, true);
  std::string query = sigv4::canonical_query_string(call.query);
  if (!query.empty()) url += "?" + query;
  // A streaming payload is framed and signed chunk by chunk as it goes out.
  std::unique_ptr<http::BodyReader> body;
  if (call.payload_hash == sigv4::kStreamingPayload)
    body = std::make_unique<AwsChunkedReader>(call.body, kUploadChunkSize, sig);
  else if (call.method == "PUT")
    body = std::make_unique<http::RawBodyReader>(call.body);
  try {
    return transport_.perform(call.method, url, headers, body.get(), call.sink);
  } catch (const Error &e) {
    if (e.status() != FC_ENETWORK) throw;
    fail(FC_ENETWORK, std::string(call.operation) + " " + location_.url_of(call.key) + ": cannot reach " +
                          addressing_.scheme + "://" + host + ": " + e.what());
  }
}

http::Response S3Storage::send_renewing(Call &call) const {
  const long file_start = call.body.file ? std::ftell(call.body.file) : 0;
  http::Response resp = send(call);
  // Temporary credentials can expire between our check and S3's: renew, retry once.
  if ((resp.status == 400 || resp.status == 403) && resp.body.find("<Code>ExpiredToken</Code>") != std::string::npos) {
    credentials_->expire(call.signed_with);
    if (call.body.file && std::fseek(call.body.file, file_start, SEEK_SET) != 0) fail_errno("cannot rewind the upload file");
    resp = send(call);
  }
  return resp;
}

void S3Storage::fail_with(const Call &call, const http::Response &response) const {
  throw_s3_error({call.operation, location_.url_of(call.key), location_.bucket, addressing_.region, !call.key.empty()},
                 response);
}

void S3Storage::put(const PutRequest &request) {
  Call call{"PutObject", "PUT", request.key, {}, {}, request.body};
  call.headers.emplace_back("Content-Type", "application/json");
  if (!request.uploader.empty()) call.headers.emplace_back("x-amz-meta-uploader", request.uploader);
  call.headers.insert(call.headers.end(), put_params_.put_headers.begin(), put_params_.put_headers.end());
  if (request.payload_hashed) {
    call.payload_hash = crypto::hex(request.payload.sha256);
  } else {
    const size_t size = request.payload.size;
    call.payload_hash = std::string(sigv4::kStreamingPayload);
    call.headers.emplace_back("Content-Encoding", "aws-chunked");
    call.headers.emplace_back("Content-Length", std::to_string(aws_chunked_length(size, kUploadChunkSize)));
    call.headers.emplace_back("x-amz-decoded-content-length", std::to_string(size));
  }
  http::Response resp = send_renewing(call);
  if (resp.status != 200) fail_with(call, resp);
}

void S3Storage::get(const std::string &key, http::Sink &sink) {
  Call call{"GetObject", "GET", key, {}, put_params_.read_headers, http::Body::none()};
  call.sink = &sink;
  http::Response resp = send_renewing(call);
  if (resp.status != 200) fail_with(call, resp);
}

ObjectInfo S3Storage::head(const std::string &key) {
  Call call{"HeadObject", "HEAD", key, {}, put_params_.read_headers, http::Body::none()};
  http::Response resp = send_renewing(call);
  if (resp.status != 200) fail_with(call, resp);
  ObjectInfo info;
  info.key = key;
  info.size = std::strtoull(resp.header("content-length").c_str(), nullptr, 10);
  std::string modified = resp.header("last-modified");
  info.last_modified = modified.empty() ? -1 : parse_http_date(modified);
  info.etag = resp.header("etag");
  info.uploader = resp.header("x-amz-meta-uploader");
  return info;
}

void S3Storage::remove(const std::string &key) {
  Call call{"DeleteObject", "DELETE", key, {}, {}, http::Body::none()};
  http::Response resp = send_renewing(call);
  if (resp.status != 204 && resp.status != 200) fail_with(call, resp);
}

std::vector<ObjectInfo> S3Storage::list(const std::string &prefix) {
  std::vector<ObjectInfo> out;
  std::string token;
  for (;;) {
    Call call{"ListObjectsV2", "GET", "", {{"list-type", "2"}, {"prefix", prefix}}, {}, http::Body::none()};
    call.query.emplace_back("max-keys", std::to_string(list_page_size_));
    if (!token.empty()) call.query.emplace_back("continuation-token", token);
    http::Response resp = send_renewing(call);
    if (resp.status != 200) fail_with(call, resp);
    S3ListPage page = parse_list_objects_v2(resp.body);
    for (auto &o : page.objects) out.push_back(std::move(o));
    if (!page.truncated) break;
    if (page.next_continuation_token == token)
      fail(FC_ESTORAGE, "ListObjectsV2 " + location_.url_of(prefix) + ": the listing repeats its continuation token");
    token = page.next_continuation_token;
  }
  return out;
}

}  // namespace fc

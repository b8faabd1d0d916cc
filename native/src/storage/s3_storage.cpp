#include "storage/s3_storage.h"

#include <chrono>
#include <ctime>
#include <thread>

#include "storage/s3_errors.h"
#include "storage/s3_xml.h"
#include "util/error.h"
#include "util/strings.h"
#include "util/time.h"
#include "util/uri.h"

namespace fc {

namespace {

bool has_code(const http::Response &response, const char *code) {
  return (response.status == 400 || response.status == 403 || response.status == 409) &&
         response.body.find(std::string("<Code>") + code + "</Code>") != std::string::npos;
}

// AWS answers 409 ConditionalRequestConflict when another conditional write
// to the key is in flight: asking again decides it (412 or success).
constexpr int kConflictRetries = 3;

}  // namespace

S3Storage::S3Storage(Location location, S3Options options)
    : location_(std::move(location)),
      credentials_(std::make_shared<AwsCredentialChain>(options.credentials)),
      endpoint_(std::move(options.endpoint)),
      region_from_instance_(options.region.empty() && credentials_->shared_config_region().empty()),
      // No region setting: the shared config file's, as the SDKs do.
      addressing_(resolve_s3_addressing(location_.bucket,
                                        options.region.empty() ? credentials_->shared_config_region() : options.region,
                                        endpoint_)),
      list_page_size_(options.list_page_size),
      put_params_(std::move(options.put_params)),
      retry_policy_(options.retry),
      transport_(options.transport) {}

http::Response S3Storage::send(Call &call, long timeout_ms) const {
  const AwsCredentials credentials = credentials_->get();
  if (region_from_instance_)
    std::call_once(region_once_, [this] {
      std::string region = credentials_->instance_region();
      if (!region.empty()) addressing_ = resolve_s3_addressing(location_.bucket, region, endpoint_);
    });
  const std::string path = addressing_.path(location_.bucket, call.key);
  const std::string host = addressing_.host_header();

  sigv4::Request req;
  req.method = call.method;
  req.path = path;
  req.query = call.query;
  req.headers = call.headers;
  req.headers.emplace_back("Host", host);
  req.payload_hash = call.payload_hash;
  sigv4::Params params;
  params.credentials = credentials;
  call.signed_with = credentials;
  params.region = addressing_.region;
  params.service = "s3";
  params.time = std::time(nullptr) + clock_offset_.load();
  params.rules = sigv4::Rules::S3;
  sigv4::Signature sig = signer_.sign(req, params);

  http::Headers headers = req.headers;
  headers.insert(headers.end(), sig.added_headers.begin(), sig.added_headers.end());
  headers.emplace_back("Authorization", sig.authorization);
  // The URL carries the path and query exactly as they were signed.
  std::string url = addressing_.scheme + "://" + host + uri_encode(path, true);
  std::string query = sigv4::canonical_query_string(call.query);
  if (!query.empty()) url += "?" + query;
  std::unique_ptr<http::BodyReader> body;
  if (call.method == "PUT") body = std::make_unique<http::RawBodyReader>(call.body);
  try {
    return transport_.perform(call.method, url, headers, body.get(), call.sink, timeout_ms);
  } catch (const http::TransferError &e) {
    throw http::TransferError(std::string(call.operation) + " " + location_.url_of(call.key) + ": no complete answer from " +
                                  addressing_.scheme + "://" + host + ": " + e.what(),
                              e.transient());
  }
}

http::Response S3Storage::send_with_retries(Call &call) const {
  const long file_start = call.body.file ? std::ftell(call.body.file) : 0;
  auto prepare_repeat = [&] {
    if (call.body.file && std::fseek(call.body.file, file_start, SEEK_SET) != 0) fail_errno("cannot rewind the upload file");
    return !call.sink || call.sink->restart();
  };
  auto attempt = [&](long timeout_ms) { return send(call, timeout_ms); };
  bool renewed = false, clock_corrected = false;
  int conflicts = 0;
  for (;;) {
    http::Response resp = http::with_retries(retry_policy_, attempt, prepare_repeat);
    if (conflicts < kConflictRetries && has_code(resp, "ConditionalRequestConflict")) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50 << conflicts++));
      if (prepare_repeat()) continue;
    }
    // Temporary credentials can expire between our check and S3's: renew, retry once.
    if (!renewed && has_code(resp, "ExpiredToken")) {
      renewed = true;
      credentials_->expire(call.signed_with);
      if (prepare_repeat()) continue;
    }
    // A clock off by more than S3's 15 minutes: sign with S3's time, retry once.
    if (!clock_corrected && has_code(resp, "RequestTimeTooSkewed")) {
      clock_corrected = true;
      std::time_t server_time = parse_http_date(resp.header("date"));
      if (server_time > 0) {
        clock_offset_ = static_cast<long>(server_time - std::time(nullptr));
        if (prepare_repeat()) continue;
      }
    }
    return resp;
  }
}

void S3Storage::fail_with(const Call &call, const http::Response &response) const {
  throw_s3_error({call.operation, location_.url_of(call.key), location_.bucket, addressing_.region, !call.key.empty()},
                 response);
}

ObjectInfo S3Storage::put(const PutRequest &request) {
  Call call{"PutObject", "PUT", request.key, {}, {}, request.body};
  // S3 refuses a body whose SHA-256 is not the signed x-amz-content-sha256
  // (every SigV4 store checks it) or x-amz-checksum-sha256 (AWS's flexible
  // checksums); x-amz-meta-sha256 stays with the object for the downloader.
  const std::string sha256_hex = crypto::hex(request.payload.sha256);
  call.payload_hash = sha256_hex;
  call.headers.emplace_back("Content-Type", "application/json");
  call.headers.emplace_back("x-amz-checksum-sha256", crypto::base64(crypto::as_view(request.payload.sha256)));
  call.headers.emplace_back("x-amz-meta-sha256", sha256_hex);
  if (!request.uploader.empty()) call.headers.emplace_back("x-amz-meta-uploader", request.uploader);
  if (!request.epoch.empty()) call.headers.emplace_back("x-amz-meta-epoch", request.epoch);
  // Conditional writes (AWS since 2024; Ceph RGW). The ETag goes unquoted:
  // RGW 16 compares If-Match with its stored ETag as text, without the quotes
  // (a quoted one never matches); AWS and MinIO accept either.
  switch (request.condition.kind) {
    case WriteCondition::Kind::always: break;
    case WriteCondition::Kind::absent: call.headers.emplace_back("If-None-Match", "*"); break;
    case WriteCondition::Kind::unchanged: call.headers.emplace_back("If-Match", request.condition.revision); break;
  }
  call.headers.insert(call.headers.end(), put_params_.put_headers.begin(), put_params_.put_headers.end());
  http::Response resp = send_with_retries(call);
  if (resp.status != 200) fail_with(call, resp);
  ObjectInfo info;
  info.key = request.key;
  info.size = request.payload.size;
  info.etag = resp.header("etag");
  info.revision = unquoted(info.etag);
  info.sha256 = sha256_hex;
  info.uploader = request.uploader;
  info.epoch = request.epoch;
  const std::string date = resp.header("date");
  info.store_time = date.empty() ? -1 : parse_http_date(date);
  return info;
}

namespace {

ObjectInfo object_info(const std::string &key, const http::Response &resp) {
  ObjectInfo info;
  info.key = key;
  info.size = std::strtoull(resp.header("content-length").c_str(), nullptr, 10);
  std::string modified = resp.header("last-modified");
  info.last_modified = modified.empty() ? -1 : parse_http_date(modified);
  info.etag = resp.header("etag");
  info.revision = unquoted(info.etag);
  info.uploader = resp.header("x-amz-meta-uploader");
  info.sha256 = resp.header("x-amz-meta-sha256");
  info.epoch = resp.header("x-amz-meta-epoch");
  const std::string date = resp.header("date");
  info.store_time = date.empty() ? -1 : parse_http_date(date);
  return info;
}

}  // namespace

ObjectInfo S3Storage::get(const std::string &key, http::Sink &sink) {
  Call call{"GetObject", "GET", key, {}, put_params_.read_headers, http::Body::none()};
  call.sink = &sink;
  http::Response resp = send_with_retries(call);
  if (resp.status != 200) fail_with(call, resp);
  return object_info(key, resp);
}

ObjectInfo S3Storage::head(const std::string &key) {
  Call call{"HeadObject", "HEAD", key, {}, put_params_.read_headers, http::Body::none()};
  http::Response resp = send_with_retries(call);
  if (resp.status != 200) fail_with(call, resp);
  return object_info(key, resp);
}

void S3Storage::remove(const std::string &key) {
  Call call{"DeleteObject", "DELETE", key, {}, {}, http::Body::none()};
  http::Response resp = send_with_retries(call);
  if (resp.status != 204 && resp.status != 200) fail_with(call, resp);
}

void S3Storage::touch(const std::string &key) {
  fail(FC_EINVAL, "S3 cannot refresh " + location_.url_of(key) + " without rewriting it");
}

std::vector<ObjectInfo> S3Storage::list(const std::string &prefix) {
  std::vector<ObjectInfo> out;
  std::string token;
  for (;;) {
    Call call{"ListObjectsV2", "GET", "", {{"list-type", "2"}, {"prefix", prefix}}, {}, http::Body::none()};
    call.query.emplace_back("max-keys", std::to_string(list_page_size_));
    if (!token.empty()) call.query.emplace_back("continuation-token", token);
    http::Response resp = send_with_retries(call);
    if (resp.status != 200) fail_with(call, resp);
    S3ListPage page = parse_list_objects_v2(resp.body);
    const std::string date = resp.header("date");
    for (auto &o : page.objects) {
      o.store_time = date.empty() ? -1 : parse_http_date(date);
      out.push_back(std::move(o));
    }
    if (!page.truncated) break;
    if (page.next_continuation_token == token)
      fail(FC_ESTORAGE, "ListObjectsV2 " + location_.url_of(prefix) + ": the listing repeats its continuation token");
    token = page.next_continuation_token;
  }
  return out;
}

}  // namespace fc

#include "storage/s3_storage.h"

#include <curl/curl.h>

#include <ctime>

#include "storage/s3_errors.h"
#include "storage/s3_xml.h"
#include "util/error.h"
#include "util/strings.h"
#include "util/time.h"
#include "util/uri.h"

namespace fc {

namespace {

constexpr const char *kDefaultRegion = "us-east-1";

struct Endpoint {
  std::string scheme, host;
  int port = 0;
};

// Only the scheme, host and port of AWS_CONFIG_STORAGE_ENDPOINT are used (as in Kong).
Endpoint parse_endpoint(const std::string &url) {
  const std::string setting = "AWS_CONFIG_STORAGE_ENDPOINT";
  CURLU *u = curl_url();
  if (!u) fail(FC_EINTERNAL, "out of memory parsing the endpoint");
  Endpoint ep;
  char *part = nullptr;
  bool ok = curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK;
  if (ok && curl_url_get(u, CURLUPART_USER, &part, 0) == CURLUE_OK) {
    curl_free(part);
    curl_url_cleanup(u);
    fail(FC_EINVAL, setting + " must not contain credentials");
  }
  if (ok && curl_url_get(u, CURLUPART_SCHEME, &part, 0) == CURLUE_OK) {
    ep.scheme = to_lower(part);
    curl_free(part);
  }
  if (ok && curl_url_get(u, CURLUPART_HOST, &part, 0) == CURLUE_OK) {
    ep.host = part;
    curl_free(part);
  }
  if (ok && curl_url_get(u, CURLUPART_PORT, &part, 0) == CURLUE_OK) {
    ep.port = std::atoi(part);
    curl_free(part);
  }
  curl_url_cleanup(u);
  if (!ok || ep.host.empty())
    fail(FC_EINVAL, setting + " is not a URL: expected http(s)://host[:port]/");
  if (ep.scheme != "http" && ep.scheme != "https")
    fail(FC_EINVAL, setting + " must use http:// or https://");
  return ep;
}

std::string aws_domain(const std::string &region) {
  return starts_with(region, "cn-") ? "amazonaws.com.cn" : "amazonaws.com";
}

}  // namespace

S3Storage::S3Storage(Location location, const Settings &settings)
    : location_(std::move(location)),
      credentials_(settings.credentials),
      region_(settings.region.empty() ? kDefaultRegion : settings.region),
      list_page_size_(settings.list_page_size),
      put_params_(parse_s3_put_params(settings.s3_put_params)),
      transport_(http::Options{settings.connect_timeout_ms, settings.stall_timeout_ms}) {
  validate_credentials(credentials_);
  for (char c : region_)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
      fail(FC_EINVAL, "AWS region '" + one_line(region_) + "' is not a region name (e.g. us-east-1)");
  if (!settings.endpoint.empty()) {
    Endpoint ep = parse_endpoint(settings.endpoint);
    scheme_ = ep.scheme;
    host_ = ep.host;
    port_ = ep.port;
    path_style_ = true;
  } else if (location_.bucket.find('.') != std::string::npos) {
    // A dotted bucket breaks the *.s3 TLS wildcard: address it path-style.
    scheme_ = "https";
    host_ = "s3." + region_ + "." + aws_domain(region_);
    path_style_ = true;
  } else {
    scheme_ = "https";
    host_ = location_.bucket + ".s3." + region_ + "." + aws_domain(region_);
  }
}

http::Response S3Storage::send(Call &call) const {
  std::string path = path_style_ ? "/" + location_.bucket + "/" + call.key : "/" + call.key;
  const std::string host = http::host_header_value(scheme_, host_, port_);
  call.headers.emplace_back("Host", host);

  sigv4::Request req;
  req.method = call.method;
  req.path = path;
  req.query = call.query;
  req.headers = call.headers;
  req.payload_hash = call.payload_hash;
  sigv4::Params params;
  params.credentials = credentials_;
  params.region = region_;
  params.service = "s3";
  params.time = std::time(nullptr);
  params.rules = sigv4::Rules::S3;
  sigv4::Signature sig = signer_.sign(req, params);

  http::Headers headers = call.headers;
  headers.insert(headers.end(), sig.added_headers.begin(), sig.added_headers.end());
  headers.emplace_back("Authorization", sig.authorization);
  // The URL carries the path and query exactly as they were signed.
  std::string url = scheme_ + "://" + host + uri_encode(path, true);
  std::string query = sigv4::canonical_query_string(call.query);
  if (!query.empty()) url += "?" + query;
  try {
    return transport_.perform(call.method, url, headers, call.body, call.sink);
  } catch (const Error &e) {
    if (e.status() != FC_ENETWORK) throw;
    fail(FC_ENETWORK, std::string(call.operation) + " " + location_.url_of(call.key) + ": cannot reach " +
                          scheme_ + "://" + host + ": " + e.what());
  }
}

void S3Storage::fail_with(const Call &call, const http::Response &response) const {
  throw_s3_error({call.operation, location_.url_of(call.key), location_.bucket, region_, !call.key.empty()},
                 response);
}

void S3Storage::put(const PutRequest &request) {
  Call call{"PutObject", "PUT", request.key, {}, {}, request.body};
  call.headers.emplace_back("Content-Type", "application/json");
  if (!request.uploader.empty()) call.headers.emplace_back("x-amz-meta-uploader", request.uploader);
  call.headers.insert(call.headers.end(), put_params_.put_headers.begin(), put_params_.put_headers.end());
  call.payload_hash = crypto::hex(request.payload.sha256);
  http::Response resp = send(call);
  if (resp.status != 200) fail_with(call, resp);
}

void S3Storage::get(const std::string &key, http::Sink &sink) {
  Call call{"GetObject", "GET", key, {}, put_params_.read_headers, http::Body::none()};
  call.sink = &sink;
  http::Response resp = send(call);
  if (resp.status != 200) fail_with(call, resp);
}

ObjectInfo S3Storage::head(const std::string &key) {
  Call call{"HeadObject", "HEAD", key, {}, put_params_.read_headers, http::Body::none()};
  http::Response resp = send(call);
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
  http::Response resp = send(call);
  if (resp.status != 204 && resp.status != 200) fail_with(call, resp);
}

std::vector<ObjectInfo> S3Storage::list(const std::string &prefix) {
  std::vector<ObjectInfo> out;
  std::string token;
  for (;;) {
    Call call{"ListObjectsV2", "GET", "", {{"list-type", "2"}, {"prefix", prefix}}, {}, http::Body::none()};
    call.query.emplace_back("max-keys", std::to_string(list_page_size_));
    if (!token.empty()) call.query.emplace_back("continuation-token", token);
    http::Response resp = send(call);
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

#include "storage/gcs_storage.h"

#include <openssl/rand.h>

#include <ctime>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "crypto/digest.h"
#include "storage/gcs_errors.h"
#include "util/error.h"
#include "util/strings.h"
#include "util/time.h"
#include "util/uri.h"

namespace fc {

namespace {

constexpr const char *kGoogleEndpoint = "https://storage.googleapis.com";

std::string normalize_endpoint(std::string endpoint) {
  if (endpoint.empty()) return kGoogleEndpoint;
  // STORAGE_EMULATOR_HOST is host:port by convention; a scheme is allowed.
  if (!starts_with(endpoint, "http://") && !starts_with(endpoint, "https://")) endpoint = "http://" + endpoint;
  while (endpoint.back() == '/') endpoint.pop_back();
  return endpoint;
}

std::string string_member(const rapidjson::Value &v, const char *name) {
  auto it = v.FindMember(name);
  return it != v.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString()) : std::string();
}

ObjectInfo object_info(const rapidjson::Value &v) {
  ObjectInfo info;
  info.key = string_member(v, "name");
  info.size = std::strtoull(string_member(v, "size").c_str(), nullptr, 10);  // a string in the JSON API
  std::time_t updated;
  info.last_modified = parse_iso8601_utc(string_member(v, "updated"), &updated) ? updated : -1;
  int64_t ms;
  if (parse_iso8601_utc_ms(string_member(v, "updated"), &ms)) info.modified_ms = ms;
  if (parse_iso8601_utc_ms(string_member(v, "timeCreated"), &ms)) info.created_ms = ms;
  info.etag = string_member(v, "etag");
  info.generation = string_member(v, "generation");
  info.revision = info.generation;
  auto meta = v.FindMember("metadata");
  if (meta != v.MemberEnd() && meta->value.IsObject()) {
    info.uploader = string_member(meta->value, "uploader");
    info.sha256 = string_member(meta->value, "sha256");
    info.epoch = string_member(meta->value, "epoch");
  }
  return info;
}


rapidjson::Document parse_json(const std::string &body, const std::string &what) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(body.c_str(), body.size());  // iterative: deep nesting must not overflow the stack
  if (doc.HasParseError() || !doc.IsObject()) fail(FC_ESTORAGE, what + ": the answer is not a JSON object");
  return doc;
}

// The object GCS describes, with the time of its answer.
ObjectInfo answered_object(const http::Response &resp, const std::string &what) {
  ObjectInfo info = object_info(parse_json(resp.body, what));
  const std::string date = resp.header("date");
  info.store_time = date.empty() ? -1 : parse_http_date(date);
  return info;
}

std::string body_md5_base64(const http::Body &body) {
  crypto::Md5Stream md5;
  http::RawBodyReader reader(body);
  std::vector<char> buf(64 * 1024);
  for (size_t n; (n = reader.read(buf.data(), buf.size())) > 0;) md5.update(buf.data(), n);
  reader.rewind();
  return crypto::base64(md5.finish());
}

std::string random_boundary() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) fail(FC_EINTERNAL, "no randomness for a multipart boundary");
  return "fallback_config_" + crypto::hex(bytes, sizeof bytes);
}

}  // namespace

GcsStorage::GcsStorage(Location location, const GcsOptions &options)
    : location_(std::move(location)),
      base_(normalize_endpoint(options.endpoint)),
      list_page_size_(options.list_page_size),
      retry_policy_(options.retry),
      transport_(options.transport),
      tokens_(gcp::make_token_source(options.tokens, transport_)) {}

std::string GcsStorage::object_url(const std::string &key) const {
  // The object name is one path segment: its slashes are encoded too.
  return base_ + "/storage/v1/b/" + location_.bucket + "/o/" + uri_encode(key, false);
}

http::Response GcsStorage::send(Call &call) const {
  std::string token;
  auto attempt = [&](long timeout_ms) {
    token = tokens_->token();
    http::Headers headers = call.headers;
    headers.emplace_back("Authorization", "Bearer " + token);
    if (call.body) call.body->rewind();
    try {
      return transport_.perform(call.method, call.url, headers, call.body, call.sink, timeout_ms);
    } catch (const http::TransferError &e) {
      throw http::TransferError(std::string(call.operation) + " " + location_.url_of(call.key) + ": no complete answer from " +
                                    base_ + ": " + e.what(),
                                e.transient());
    }
  };
  auto prepare_repeat = [&] { return !call.sink || call.sink->restart(); };
  http::Response resp = http::with_retries(retry_policy_, attempt, prepare_repeat);
  // A token refused before its time (revoked, clock skew): one fresh try.
  if (resp.status == 401 && prepare_repeat()) {
    tokens_->invalidate(token);
    resp = http::with_retries(retry_policy_, attempt, prepare_repeat);
  }
  return resp;
}

void GcsStorage::fail_with(const Call &call, const http::Response &response) const {
  throw_gcs_error({call.operation, location_.url_of(call.key), !call.key.empty()}, response);
}

ObjectInfo GcsStorage::put(const PutRequest &request) {
  // One multipart request carries the object's metadata with its bytes, so
  // that the two are stored together or not at all. GCS refuses the upload if
  // the bytes it received do not have the md5Hash given.
  const std::string md5 = body_md5_base64(request.body);
  const std::string sha256_hex = crypto::hex(request.payload.sha256);
  rapidjson::StringBuffer meta;
  {
    rapidjson::Writer<rapidjson::StringBuffer> w(meta);
    w.StartObject();
    w.Key("name");
    w.String(request.key.data(), static_cast<rapidjson::SizeType>(request.key.size()));
    w.Key("contentType");
    w.String("application/json");
    w.Key("md5Hash");
    w.String(md5.data(), static_cast<rapidjson::SizeType>(md5.size()));
    w.Key("metadata");
    w.StartObject();
    w.Key("sha256");
    w.String(sha256_hex.data(), static_cast<rapidjson::SizeType>(sha256_hex.size()));
    if (!request.uploader.empty()) {
      w.Key("uploader");
      w.String(request.uploader.data(), static_cast<rapidjson::SizeType>(request.uploader.size()));
    }
    if (!request.epoch.empty()) {
      w.Key("epoch");
      w.String(request.epoch.data(), static_cast<rapidjson::SizeType>(request.epoch.size()));
    }
    w.EndObject();
    w.EndObject();
  }
  const std::string boundary = random_boundary();
  std::string prefix = "--" + boundary + "\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n" +
                       meta.GetString() + "\r\n--" + boundary + "\r\nContent-Type: application/json\r\n\r\n";
  http::FramedBodyReader body(std::move(prefix), request.body, "\r\n--" + boundary + "--\r\n");

  Call call{"objects.insert", "POST",
            base_ + "/upload/storage/v1/b/" + location_.bucket + "/o?uploadType=multipart", request.key, {}};
  // Generation 0 is GCS's name for "no live object".
  switch (request.condition.kind) {
    case WriteCondition::Kind::always: break;
    case WriteCondition::Kind::absent: call.url += "&ifGenerationMatch=0"; break;
    case WriteCondition::Kind::unchanged:
      call.url += "&ifGenerationMatch=" + uri_encode(request.condition.revision, false);
      break;
  }
  call.headers = {{"Content-Type", "multipart/related; boundary=" + boundary},
                  {"Content-Length", std::to_string(body.size())}};
  call.body = &body;
  http::Response resp = send(call);
  if (resp.status != 200) fail_with(call, resp);
  ObjectInfo info = answered_object(resp, "objects.insert " + location_.url_of(request.key));
  info.key = request.key;
  return info;
}

ObjectInfo GcsStorage::get(const std::string &key, http::Sink &sink) {
  // The metadata first, then the media of that very generation: the SHA-256
  // and the bytes belong to the same object even if a new one lands between.
  ObjectInfo info = head(key);
  Call call{"objects.get", "GET", object_url(key) + "?alt=media", key, {}};
  if (!info.generation.empty()) call.url += "&generation=" + uri_encode(info.generation, false);
  call.sink = &sink;
  http::Response resp = send(call);
  if (resp.status != 200) fail_with(call, resp);
  return info;
}

ObjectInfo GcsStorage::head(const std::string &key) {
  Call call{"objects.get", "GET", object_url(key), key, {}};
  http::Response resp = send(call);
  if (resp.status != 200) fail_with(call, resp);
  ObjectInfo info = answered_object(resp, "objects.get " + location_.url_of(key));
  info.key = key;
  return info;
}

void GcsStorage::remove(const std::string &key) {
  Call call{"objects.delete", "DELETE", object_url(key), key, {}};
  http::Response resp = send(call);
  if (resp.status != 204 && resp.status != 200) fail_with(call, resp);
}

void GcsStorage::touch(const std::string &key) {
  // A metadata change is what moves `updated`; timeCreated stays.
  const std::string body = "{\"metadata\":{\"refreshed\":\"" + std::to_string(std::time(nullptr)) + "\"}}";
  http::RawBodyReader reader(http::Body::memory(body.data(), body.size()));
  Call call{"objects.patch", "PATCH", object_url(key), key, {}};
  call.headers = {{"Content-Type", "application/json"}, {"Content-Length", std::to_string(body.size())}};
  call.body = &reader;
  http::Response resp = send(call);
  if (resp.status != 200) fail_with(call, resp);
}

std::vector<ObjectInfo> GcsStorage::list(const std::string &prefix) {
  std::vector<ObjectInfo> out;
  std::string token;
  for (;;) {
    Call call{"objects.list", "GET",
              base_ + "/storage/v1/b/" + location_.bucket + "/o?prefix=" + uri_encode(prefix, false) +
                  "&maxResults=" + std::to_string(list_page_size_),
              "", {}};
    if (!token.empty()) call.url += "&pageToken=" + uri_encode(token, false);
    http::Response resp = send(call);
    if (resp.status != 200) fail_with(call, resp);
    rapidjson::Document doc = parse_json(resp.body, "objects.list " + location_.url_of(prefix));
    auto items = doc.FindMember("items");
    const std::string date = resp.header("date");
    if (items != doc.MemberEnd() && items->value.IsArray())
      for (const auto &item : items->value.GetArray())
        if (item.IsObject()) {
          out.push_back(object_info(item));
          out.back().store_time = date.empty() ? -1 : parse_http_date(date);
        }
    std::string next = string_member(doc, "nextPageToken");
    if (next.empty()) break;
    if (next == token) fail(FC_ESTORAGE, "objects.list " + location_.url_of(prefix) + ": the listing repeats its page token");
    token = next;
  }
  return out;
}

}  // namespace fc

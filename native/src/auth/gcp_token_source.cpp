#include "auth/gcp_token_source.h"

#include <rapidjson/document.h>

#include "auth/jwt.h"
#include "util/error.h"
#include "util/fd_io.h"
#include "util/strings.h"
#include "util/uri.h"

namespace fc::gcp {

namespace {

constexpr std::time_t kRefreshMargin = 60;  // seconds before expiry
constexpr const char *kDefaultMetadataHost = "metadata.google.internal";
constexpr const char *kJwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";

// {"access_token": ..., "expires_in": ...}, or an OAuth error, as one line.
AccessToken parse_token_response(const http::Response &resp, const std::string &where) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(resp.body.c_str(), resp.body.size());  // iterative: deep nesting must not overflow the stack
  if (resp.status != 200) {
    std::string why = "HTTP " + std::to_string(resp.status);
    if (!doc.HasParseError() && doc.IsObject()) {
      auto err = doc.FindMember("error");
      if (err != doc.MemberEnd() && err->value.IsString()) why += " " + one_line(err->value.GetString());
      auto desc = doc.FindMember("error_description");
      if (desc != doc.MemberEnd() && desc->value.IsString()) why += ": " + one_line(desc->value.GetString());
    }
    fail(resp.status == 400 || resp.status == 401 || resp.status == 403 ? FC_EAUTH : FC_ESTORAGE,
         "cannot get a GCP access token from " + where + ": " + why);
  }
  if (doc.HasParseError() || !doc.IsObject()) fail(FC_ESTORAGE, "the token answer from " + where + " is not JSON");
  auto token = doc.FindMember("access_token");
  auto expires = doc.FindMember("expires_in");
  if (token == doc.MemberEnd() || !token->value.IsString() || token->value.GetStringLength() == 0)
    fail(FC_ESTORAGE, "the token answer from " + where + " has no access_token");
  if (expires == doc.MemberEnd() || !expires->value.IsNumber() || expires->value.GetDouble() <= 0)
    fail(FC_ESTORAGE, "the token answer from " + where + " has no positive expires_in");
  return {token->value.GetString(), std::time(nullptr) + static_cast<std::time_t>(expires->value.GetDouble())};
}

http::Response perform(const http::Transport &transport, const std::string &method, const std::string &url,
                       const http::Headers &headers, const std::string &body, const std::string &where) {
  http::Body payload = http::Body::memory(body.data(), body.size());
  http::RawBodyReader reader(payload);
  try {
    return transport.perform(method, url, headers, method == "POST" ? &reader : nullptr, nullptr);
  } catch (const Error &e) {
    if (e.status() != FC_ENETWORK) throw;
    fail(FC_ENETWORK, "cannot reach " + where + ": " + e.what());
  }
}

std::string read_file(const std::string &path, const std::string &label) {
  std::optional<std::string> text = read_small_file(path);
  if (!text) fail(FC_EINVAL, label + ": cannot read " + path);
  return *text;
}

}  // namespace

std::string TokenSource::token() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (cached_.value.empty() || std::time(nullptr) + kRefreshMargin >= cached_.expires_at) {
    cached_ = fetch();
    ++refreshes_;
  }
  return cached_.value;
}

void TokenSource::invalidate(const std::string &refused) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (cached_.value == refused) cached_ = {};  // another thread may have refreshed already
}

size_t TokenSource::refreshes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return refreshes_;
}

ServiceAccountTokens::ServiceAccountTokens(ServiceAccount account, const http::Transport &transport)
    : account_(std::move(account)), transport_(transport) {}

AccessToken ServiceAccountTokens::fetch() {
  std::string assertion = jwt::service_account_assertion(account_, kReadWriteScope, std::time(nullptr));
  std::string form = "grant_type=" + uri_encode(kJwtBearerGrant, false) + "&assertion=" + assertion;
  http::Headers headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  return parse_token_response(perform(transport_, "POST", account_.token_uri, headers, form, account_.token_uri),
                              account_.token_uri);
}

MetadataServerTokens::MetadataServerTokens(std::string host, const http::Transport &transport)
    : base_(starts_with(host, "http://") || starts_with(host, "https://") ? host : "http://" + host),
      transport_(transport) {
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
}

AccessToken MetadataServerTokens::fetch() {
  std::string url = base_ + "/computeMetadata/v1/instance/service-accounts/default/token";
  http::Headers headers = {{"Metadata-Flavor", "Google"}};
  return parse_token_response(perform(transport_, "GET", url, headers, "", "the metadata server at " + base_),
                              "the metadata server at " + base_);
}

std::unique_ptr<TokenSource> make_token_source(const TokenOptions &options, const http::Transport &transport) {
  if (!options.service_account_json.empty())
    return std::make_unique<ServiceAccountTokens>(
        parse_service_account(options.service_account_json, options.service_account_label), transport);
  if (!options.credentials_file.empty())
    return std::make_unique<ServiceAccountTokens>(
        parse_service_account(read_file(options.credentials_file, options.credentials_file_label),
                              options.credentials_file_label),
        transport);
  return std::make_unique<MetadataServerTokens>(
      options.metadata_host.empty() ? kDefaultMetadataHost : options.metadata_host, transport);
}

}  // namespace fc::gcp

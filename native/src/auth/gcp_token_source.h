// OAuth 2.0 access tokens for Google Cloud Storage: from a service-account key
// (a signed JWT exchanged at its token_uri, RFC 7523), or from the GCE
// metadata server (workload identity on GKE). Cached until shortly before they
// expire; thread-safe, one refresh at a time.
#pragma once

#include <ctime>
#include <memory>
#include <mutex>
#include <string>

#include "auth/gcp_service_account.h"
#include "http/transport.h"

namespace fc::gcp {

constexpr const char *kReadWriteScope = "https://www.googleapis.com/auth/devstorage.read_write";

struct AccessToken {
  std::string value;
  std::time_t expires_at = 0;
};

class TokenSource {
 public:
  virtual ~TokenSource() = default;
  // A token valid for at least another minute. Callers that find it refused
  // (HTTP 401) call invalidate() and ask again.
  std::string token();
  void invalidate(const std::string &refused);
  // How many tokens were fetched (for tests).
  size_t refreshes() const;

 protected:
  virtual AccessToken fetch() = 0;

 private:
  mutable std::mutex mutex_;  // held across a refresh: one at a time
  AccessToken cached_;
  size_t refreshes_ = 0;
};

class ServiceAccountTokens : public TokenSource {
 public:
  ServiceAccountTokens(ServiceAccount account, const http::Transport &transport);

 protected:
  AccessToken fetch() override;

 private:
  ServiceAccount account_;
  const http::Transport &transport_;
};

class MetadataServerTokens : public TokenSource {
 public:
  MetadataServerTokens(std::string host, const http::Transport &transport);

 protected:
  AccessToken fetch() override;

 private:
  std::string base_;  // http://<host>
  const http::Transport &transport_;
};

// Where tokens come from, in this order: a service-account key's JSON, else
// the file holding it, else the metadata server. A label names the setting a
// value came from, for messages.
struct TokenOptions {
  std::string service_account_json;  // a secret
  std::string service_account_label;
  std::string credentials_file;
  std::string credentials_file_label;
  std::string metadata_host;  // "": Google's
};

std::unique_ptr<TokenSource> make_token_source(const TokenOptions &options, const http::Transport &transport);

}  // namespace fc::gcp

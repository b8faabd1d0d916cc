// Google Cloud Storage over its JSON API, with OAuth 2.0 bearer tokens
// (auth/gcp_token_source.h). The endpoint is Google's unless the options name
// another (an emulator, a private endpoint).
#pragma once

#include <memory>

#include "auth/gcp_token_source.h"
#include "http/retry.h"
#include "storage/storage.h"

namespace fc {

struct GcsOptions {
  std::string endpoint;  // host[:port] or a URL; "": Google's
  gcp::TokenOptions tokens;
  int list_page_size = 1000;
  http::Options transport;
  http::RetryPolicy retry;
};

class GcsStorage : public Storage {
 public:
  GcsStorage(Location location, const GcsOptions &options);
  ObjectInfo put(const PutRequest &request) override;
  ObjectInfo get(const std::string &key, http::Sink &sink) override;
  ObjectInfo head(const std::string &key) override;
  void remove(const std::string &key) override;
  void touch(const std::string &key) override;
  std::vector<ObjectInfo> list(const std::string &prefix) override;
  // For tests: how many access tokens were fetched.
  size_t token_refreshes() const { return tokens_->refreshes(); }

 private:
  struct Call {
    const char *operation;  // JSON API method, for messages
    std::string method;
    std::string url;
    std::string key;        // "" for bucket-level calls
    http::Headers headers;
    http::BodyReader *body = nullptr;
    http::Sink *sink = nullptr;
  };
  // Sends until GCS gives an answer that asking again cannot change
  // (retry.h); a token refused before its time is replaced once.
  http::Response send(Call &call) const;
  [[noreturn]] void fail_with(const Call &call, const http::Response &response) const;
  std::string object_url(const std::string &key) const;

  Location location_;
  std::string base_;  // scheme://host[:port]
  int list_page_size_;
  http::RetryPolicy retry_policy_;
  http::Transport transport_;
  std::unique_ptr<gcp::TokenSource> tokens_;
};

}  // namespace fc

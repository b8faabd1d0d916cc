// Amazon S3 and S3-compatible stores (Ceph RGW, MinIO) over SigV4.
// With an endpoint requests are path-style, /<bucket>/<key> on that host;
// otherwise virtual-hosted on the regional AWS endpoint,
// <bucket>.s3.<region>.amazonaws.com.
#pragma once

#include <atomic>
#include <mutex>
#include <optional>

#include "auth/aws_credential_chain.h"
#include "auth/sigv4.h"
#include "http/retry.h"
#include "storage/s3_addressing.h"
#include "storage/s3_put_params.h"
#include "storage/storage.h"

namespace fc {

struct S3Options {
  std::optional<http::Url> endpoint;  // an S3-compatible store: path-style requests there
  std::string region;                 // "": the shared config file's, else the instance's, else us-east-1
  S3PutParams put_params;
  AwsChainSettings credentials;       // where credentials come from
  int list_page_size = 1000;
  http::Options transport;
  http::RetryPolicy retry;
};

class S3Storage : public Storage {
 public:
  S3Storage(Location location, S3Options options);
  ObjectInfo put(const PutRequest &request) override;
  // Which credential provider answered, and until when (fallback-config whoami).
  ResolvedCredentials credentials_source() const { return credentials_->describe(); }
  ObjectInfo get(const std::string &key, http::Sink &sink) override;
  ObjectInfo head(const std::string &key) override;
  void remove(const std::string &key) override;
  void touch(const std::string &key) override;
  std::vector<ObjectInfo> list(const std::string &prefix) override;

 private:
  struct Call {
    const char *operation;  // S3 API name, for messages
    std::string method;
    std::string key;        // "" for bucket-level calls
    sigv4::NameValues query;
    http::Headers headers;
    http::Body body;
    std::string payload_hash = std::string(sigv4::kEmptyPayloadHash);
    http::Sink *sink = nullptr;
    AwsCredentials signed_with = {};  // set by send()
  };
  // One attempt, within timeout_ms.
  http::Response send(Call &call, long timeout_ms) const;
  // send() until S3 gives an answer that asking again cannot change (retry.h);
  // once more with fresh credentials if S3 says they expired, and once more
  // with the clock corrected if S3 says it is off.
  http::Response send_with_retries(Call &call) const;
  [[noreturn]] void fail_with(const Call &call, const http::Response &response) const;

  Location location_;
  std::shared_ptr<AwsCredentialChain> credentials_;
  std::optional<http::Url> endpoint_;
  // No region from a variable or the shared config: once the credentials come
  // from the instance profile, the instance's region (as the SDKs do).
  bool region_from_instance_;
  mutable std::once_flag region_once_;
  mutable S3Addressing addressing_;  // settled by region_once_ before any concurrent use
  int list_page_size_;
  S3PutParams put_params_;
  http::RetryPolicy retry_policy_;
  http::Transport transport_;
  sigv4::Signer signer_;
  // Seconds to add to this host's clock to get S3's, learned from the Date of
  // a RequestTimeTooSkewed answer; signatures are dated with it.
  mutable std::atomic<long> clock_offset_{0};
};

}  // namespace fc

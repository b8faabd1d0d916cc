// Where AWS credentials come from: the chain the official SDKs use, in their
// order, first provider that answers wins and is remembered:
//   1. environment   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
//   2. shared files  AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE, AWS_PROFILE
//   3. web identity  AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE -> STS AssumeRoleWithWebIdentity
//   4. ECS           AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI (+ authorization token)
//   5. EC2 IMDSv2    instance profile, unless AWS_EC2_METADATA_DISABLED=true
// Temporary credentials are refreshed a few minutes before they expire, by one
// thread at a time; the others keep signing with the still-valid ones.
#pragma once

#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "auth/aws_credentials.h"
#include "http/transport.h"

namespace fc {

struct AwsChainSettings {
  AwsCredentials environment;  // AWS_ACCESS_KEY_ID, ...
  std::string profile;         // AWS_PROFILE, default "default"
  std::string shared_credentials_file, config_file, home;
  std::string role_arn, web_identity_token_file, role_session_name, sts_endpoint, region;
  std::string container_relative_uri, container_full_uri, container_authorization_token,
      container_authorization_token_file;
  bool ec2_metadata_disabled = false;
  std::string ec2_metadata_endpoint;  // default http://169.254.169.254
  std::string ca_bundle;              // for STS over https, as for the storage
  bool verify_tls = true;
};

struct ResolvedCredentials {
  AwsCredentials credentials;
  std::time_t expires_at = 0;  // 0: they do not expire
  std::string provider;        // "environment", "shared files (profile default)", ...
};

class AwsCredentialChain {
 public:
  explicit AwsCredentialChain(AwsChainSettings settings);

  // Credentials to sign with now. Throws FC_EAUTH naming every provider tried
  // and why it gave nothing (one segment per provider), never a secret.
  AwsCredentials get();
  // After a request failed with ExpiredToken: fetch anew before the next get().
  void expire(const AwsCredentials &used);
  // Which provider answered and until when, for `fallback-config whoami`.
  ResolvedCredentials describe();

  // The region the shared config file names for the profile ("" if none).
  std::string shared_config_region() const;
  // The instance's region from IMDSv2, when the credentials came from the
  // instance profile ("" otherwise, or when IMDS does not say).
  std::string instance_region();

  virtual ~AwsCredentialChain() = default;

 protected:
  // Asks provider `which` (0 = environment ... 4 = instance profile); nullopt
  // with `why` when it has nothing. Virtual so that tests can stand in.
  virtual std::optional<ResolvedCredentials> try_provider(int which, std::string *why);

 private:
  ResolvedCredentials resolve();

  AwsChainSettings settings_;
  http::Transport transport_;  // short timeouts: metadata endpoints off their platform must not stall
  std::mutex mutex_;           // guards current_ and refreshing_
  std::mutex refresh_mutex_;   // one refresh at a time; guards provider_
  ResolvedCredentials current_;
  bool refreshing_ = false;
  int provider_ = -1;  // remembered once one answered
};

}  // namespace fc

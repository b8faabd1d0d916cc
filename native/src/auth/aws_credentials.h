// AWS credentials and where they came from. Only the environment for now; the
// provider chain (shared files, web identity, ECS, IMDSv2) plugs in here.
#pragma once

#include <string>

namespace fc {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;  // never logged, never in an error message
  std::string session_token;      // likewise
  bool empty() const { return access_key_id.empty() && secret_access_key.empty(); }
};

// Checks that both halves are present; names the missing variable otherwise.
void validate_credentials(const AwsCredentials &creds);

}  // namespace fc

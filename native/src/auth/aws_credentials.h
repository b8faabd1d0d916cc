// A set of AWS credentials, wherever they came from (auth/aws_credential_chain.h).
#pragma once

#include <string>

namespace fc {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;  // never logged, never in an error message
  std::string session_token;      // likewise
  bool empty() const { return access_key_id.empty() && secret_access_key.empty(); }
};

}  // namespace fc

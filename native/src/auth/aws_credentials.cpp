#include "auth/aws_credentials.h"

#include "util/error.h"

namespace fc {

void validate_credentials(const AwsCredentials &creds) {
  if (creds.access_key_id.empty() && creds.secret_access_key.empty())
    fail(FC_EINVAL,
         "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN "
         "for temporary credentials)");
  if (creds.access_key_id.empty())
    fail(FC_EINVAL, "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
  if (creds.secret_access_key.empty())
    fail(FC_EINVAL, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
}

}  // namespace fc

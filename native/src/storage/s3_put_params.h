// The S3 PutObject parameters setting: extra PutObject parameters in the AWS
// SDK's naming ({"ServerSideEncryption":"aws:kms","SSEKMSKeyId":"..."}), turned
// into the request headers S3 expects.
#pragma once

#include <string>
#include <string_view>

#include "http/transport.h"

namespace fc {

struct S3PutParams {
  http::Headers put_headers;   // sent with PutObject
  http::Headers read_headers;  // sent with GetObject/HeadObject too (SSE-C, payer, owner)
};

// Throws fc::Error(FC_EINVAL) naming `label` (where the JSON came from) and the
// parameter at fault; never echoes a value.
S3PutParams parse_s3_put_params(std::string_view json, const std::string &label);

}  // namespace fc

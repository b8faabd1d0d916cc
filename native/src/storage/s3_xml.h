// The two XML documents S3 answers with that we read: <Error> and
// <ListBucketResult> (ListObjectsV2). Parsed with tinyxml2.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "storage/storage.h"

namespace fc {

struct S3Error {
  std::string code;        // e.g. SignatureDoesNotMatch
  std::string message;     // may be empty (Ceph RGW leaves it empty)
  std::string request_id;
  std::string region;      // set on redirects and AuthorizationHeaderMalformed
  std::string endpoint;    // set on PermanentRedirect
};

// Returns false when xml is not an S3 <Error> document.
bool parse_s3_error(std::string_view xml, S3Error *out);

struct S3ListPage {
  std::vector<ObjectInfo> objects;
  bool truncated = false;
  std::string next_continuation_token;
};

// Throws fc::Error(FC_ESTORAGE) when the document is not a listing.
S3ListPage parse_list_objects_v2(std::string_view xml);

}  // namespace fc

// Checks that a declarative configuration is one JSON object and nothing else,
// hashing it (SHA-256) in the same pass. Streams: a file is read in fixed-size
// chunks, so checking a 64 MB config takes no more memory than a 64 KB one.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include "crypto/digest.h"

namespace fc {

struct CheckedPayload {
  size_t size = 0;
  crypto::Sha256 sha256{};
};

// Throws fc::Error(FC_EINVAL) naming `what` (a file name or "configuration")
// and the offset of the first problem.
CheckedPayload check_json_object(std::string_view data, const std::string &what);
// Reads `file` from its current position to the end; leaves it at the end.
CheckedPayload check_json_object_file(std::FILE *file, const std::string &what);

}  // namespace fc

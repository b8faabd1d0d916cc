// Checks that a declarative configuration is exactly one JSON object. Streams:
// strings are validated but never accumulated, so checking a 64 MB config takes
// no more memory than a 64 KB one.
#pragma once

#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

#include "crypto/digest.h"

namespace fc {

struct CheckedPayload {
  size_t size = 0;
  crypto::Sha256 sha256{};
};

// Checks and hashes an in-memory configuration. Throws fc::Error(FC_EINVAL)
// naming `what` and the offset of the first problem.
CheckedPayload check_json_object(std::string_view data, const std::string &what);

// Fills up to `cap` bytes of the input into `buffer`; returns 0 at the end; may throw.
using ChunkSource = std::function<size_t(char *buffer, size_t cap)>;

// Checks the input `source` yields, hashing it into `hash` when given. Returns its size.
size_t check_json_object_chunks(const ChunkSource &source, const std::string &what,
                                const std::function<void(size_t)> &progress = {},
                                crypto::Sha256Stream *hash = nullptr);

// Checks `file` from its current position to the end. `progress(n)` is called
// as the check moves on: the first n bytes are consumed (not yet known good).
// Returns the number of bytes checked.
size_t check_json_object_stream(std::FILE *file, const std::string &what,
                                const std::function<void(size_t)> &progress = {});

// SHA-256 and size of `file` from its current position to the end.
CheckedPayload hash_file(std::FILE *file, const std::string &what);

// Reads the first non-whitespace byte without consuming the file; a cheap way to
// refuse arrays and scalars before anything is sent. Returns '\0' for an empty file.
char first_significant_byte(std::FILE *file);

}  // namespace fc

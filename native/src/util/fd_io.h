// Whole files and file descriptors: writes through short writes and EINTR,
// small files (keys, tokens, INI files) read at once.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace fc {

// Throws fc::Error(FC_EIO) "cannot write <name>: <reason>".
void write_all(int fd, const char *data, size_t len, const std::string &name);

// The whole file, or nullopt when it cannot be read.
std::optional<std::string> read_small_file(const std::string &path);

}  // namespace fc

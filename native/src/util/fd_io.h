// Writing to file descriptors, whole, through short writes and EINTR.
#pragma once

#include <cstddef>
#include <string>

namespace fc {

// Throws fc::Error(FC_EIO) "cannot write <name>: <reason>".
void write_all(int fd, const char *data, size_t len, const std::string &name);

}  // namespace fc

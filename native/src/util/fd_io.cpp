#include "util/fd_io.h"

#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "util/error.h"

namespace fc {

void write_all(int fd, const char *data, size_t len, const std::string &name) {
  while (len > 0) {
    ssize_t n = ::write(fd, data, len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_errno("cannot write " + name);
    data += n;
    len -= static_cast<size_t>(n);
  }
}

std::optional<std::string> read_small_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return ss.str();
}

}  // namespace fc

#include "util/error.h"

#include <cerrno>
#include <cstring>

namespace fc {

void fail_errno(const std::string &what) {
  int err = errno;
  char buf[128];
  // GNU strerror_r returns the message, which may or may not be buf.
  const char *text = strerror_r(err, buf, sizeof buf);
  fail(FC_EIO, what + ": " + text);
}

}  // namespace fc

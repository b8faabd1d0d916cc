// The one exception type used inside the library. It never crosses the C ABI:
// abi/fallback_config.cpp turns it into a status and a one-line message.
#pragma once

#include <stdexcept>
#include <string>

#include "fallback_config.h"

namespace fc {

class Error : public std::runtime_error {
 public:
  Error(fc_status status, const std::string &message)
      : std::runtime_error(message), status_(status) {}
  fc_status status() const { return status_; }

 private:
  fc_status status_;
};

[[noreturn]] inline void fail(fc_status status, const std::string &message) {
  throw Error(status, message);
}

// fail(FC_EIO, what + ": " + the text of errno), thread-safe (strerror_r).
[[noreturn]] void fail_errno(const std::string &what);

}  // namespace fc

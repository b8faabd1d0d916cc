// Checks a configuration file on its own thread while it uploads, and holds the
// upload back so that no byte goes out before the check has read past it, and
// the last byte only once the whole file is known to be one JSON object. A bad
// file therefore aborts its upload before the storage can commit it, and a good
// one costs no extra wall time for the check.
#pragma once

#include <condition_variable>
#include <exception>
#include <mutex>
#include <string>
#include <thread>

#include "http/transport.h"

namespace fc {

class JsonCheckGate : public http::BodyGate {
 public:
  // Checks the file open as `fd` (through its own open file description, so the
  // upload's read position is untouched); `size` is what the upload will send.
  JsonCheckGate(int fd, const std::string &name, size_t size);
  ~JsonCheckGate() override;
  JsonCheckGate(const JsonCheckGate &) = delete;
  JsonCheckGate &operator=(const JsonCheckGate &) = delete;

  void wait_until_sendable(size_t end) override;
  // Waits for the check to end; throws its error if the file is not one object.
  void finish();

 private:
  void run(const std::string &path, const std::string &name);

  const size_t size_;
  std::mutex mutex_;
  std::condition_variable changed_;
  size_t sendable_ = 0;  // bytes the upload may send
  bool done_ = false;
  std::exception_ptr error_;
  std::thread worker_;
};

}  // namespace fc

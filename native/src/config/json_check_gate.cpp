#include "config/json_check_gate.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "config/json_object_check.h"
#include "util/error.h"

namespace fc {

JsonCheckGate::JsonCheckGate(int fd, const std::string &name, size_t size) : size_(size) {
  // Reopening through /proc reads the very inode the upload reads, even if the
  // name has been replaced since.
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  worker_ = std::thread([this, path, name] { run(path, name); });
}

JsonCheckGate::~JsonCheckGate() {
  if (worker_.joinable()) worker_.join();
}

void JsonCheckGate::run(const std::string &path, const std::string &name) {
  try {
    std::unique_ptr<std::FILE, int (*)(std::FILE *)> file(std::fopen(path.c_str(), "rb"), std::fclose);
    if (!file) fail_errno("cannot open " + name);
    size_t checked = check_json_object_stream(file.get(), name, [this](size_t consumed) {
      std::lock_guard<std::mutex> lock(mutex_);
      // The last byte waits for the verdict on the whole file.
      sendable_ = size_ ? std::min(consumed, size_ - 1) : 0;
      changed_.notify_all();
    });
    // Vouch only for exactly the bytes the upload sends.
    if (checked != size_) fail(FC_EIO, name + " changed while it was being uploaded");
    std::lock_guard<std::mutex> lock(mutex_);
    sendable_ = size_;
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    error_ = std::current_exception();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  done_ = true;
  changed_.notify_all();
}

void JsonCheckGate::wait_until_sendable(size_t end) {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return error_ || sendable_ >= end || done_; });
  if (error_) std::rethrow_exception(error_);
  // A file that grew after its size was taken is checked only up to that size.
  if (sendable_ < end) fail(FC_EIO, "the file changed while it was being uploaded");
}

void JsonCheckGate::finish() {
  if (worker_.joinable()) worker_.join();
  if (error_) std::rethrow_exception(error_);
}

}  // namespace fc

#include "config/json_check_follower.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "config/json_object_check.h"
#include "util/error.h"

namespace fc {

namespace {
struct Abandoned {};  // ends the checker thread's parse when the check is dropped
}  // namespace

JsonCheckFollower::JsonCheckFollower(int fd, std::string what) : fd_(fd), what_(std::move(what)) { start(); }

JsonCheckFollower::~JsonCheckFollower() { stop(); }

void JsonCheckFollower::start() {
  available_ = 0;
  complete_ = abandoned_ = false;
  error_ = nullptr;
  worker_ = std::thread([this] { run(); });
}

void JsonCheckFollower::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    abandoned_ = true;
    changed_.notify_all();
  }
  if (worker_.joinable()) worker_.join();
}

void JsonCheckFollower::run() {
  uint64_t offset = 0;
  ChunkSource follow = [&](char *out, size_t cap) -> size_t {
    uint64_t end;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [&] { return abandoned_ || complete_ || available_ > offset; });
      if (abandoned_) throw Abandoned{};
      end = available_;
    }
    if (end <= offset) return 0;  // complete, and all read
    for (;;) {
      ssize_t n = ::pread(fd_, out, std::min<uint64_t>(cap, end - offset), static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail_errno("cannot read " + what_);
      offset += static_cast<uint64_t>(n);
      return static_cast<size_t>(n);
    }
  };
  try {
    check_json_object_chunks(follow, what_);
  } catch (const Abandoned &) {
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    error_ = std::current_exception();
  }
}

void JsonCheckFollower::written(uint64_t total) {
  std::lock_guard<std::mutex> lock(mutex_);
  available_ = total;
  changed_.notify_all();
}

void JsonCheckFollower::restart() {
  stop();
  start();
}

void JsonCheckFollower::finish() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    complete_ = true;
    changed_.notify_all();
  }
  if (worker_.joinable()) worker_.join();
  if (error_) std::rethrow_exception(error_);
}

}  // namespace fc

// A caller's buffer that the library reads in place, without copying it whole,
// and that the caller may take back at any time: the plugin hands over a Lua
// string, which the Lua GC may collect if the job owning it is dropped. Every
// read copies one window under a lock; after revoke() returns, nothing touches
// the memory again.
#pragma once

#include <cstddef>
#include <mutex>

namespace fc::http {

class BorrowedBuffer {
 public:
  BorrowedBuffer(const char *data, size_t size) : data_(data), size_(size) {}
  size_t size() const { return size_; }
  // Copies up to `cap` bytes from `offset` into `out`; throws fc::Error once revoked.
  size_t read(size_t offset, char *out, size_t cap);
  // Blocks for at most one window's copy.
  void revoke();

 private:
  std::mutex mutex_;
  const char *data_;
  size_t size_;
  bool revoked_ = false;
};

}  // namespace fc::http

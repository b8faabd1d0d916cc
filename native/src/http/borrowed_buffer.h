// A caller's bytes that the library reads in place, without copying them
// whole, and that the caller may take back at any time: the plugin hands over
// Lua strings, which the Lua GC may collect if the job owning them is dropped.
// The bytes may be one buffer or several parts read back to back (the plugin
// encodes a configuration piece by piece and never joins the pieces). Every
// read copies one window under a lock; after revoke() returns, nothing touches
// the memory again.
#pragma once

#include <cstddef>
#include <mutex>
#include <vector>

namespace fc::http {

class BorrowedBuffer {
 public:
  struct Part {
    const char *data;
    size_t size;
  };

  BorrowedBuffer(const char *data, size_t size);
  explicit BorrowedBuffer(std::vector<Part> parts);
  size_t size() const { return size_; }
  // Copies up to `cap` bytes from `offset` into `out`; throws fc::Error once revoked.
  size_t read(size_t offset, char *out, size_t cap);
  // Blocks for at most one window's copy.
  void revoke();

 private:
  std::mutex mutex_;
  std::vector<Part> parts_;
  std::vector<size_t> starts_;  // offset of each part's first byte
  size_t size_ = 0;
  bool revoked_ = false;
};

}  // namespace fc::http

#include "http/borrowed_buffer.h"

#include <algorithm>
#include <cstring>

#include "util/error.h"

namespace fc::http {

size_t BorrowedBuffer::read(size_t offset, char *out, size_t cap) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (revoked_) fail(FC_EINTERNAL, "the job was abandoned: its caller released the configuration");
  if (offset >= size_) return 0;
  size_t n = std::min(cap, size_ - offset);
  std::memcpy(out, data_ + offset, n);
  return n;
}

void BorrowedBuffer::revoke() {
  std::lock_guard<std::mutex> lock(mutex_);
  revoked_ = true;
  data_ = nullptr;
}

}  // namespace fc::http

#include "http/borrowed_buffer.h"

#include <algorithm>
#include <cstring>

#include "util/error.h"

namespace fc::http {

BorrowedBuffer::BorrowedBuffer(const char *data, size_t size) : BorrowedBuffer(std::vector<Part>{{data, size}}) {}

BorrowedBuffer::BorrowedBuffer(std::vector<Part> parts) : parts_(std::move(parts)) {
  starts_.reserve(parts_.size());
  for (const Part &p : parts_) {
    starts_.push_back(size_);
    size_ += p.size;
  }
}

size_t BorrowedBuffer::read(size_t offset, char *out, size_t cap) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (revoked_) fail(FC_EINTERNAL, "the job was abandoned: its caller released the configuration");
  if (offset >= size_) return 0;
  // The last part starting at or before `offset`; empty parts are skipped over.
  size_t i = static_cast<size_t>(std::upper_bound(starts_.begin(), starts_.end(), offset) - starts_.begin()) - 1;
  size_t copied = 0;
  while (copied < cap && i < parts_.size()) {
    size_t within = offset + copied - starts_[i];
    size_t n = std::min(cap - copied, parts_[i].size - within);
    if (n) std::memcpy(out + copied, parts_[i].data + within, n);
    copied += n;
    ++i;
  }
  return copied;
}

void BorrowedBuffer::revoke() {
  std::lock_guard<std::mutex> lock(mutex_);
  revoked_ = true;
  parts_.clear();
}

}  // namespace fc::http

#include "http/body.h"

#include <algorithm>
#include <cstring>

#include "util/pace.h"
#include "util/error.h"

namespace fc::http {

RawBodyReader::RawBodyReader(const Body &body) : body_(body) {
  if (body_.file) file_start_ = std::ftell(body_.file);
}

size_t RawBodyReader::read(char *buffer, size_t max) {
  size_t want = std::min(max, body_.size - offset_);
  if (want == 0) return 0;
  if (body_.gate) body_.gate->wait_until_sendable(offset_ + want);
  if (body_.borrowed) {
    want = body_.borrowed->read(offset_, buffer, want);
    if (want == 0) fail(FC_EIO, "the configuration ended early");
  } else if (body_.file) {
    want = std::fread(buffer, 1, want, body_.file);
    if (want == 0) fail(FC_EIO, "the upload file ended early or could not be read");
  } else {
    std::memcpy(buffer, body_.data + offset_, want);
  }
  offset_ += want;
  pace(want);
  return want;
}

void RawBodyReader::rewind() {
  if (body_.file && std::fseek(body_.file, file_start_, SEEK_SET) != 0) fail_errno("cannot rewind the upload file");
  offset_ = 0;
}

size_t FramedBodyReader::read(char *buffer, size_t max) {
  size_t done = 0;
  const size_t inner_end = prefix_.size() + inner_.size();
  while (done < max) {
    size_t n;
    if (offset_ < prefix_.size()) {
      n = std::min(max - done, prefix_.size() - offset_);
      std::memcpy(buffer + done, prefix_.data() + offset_, n);
    } else if (offset_ < inner_end) {
      n = inner_.read(buffer + done, max - done);
      if (n == 0) fail(FC_EIO, "the configuration ended early");
    } else if (offset_ < size()) {
      n = std::min(max - done, size() - offset_);
      std::memcpy(buffer + done, suffix_.data() + (offset_ - inner_end), n);
    } else {
      break;
    }
    offset_ += n;
    done += n;
  }
  return done;
}

void FramedBodyReader::rewind() {
  inner_.rewind();
  offset_ = 0;
}

}  // namespace fc::http

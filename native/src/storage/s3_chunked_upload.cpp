#include "storage/s3_chunked_upload.h"

#include <cstring>

#include "util/error.h"

namespace fc {

namespace {

constexpr size_t kSignatureFraming = sizeof(";chunk-signature=") - 1 + 64 + 2;  // + CRLF

size_t hex_digits(size_t n) {
  size_t digits = 1;
  while (n >>= 4) ++digits;
  return digits;
}

size_t framed_length(size_t data) { return hex_digits(data) + kSignatureFraming + data + 2; }

std::string hex_size(size_t n) {
  char buf[32];
  int len = std::snprintf(buf, sizeof buf, "%zx", n);
  return std::string(buf, static_cast<size_t>(len));
}

}  // namespace

size_t aws_chunked_length(size_t payload, size_t chunk_size) {
  size_t full = payload / chunk_size, rest = payload % chunk_size;
  size_t length = full * framed_length(chunk_size) + framed_length(0);
  if (rest) length += framed_length(rest);
  return length;
}

AwsChunkedReader::AwsChunkedReader(const http::Body &body, size_t chunk_size, const sigv4::Signature &seed)
    : source_(body), chunk_size_(chunk_size), signer_(seed), chunk_(chunk_size) {}

void AwsChunkedReader::next_frame() {
  size_t filled = 0;
  while (filled < chunk_size_) {
    size_t n = source_.read(chunk_.data() + filled, chunk_size_ - filled);
    if (n == 0) break;
    filled += n;
  }
  if (filled == 0) finished_ = true;
  const std::string_view data(chunk_.data(), filled);
  frame_.clear();
  frame_.reserve(framed_length(filled));
  frame_.append(hex_size(filled)).append(";chunk-signature=").append(signer_.sign_next(data)).append("\r\n");
  frame_.append(data).append("\r\n");
  frame_pos_ = 0;
}

size_t AwsChunkedReader::read(char *buffer, size_t max) {
  size_t written = 0;
  while (written < max) {
    if (frame_pos_ == frame_.size()) {
      if (finished_) break;
      next_frame();
    }
    size_t n = std::min(max - written, frame_.size() - frame_pos_);
    std::memcpy(buffer + written, frame_.data() + frame_pos_, n);
    frame_pos_ += n;
    written += n;
  }
  return written;
}

void AwsChunkedReader::rewind() {
  source_.rewind();
  signer_.restart();
  frame_.clear();
  frame_pos_ = 0;
  finished_ = false;
}

}  // namespace fc

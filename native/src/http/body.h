// Upload bodies: what a storage is asked to store (Body), and how the bytes are
// handed to the transport (BodyReader), possibly re-encoded on the way.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "http/borrowed_buffer.h"

namespace fc::http {

// Holds an upload back until the bytes it is about to send may go (for example,
// until a concurrent check has vouched for them).
class BodyGate {
 public:
  virtual ~BodyGate() = default;
  // Blocks until bytes [0, end) may be sent; throws fc::Error to abort the upload.
  virtual void wait_until_sendable(size_t end) = 0;
};

// The bytes to store: an in-memory buffer (read in place), a borrowed buffer the
// caller may revoke, or an open file.
struct Body {
  const char *data = nullptr;
  size_t size = 0;
  std::FILE *file = nullptr;           // when set, `size` bytes are read from its current position
  BodyGate *gate = nullptr;            // optional
  BorrowedBuffer *borrowed = nullptr;  // when set, the bytes are read through it
  static Body none() { return {}; }
  static Body memory(const char *data, size_t size) { return {data, size, nullptr, nullptr, nullptr}; }
  static Body from_file(std::FILE *file, size_t size, BodyGate *gate = nullptr) {
    return {nullptr, size, file, gate, nullptr};
  }
  static Body from_borrowed(BorrowedBuffer *buffer) { return {nullptr, buffer->size(), nullptr, nullptr, buffer}; }
};

// Supplies an upload's bytes to the transport. libcurl may rewind it to resend
// the request (a reused connection that was closed, a refused 100-continue).
class BodyReader {
 public:
  virtual ~BodyReader() = default;
  virtual size_t size() const = 0;  // bytes that will be sent
  // Fills up to `max` bytes; returns 0 at the end. Throws fc::Error to abort.
  virtual size_t read(char *buffer, size_t max) = 0;
  virtual void rewind() = 0;
};

// A Body's bytes as they are, honouring its gate.
class RawBodyReader : public BodyReader {
 public:
  explicit RawBodyReader(const Body &body);
  size_t size() const override { return body_.size; }
  size_t read(char *buffer, size_t max) override;
  void rewind() override;

 private:
  Body body_;
  long file_start_ = 0;
  size_t offset_ = 0;
};

// A Body's bytes between a fixed prefix and suffix (a multipart upload's
// framing), read in place.
class FramedBodyReader : public BodyReader {
 public:
  FramedBodyReader(std::string prefix, const Body &body, std::string suffix)
      : prefix_(std::move(prefix)), suffix_(std::move(suffix)), inner_(body) {}
  size_t size() const override { return prefix_.size() + inner_.size() + suffix_.size(); }
  size_t read(char *buffer, size_t max) override;
  void rewind() override;

 private:
  std::string prefix_, suffix_;
  RawBodyReader inner_;
  size_t offset_ = 0;  // into the whole
};

}  // namespace fc::http

// S3's aws-chunked upload with signed chunks (STREAMING-AWS4-HMAC-SHA256-PAYLOAD):
// the body is signed as it streams, so a large file needs no hashing pass before
// its first byte can go, and every chunk still carries a signature S3 verifies.
//   <hex size>;chunk-signature=<64 hex>\r\n<data>\r\n ... 0;chunk-signature=<64 hex>\r\n\r\n
#pragma once

#include <string>
#include <vector>

#include "auth/sigv4.h"
#include "http/body.h"

namespace fc {

// Bytes on the wire for `payload` bytes sent in chunks of `chunk_size`.
size_t aws_chunked_length(size_t payload, size_t chunk_size);

class AwsChunkedReader : public http::BodyReader {
 public:
  // `seed` is the request's signature (signed with kStreamingPayload).
  AwsChunkedReader(const http::Body &body, size_t chunk_size, const sigv4::Signature &seed);
  size_t size() const override { return aws_chunked_length(source_.size(), chunk_size_); }
  size_t read(char *buffer, size_t max) override;
  void rewind() override;

 private:
  void next_frame();  // reads, signs and frames the next chunk

  http::RawBodyReader source_;
  size_t chunk_size_;
  sigv4::ChunkSigner signer_;
  std::vector<char> chunk_;
  std::string frame_;  // the current chunk, framed (header, data, CRLF)
  size_t frame_pos_ = 0;
  bool finished_ = false;  // the final, empty chunk has been framed
};

}  // namespace fc

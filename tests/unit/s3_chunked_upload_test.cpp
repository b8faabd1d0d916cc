// The S3 API reference's streaming example ("Signature Calculations for the
// Authorization Header: Transferring Payload in Multiple Chunks"): 66,560 bytes
// of 'a' in 64 KiB chunks, with the seed and chunk signatures AWS publishes.
#include <gtest/gtest.h>

#include <string>

#include "storage/s3_chunked_upload.h"
#include "util/time.h"

using namespace fc;

namespace {

sigv4::Signature seed_signature() {
  sigv4::Request req;
  req.method = "PUT";
  req.path = "/examplebucket/chunkObject.txt";
  req.headers = {{"Host", "s3.amazonaws.com"},
                 {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                 {"Content-Encoding", "aws-chunked"},
                 {"Content-Length", "66824"},
                 {"x-amz-decoded-content-length", "66560"}};
  req.payload_hash = std::string(sigv4::kStreamingPayload);
  sigv4::Params p;
  p.credentials = {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
  p.region = "us-east-1";
  p.service = "s3";
  EXPECT_TRUE(parse_iso8601_utc("20130524T000000Z", &p.time));
  return sigv4::Signer().sign(req, p);
}

std::string read_all(http::BodyReader &reader, size_t step) {
  std::string out;
  std::string buf(step, '\0');
  for (size_t n; (n = reader.read(buf.data(), buf.size())) > 0;) out.append(buf, 0, n);
  return out;
}

}  // namespace

TEST(S3ChunkedUpload, SeedSignatureMatchesTheReference) {
  sigv4::Signature sig = seed_signature();
  EXPECT_EQ(sig.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;"
            "x-amz-decoded-content-length;x-amz-storage-class, "
            "Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
}

TEST(S3ChunkedUpload, ChunksAreFramedAndSignedAsTheReferenceSays) {
  const std::string payload(66560, 'a');
  const std::string expected =
      "10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n" +
      payload.substr(0, 65536) +
      "\r\n400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n" +
      payload.substr(0, 1024) +
      "\r\n0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n";
  EXPECT_EQ(aws_chunked_length(payload.size(), 65536), 66824u);  // the reference's Content-Length

  AwsChunkedReader reader(http::Body::memory(payload.data(), payload.size()), 65536, seed_signature());
  EXPECT_EQ(reader.size(), 66824u);
  for (size_t step : {size_t(1) << 20, size_t(7), size_t(65536)}) {  // whatever libcurl asks for
    std::string body = read_all(reader, step);
    EXPECT_EQ(body.size(), expected.size()) << step;
    EXPECT_TRUE(body == expected) << "step " << step;
    reader.rewind();  // a resend starts the chain again from the seed
  }
}

TEST(S3ChunkedUpload, LengthsForEdgeSizes) {
  // Empty payload: only the final chunk, "0;chunk-signature=<64>\r\n\r\n".
  EXPECT_EQ(aws_chunked_length(0, 65536), 1 + 17 + 64 + 2 + 2u);
  // Exactly one full chunk: no partial chunk between it and the final one.
  EXPECT_EQ(aws_chunked_length(65536, 65536), (5 + 17 + 64 + 2 + 65536 + 2) + (1 + 17 + 64 + 2 + 2u));
  const std::string empty;
  AwsChunkedReader reader(http::Body::memory(empty.data(), 0), 65536, seed_signature());
  EXPECT_EQ(read_all(reader, 4096).size(), reader.size());
}

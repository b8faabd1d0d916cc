// Differential test against the official AWS signer (@smithy/signature-v4): the
// generator in tests/differential signs >= 1,000 random requests and records the
// Authorization header; every one must match ours byte for byte.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "auth/sigv4.h"
#include "crypto/digest.h"
#include "util/time.h"

using namespace fc;

namespace {

sigv4::NameValues pairs(const rapidjson::Value &array) {
  sigv4::NameValues out;
  for (const auto &p : array.GetArray()) out.emplace_back(p[0].GetString(), p[1].GetString());
  return out;
}

}  // namespace

TEST(SigV4Differential, MatchesSmithySignerOnGeneratedRequests) {
  const char *path = std::getenv("FC_DIFF_CASES");
  ASSERT_NE(path, nullptr) << "FC_DIFF_CASES must name the generated cases file";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot open " << path << " (run tests/differential/generate.mjs)";
  std::stringstream text;
  text << in.rdbuf();
  rapidjson::Document doc;
  doc.Parse(text.str().c_str());
  ASSERT_FALSE(doc.HasParseError());
  const auto &cases = doc["cases"].GetArray();
  ASSERT_GE(cases.Size(), 1000u);

  sigv4::Signer signer;  // one signer: the key cache is exercised across cases
  size_t mismatches = 0, with_token = 0, s3 = 0;
  for (const auto &c : cases) {
    sigv4::Request req;
    req.method = c["method"].GetString();
    req.path = c["path"].GetString();
    req.query = pairs(c["query"]);
    req.headers = pairs(c["headers"]);
    req.payload_hash = crypto::hex(crypto::sha256(c["body"].GetString()));
    sigv4::Params p;
    p.credentials.access_key_id = c["access_key"].GetString();
    p.credentials.secret_access_key = c["secret_key"].GetString();
    if (c["session_token"].IsString()) {
      p.credentials.session_token = c["session_token"].GetString();
      ++with_token;
    }
    p.region = c["region"].GetString();
    p.service = c["service"].GetString();
    ASSERT_TRUE(parse_iso8601_utc(c["time"].GetString(), &p.time));
    p.rules = std::string(c["mode"].GetString()) == "s3" ? sigv4::Rules::S3 : sigv4::Rules::Generic;
    if (p.rules == sigv4::Rules::S3) ++s3;
    sigv4::Signature sig = signer.sign(req, p);
    if (sig.authorization != c["authorization"].GetString()) {
      if (++mismatches <= 5)
        ADD_FAILURE() << "case " << c["id"].GetInt() << " (" << c["mode"].GetString() << " " << req.method << " "
                      << req.path << ")\n ours:   " << sig.authorization << "\n smithy: "
                      << c["authorization"].GetString() << "\n canonical request:\n"
                      << sig.canonical_request;
    }
  }
  EXPECT_EQ(mismatches, 0u) << "of " << cases.Size() << " cases";
  EXPECT_GT(with_token, cases.Size() / 4);
  EXPECT_GT(s3, cases.Size() / 4);
  EXPECT_LT(s3, cases.Size() * 3 / 4);
}

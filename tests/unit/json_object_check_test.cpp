#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "config/json_object_check.h"
#include "crypto/digest.h"
#include "util/error.h"

using namespace fc;

namespace {
std::string error_of(const std::string &data) {
  try {
    check_json_object(data, "cfg");
  } catch (const Error &e) {
    return e.what();
  }
  return "";
}

std::FILE *file_with(const std::string &data) {
  std::FILE *f = std::tmpfile();
  std::fwrite(data.data(), 1, data.size(), f);
  std::rewind(f);
  return f;
}
}  // namespace

TEST(JsonObjectCheck, AcceptsObjectsAndHashesThem) {
  std::string cfg = " {\"_format_version\":\"3.0\",\"services\":[{\"name\":\"ü\"}]}\n";
  CheckedPayload p = check_json_object(cfg, "cfg");
  EXPECT_EQ(p.size, cfg.size());
  EXPECT_EQ(p.sha256, crypto::sha256(cfg));
}

TEST(JsonObjectCheck, RefusesEverythingElse) {
  EXPECT_NE(error_of("").find("empty"), std::string::npos);
  EXPECT_NE(error_of("[1,2]").find("not a JSON object"), std::string::npos);
  EXPECT_NE(error_of("\"str\"").find("not a JSON object"), std::string::npos);
  EXPECT_NE(error_of("{\"a\":1").find("ends early at byte 6 (truncated?)"), std::string::npos);
  EXPECT_NE(error_of("{} {}").find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of(std::string("{}\0garbage", 10)).find("unexpected bytes"), std::string::npos);
  EXPECT_NE(error_of("{\"a\":\"\xff\"}").find("not valid JSON"), std::string::npos);  // bad UTF-8
}

TEST(JsonObjectCheck, StreamVersionReadsInChunksAndAgreesWithMemoryVersion) {
  std::string big = "{\"items\":[";
  for (int i = 0; i < 100000; ++i) big += (i ? ",\"" : "\"") + std::to_string(i) + "\"";
  big += "],\"blob\":\"" + std::string(600000, 'x') + "\\n\\u00fc\"}";
  ASSERT_GT(big.size(), 4u * 256 * 1024);  // spans several read chunks
  std::FILE *f = file_with(big);
  std::vector<size_t> progress;
  check_json_object_stream(f, "big.json", [&](size_t n) { progress.push_back(n); });
  ASSERT_GE(progress.size(), 4u);
  for (size_t i = 1; i < progress.size(); ++i) EXPECT_GT(progress[i], progress[i - 1]);
  EXPECT_LE(progress.back(), big.size());
  std::rewind(f);
  CheckedPayload p = hash_file(f, "big.json");
  std::fclose(f);
  EXPECT_EQ(p.size, big.size());
  EXPECT_EQ(p.sha256, crypto::sha256(big));
  EXPECT_EQ(check_json_object(big, "big").sha256, p.sha256);

  for (std::string bad : {std::string("{}\0x", 4), std::string("[]"), std::string("{\"a\":"), std::string("")}) {
    std::FILE *g = file_with(bad);
    EXPECT_THROW(check_json_object_stream(g, "bad.json"), Error) << bad;
    std::fclose(g);
  }
}

TEST(JsonObjectCheck, FirstSignificantByteDoesNotConsume) {
  std::FILE *f = file_with(" \n\t[1]");
  EXPECT_EQ(first_significant_byte(f), '[');
  EXPECT_EQ(std::ftell(f), 0);
  std::fclose(f);
  std::FILE *g = file_with("  ");
  EXPECT_EQ(first_significant_byte(g), '\0');
  std::fclose(g);
}

TEST(JsonObjectCheck, DeepNestingDoesNotOverflowTheStack) {
  std::string deep = "{\"a\":" + std::string(200000, '[') + std::string(200000, ']') + "}";
  EXPECT_NO_THROW(check_json_object(deep, "deep"));
}

// check_json_object() and check_json_object_chunks(): the streaming check that
// an upload is exactly one JSON object, differentially against a plain
// RapidJSON DOM parse. Input: the candidate configuration.
#include <rapidjson/document.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "check.h"
#include "config/json_object_check.h"
#include "crypto/digest.h"
#include "util/error.h"

namespace {

// The reference answer: non-empty, no NUL byte (RapidJSON would take it for
// the end), valid UTF-8 JSON whose single top-level value is an object. A
// StringStream, unlike Parse(str, length), does not skip a byte-order mark,
// which a declarative configuration must not have either. It does read a
// truncated UTF-8 sequence's continuation bytes past the terminator, hence the
// padding.
bool is_one_json_object(std::string_view input) {
  if (input.empty() || input.find('\0') != std::string_view::npos) return false;
  std::string text(input);
  text.append(4, '\0');
  rapidjson::StringStream stream(text.c_str());
  rapidjson::Document doc;
  doc.ParseStream<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(stream);
  return !doc.HasParseError() && doc.IsObject();
}

struct Outcome {
  bool ok = false;
  std::string error;
  size_t size = 0;
  fc::crypto::Sha256 sha256{};
};

Outcome check_in_memory(std::string_view input) {
  Outcome out;
  try {
    fc::CheckedPayload payload = fc::check_json_object(input, "the configuration");
    out.ok = true;
    out.size = payload.size;
    out.sha256 = payload.sha256;
  } catch (const fc::Error &e) {
    FUZZ_CHECK(e.status() == FC_EINVAL);
    out.error = e.what();
  }
  return out;
}

Outcome check_in_chunks(std::string_view input, size_t chunk) {
  size_t offset = 0;
  fc::ChunkSource source = [&](char *buffer, size_t cap) {
    size_t n = std::min({cap, chunk, input.size() - offset});
    std::memcpy(buffer, input.data() + offset, n);
    offset += n;
    return n;
  };
  Outcome out;
  fc::crypto::Sha256Stream hash;
  try {
    out.size = fc::check_json_object_chunks(source, "the configuration", {}, &hash);
    out.ok = true;
  } catch (const fc::Error &e) {
    FUZZ_CHECK(e.status() == FC_EINVAL);
    out.error = e.what();
  }
  // The hash covers the whole input, even after a parse error.
  FUZZ_CHECK(offset == input.size());
  if (out.ok) out.sha256 = hash.finish();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view input(reinterpret_cast<const char *>(data), size);
  Outcome memory = check_in_memory(input);
  FUZZ_CHECK(memory.ok == is_one_json_object(input));
  if (memory.ok) FUZZ_CHECK(memory.size == size && memory.sha256 == fc::crypto::sha256(input));

  Outcome chunks = check_in_chunks(input, size % 13 + 1);
  FUZZ_CHECK(chunks.ok == memory.ok && chunks.error == memory.error);
  if (chunks.ok) FUZZ_CHECK(chunks.size == size && chunks.sha256 == memory.sha256);
  return 0;
}

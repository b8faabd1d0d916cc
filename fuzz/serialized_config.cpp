// serialized_config_to_json(): a configuration in LuaJIT's string.buffer
// serialization format (as the plugin's serializer frames it) turned into JSON.
// Input: the serialized bytes.
//
// Decoded twice, once in one piece and once in small pieces that cross every
// window boundary: both must give the same JSON or the same error.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "check.h"
#include "config/serialized_config.h"
#include "util/error.h"

namespace {

struct Outcome {
  bool ok = false;
  std::string text;  // the JSON, or the error message
};

Outcome decode(std::string_view input, size_t piece) {
  size_t offset = 0;
  fc::ChunkSource source = [&](char *out, size_t cap) {
    size_t n = std::min({cap, piece, input.size() - offset});
    std::memcpy(out, input.data() + offset, n);
    offset += n;
    return n;
  };
  rapidjson::StringBuffer json;
  try {
    fc::serialized_config_to_json(source, json);
  } catch (const fc::Error &e) {
    FUZZ_CHECK(e.status() == FC_EINVAL);
    return {false, e.what()};
  }
  return {true, std::string(json.GetString(), json.GetSize())};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view input(reinterpret_cast<const char *>(data), size);
  Outcome whole = decode(input, input.size() + 1);
  Outcome pieces = decode(input, size % 7 + 1);
  FUZZ_CHECK(whole.ok == pieces.ok && whole.text == pieces.text);
  if (!whole.ok) return 0;

  // The output is one JSON object. Lua strings are bytes, so the encoding is
  // not validated here (the upload's own check does that).
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(whole.text.data(), whole.text.size());
  FUZZ_CHECK(!doc.HasParseError() && doc.IsObject());
  return 0;
}

#include "config/kong_lmdb_helper.h"

#include <rapidjson/document.h>

#include "util/child_process.h"
#include "util/error.h"

namespace fc {

namespace {

constexpr size_t kMaxConfigBytes = size_t{4} << 30;  // the JSON check's limit as well
constexpr size_t kMaxErrorBytes = 4096;
constexpr size_t kMaxHashBytes = 64;

// The helper needs no environment; a sanitizer build's options pass through.
const std::vector<std::string> kKeepEnvironment = {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TZ"};

std::string first_line(const std::string &text) {
  std::string line = text.substr(0, text.find('\n'));
  return line.empty() ? "no reason given" : line;
}

[[noreturn]] void malformed(const std::string &why) {
  fail(FC_EINVAL, "the LMDB export helper's answer is malformed: " + why);
}

bool from_hex(const rapidjson::Value &v, crypto::Sha256 *out) {
  if (!v.IsString() || v.GetStringLength() != 64) return false;
  const char *s = v.GetString();
  for (size_t i = 0; i < 32; ++i) {
    unsigned value = 0;
    for (int k = 0; k < 2; ++k) {
      char c = s[2 * i + k];
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (d < 0) return false;
      value = value * 16 + static_cast<unsigned>(d);
    }
    (*out)[i] = static_cast<unsigned char>(value);
  }
  return true;
}

// The last line: what the helper read and wrote.
void parse_trailer(const std::string &line, size_t json_bytes, KongLmdbRead &read) {
  rapidjson::Document doc;
  doc.Parse(line.data(), line.size());
  if (doc.HasParseError() || !doc.IsObject()) malformed("the last line is not a JSON object");
  auto hash = doc.FindMember("hash");
  auto entities = doc.FindMember("entities");
  auto empty = doc.FindMember("empty");
  auto bytes = doc.FindMember("bytes");
  auto sha256 = doc.FindMember("sha256");
  if (hash == doc.MemberEnd() || !hash->value.IsString() || hash->value.GetStringLength() > kMaxHashBytes ||
      entities == doc.MemberEnd() || !entities->value.IsUint64() || empty == doc.MemberEnd() ||
      !empty->value.IsBool() || bytes == doc.MemberEnd() || !bytes->value.IsUint64() ||
      sha256 == doc.MemberEnd() || !from_hex(sha256->value, &read.sha256))
    malformed("the last line lacks hash, entities, empty, bytes or sha256");
  if (bytes->value.GetUint64() != json_bytes)
    malformed("it announced " + std::to_string(bytes->value.GetUint64()) + " bytes and sent " +
              std::to_string(json_bytes));
  read.snapshot.hash.assign(hash->value.GetString(), hash->value.GetStringLength());
  read.snapshot.entities = entities->value.GetUint64();
  read.snapshot.empty = empty->value.GetBool();
}

}  // namespace

KongLmdbRead read_kong_lmdb_in_helper(const std::string &helper_path, const std::string &plan_json) {
  ChildProcess helper(helper_path, {"fallback-config-lmdb-export"}, kKeepEnvironment);
  helper.write_stdin_and_close(plan_json);
  std::string out, err;
  int status = helper.communicate(out, kMaxConfigBytes, err, kMaxErrorBytes);
  if (status != 0) {
    fail(FC_EIO, "the LMDB export helper " + describe_wait_status(status) + ": " + first_line(err));
  }
  // "<json>\n<trailer>\n"
  if (out.size() < 2 || out.back() != '\n') malformed("it does not end with a line");
  size_t eol = out.rfind('\n', out.size() - 2);
  if (eol == std::string::npos) malformed("no line follows the configuration");
  KongLmdbRead read;
  parse_trailer(out.substr(eol + 1, out.size() - eol - 2), eol, read);
  out.resize(eol);
  read.json = std::move(out);
  return read;
}

}  // namespace fc

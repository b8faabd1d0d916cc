#include "config/json_object_check.h"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "util/error.h"

namespace fc {

namespace {

// Accepts any JSON; remembers whether the top-level value is an object.
struct TopLevelHandler : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, TopLevelHandler> {
  int depth = 0;
  bool top_is_object = false;
  bool first = true;
  bool Default() {
    first = false;
    return true;
  }
  bool StartObject() {
    if (first) top_is_object = true;
    first = false;
    ++depth;
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    --depth;
    return true;
  }
  bool StartArray() {
    first = false;
    ++depth;
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    --depth;
    return true;
  }
};

// A RapidJSON input stream over a FILE that hashes every chunk it reads.
class HashingFileStream {
 public:
  typedef char Ch;
  HashingFileStream(std::FILE *file, crypto::Sha256Stream *hash)
      : file_(file), hash_(hash), buf_(64 * 1024), cur_(buf_.data()), end_(buf_.data()) {
    refill();
  }
  Ch Peek() const { return cur_ < end_ ? *cur_ : '\0'; }
  Ch Take() {
    if (cur_ >= end_) return '\0';
    Ch c = *cur_++;
    if (cur_ == end_) refill();
    return c;
  }
  size_t Tell() const { return consumed_ + static_cast<size_t>(cur_ - buf_.data()); }
  size_t total() const { return total_; }
  bool read_failed() const { return read_error_; }
  // Reads what is left so that a parse error still hashes and sizes the whole input.
  void drain() {
    while (cur_ < end_) {
      cur_ = end_;
      refill();
    }
  }
  // Unused by the non-destructive reader, required by the concept.
  Ch *PutBegin() { return nullptr; }
  void Put(Ch) {}
  void Flush() {}
  size_t PutEnd(Ch *) { return 0; }

 private:
  void refill() {
    consumed_ += static_cast<size_t>(end_ - buf_.data());
    size_t n = std::fread(buf_.data(), 1, buf_.size(), file_);
    if (n == 0 && std::ferror(file_)) read_error_ = true;
    if (n) hash_->update(buf_.data(), n);
    total_ += n;
    cur_ = buf_.data();
    end_ = buf_.data() + n;
  }
  std::FILE *file_;
  crypto::Sha256Stream *hash_;
  std::vector<char> buf_;
  char *cur_;
  char *end_;
  size_t consumed_ = 0;
  size_t total_ = 0;
  bool read_error_ = false;
};

// Parses the whole stream; returns RapidJSON's result and whether the top level
// was an object.
template <typename Stream>
rapidjson::ParseResult parse(Stream &stream, bool *top_is_object) {
  rapidjson::Reader reader;
  TopLevelHandler handler;
  // Iterative parsing: deeply nested input cannot exhaust the stack.
  rapidjson::ParseResult result =
      reader.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(stream, handler);
  *top_is_object = handler.top_is_object;
  return result;
}

void fail_unless_object(const rapidjson::ParseResult &result, bool top_is_object, size_t total,
                        const std::string &what) {
  if (result.IsError()) {
    if (result.Offset() >= total)
      fail(FC_EINVAL, what + " is not valid JSON: it ends early at byte " + std::to_string(total) + " (truncated?)");
    std::string reason = rapidjson::GetParseError_En(result.Code());
    if (!reason.empty() && reason.back() == '.') reason.pop_back();
    fail(FC_EINVAL, what + " is not valid JSON: " + reason + " at byte " + std::to_string(result.Offset()));
  }
  if (!top_is_object) fail(FC_EINVAL, what + " is not a JSON object: a declarative configuration starts with '{'");
}

// RapidJSON stops at a NUL byte as if the input ended there.
void fail_on_trailing_bytes(size_t parsed, size_t total, const std::string &what) {
  if (parsed != total)
    fail(FC_EINVAL, what + " is not valid JSON: unexpected bytes after the object at byte " +
                        std::to_string(parsed));
}

}  // namespace

CheckedPayload check_json_object(std::string_view data, const std::string &what) {
  if (data.empty()) fail(FC_EINVAL, what + " is empty");
  rapidjson::MemoryStream ms(data.data(), data.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> stream(ms);
  bool is_object = false;
  rapidjson::ParseResult result = parse(stream, &is_object);
  fail_unless_object(result, is_object, data.size(), what);
  fail_on_trailing_bytes(stream.Tell(), data.size(), what);
  return CheckedPayload{data.size(), crypto::sha256(data)};
}

CheckedPayload check_json_object_file(std::FILE *file, const std::string &what) {
  crypto::Sha256Stream hash;
  HashingFileStream stream(file, &hash);
  if (stream.read_failed()) fail(FC_EIO, "cannot read " + what + ": " + std::strerror(errno));
  if (stream.total() == 0) fail(FC_EINVAL, what + " is empty");
  bool is_object = false;
  rapidjson::ParseResult result = parse(stream, &is_object);
  size_t parsed = stream.Tell();
  stream.drain();
  if (stream.read_failed()) fail(FC_EIO, "cannot read " + what + ": " + std::strerror(errno));
  fail_unless_object(result, is_object, stream.total(), what);
  fail_on_trailing_bytes(parsed, stream.total(), what);
  return CheckedPayload{stream.total(), hash.finish()};
}

}  // namespace fc

#include "config/json_object_check.h"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "util/error.h"

namespace fc {

namespace {

constexpr size_t kChunk = 256 * 1024;

// Accepts any JSON; remembers whether the top-level value is an object.
struct TopLevelHandler : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, TopLevelHandler> {
  bool top_is_object = false;
  bool first = true;
  bool Default() {
    first = false;
    return true;
  }
  bool StartObject() {
    if (first) top_is_object = true;
    first = false;
    return true;
  }
};

// RapidJSON's in-situ mode decodes strings into the input stream instead of a
// growing buffer; these streams count the decoded bytes and drop them, so no
// string, however long, is ever held in memory.
struct DiscardDecodedStrings {
  typedef char Ch;
  Ch *PutBegin() {
    put_count_ = 0;
    return nullptr;
  }
  void Put(Ch) { ++put_count_; }
  size_t PutEnd(Ch *) { return put_count_; }
  void Flush() {}
  size_t put_count_ = 0;
};

class MemoryInput : public DiscardDecodedStrings {
 public:
  explicit MemoryInput(std::string_view data) : begin_(data.data()), cur_(data.data()), end_(data.data() + data.size()) {}
  Ch Peek() const { return cur_ < end_ ? *cur_ : '\0'; }
  Ch Take() { return cur_ < end_ ? *cur_++ : '\0'; }
  size_t Tell() const { return static_cast<size_t>(cur_ - begin_); }

 private:
  const char *begin_, *cur_, *end_;
};

// Reads through a ChunkSource, one chunk at a time, optionally hashing each.
class ChunkedInput : public DiscardDecodedStrings {
 public:
  ChunkedInput(const ChunkSource &source, const std::function<void(size_t)> &progress, crypto::Sha256Stream *hash)
      : source_(source), progress_(progress), hash_(hash), buf_(kChunk), cur_(buf_.data()), end_(buf_.data()) {
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
  // Reads what is left so that the size (and hash) cover the whole input after a parse error too.
  void drain() {
    while (cur_ < end_) {
      cur_ = end_;
      refill();
    }
  }

 private:
  void refill() {
    consumed_ += static_cast<size_t>(end_ - buf_.data());
    if (progress_ && consumed_) progress_(consumed_);
    size_t n = source_(buf_.data(), buf_.size());
    if (hash_ && n) hash_->update(buf_.data(), n);
    total_ += n;
    cur_ = buf_.data();
    end_ = buf_.data() + n;
  }
  const ChunkSource &source_;
  const std::function<void(size_t)> &progress_;
  crypto::Sha256Stream *hash_;
  std::vector<char> buf_;
  char *cur_;
  char *end_;
  size_t consumed_ = 0;
  size_t total_ = 0;
};

template <typename Stream>
rapidjson::ParseResult parse(Stream &stream, bool *top_is_object) {
  rapidjson::Reader reader;
  TopLevelHandler handler;
  // Iterative: deep nesting cannot exhaust the stack. In situ: see above.
  constexpr unsigned kFlags =
      rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag | rapidjson::kParseInsituFlag;
  rapidjson::ParseResult result = reader.Parse<kFlags>(stream, handler);
  *top_is_object = handler.top_is_object;
  return result;
}

// `parsed`: where the parser stopped; `total`: the input's size.
void fail_unless_one_object(const rapidjson::ParseResult &result, bool top_is_object, size_t parsed,
                            size_t total, const std::string &what) {
  if (total == 0) fail(FC_EINVAL, what + " is empty");
  if (result.IsError()) {
    if (result.Offset() >= total)
      fail(FC_EINVAL, what + " is not valid JSON: it ends early at byte " + std::to_string(total) + " (truncated?)");
    std::string reason = rapidjson::GetParseError_En(result.Code());
    if (!reason.empty() && reason.back() == '.') reason.pop_back();
    fail(FC_EINVAL, what + " is not valid JSON: " + reason + " at byte " + std::to_string(result.Offset()));
  }
  if (!top_is_object) fail(FC_EINVAL, what + " is not a JSON object: a declarative configuration starts with '{'");
  // RapidJSON stops at a NUL byte as if the input ended there.
  if (parsed != total)
    fail(FC_EINVAL, what + " is not valid JSON: unexpected bytes after the object at byte " + std::to_string(parsed));
}

}  // namespace

CheckedPayload check_json_object(std::string_view data, const std::string &what) {
  MemoryInput stream(data);
  bool is_object = false;
  rapidjson::ParseResult result = parse(stream, &is_object);
  fail_unless_one_object(result, is_object, stream.Tell(), data.size(), what);
  return CheckedPayload{data.size(), crypto::sha256(data)};
}

size_t check_json_object_chunks(const ChunkSource &source, const std::string &what,
                                const std::function<void(size_t)> &progress, crypto::Sha256Stream *hash) {
  ChunkedInput stream(source, progress, hash);
  bool is_object = false;
  rapidjson::ParseResult result = parse(stream, &is_object);
  size_t parsed = stream.Tell();
  stream.drain();
  fail_unless_one_object(result, is_object, parsed, stream.total(), what);
  return stream.total();
}

size_t check_json_object_stream(std::FILE *file, const std::string &what, const std::function<void(size_t)> &progress) {
  ChunkSource from_file = [file, &what](char *buffer, size_t cap) {
    size_t n = std::fread(buffer, 1, cap, file);
    if (n == 0 && std::ferror(file)) fail_errno("cannot read " + what);
    return n;
  };
  return check_json_object_chunks(from_file, what, progress);
}

CheckedPayload hash_file(std::FILE *file, const std::string &what) {
  crypto::Sha256Stream hash;
  std::vector<char> buf(kChunk);
  CheckedPayload out;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), file)) > 0) {
    hash.update(buf.data(), n);
    out.size += n;
  }
  if (std::ferror(file)) fail_errno("cannot read " + what);
  out.sha256 = hash.finish();
  return out;
}

char first_significant_byte(std::FILE *file) {
  long start = std::ftell(file);
  int c;
  do {
    c = std::fgetc(file);
  } while (c == ' ' || c == '\t' || c == '\r' || c == '\n');
  std::fseek(file, start, SEEK_SET);
  return c == EOF ? '\0' : static_cast<char>(c);
}

}  // namespace fc

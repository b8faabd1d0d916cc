#include "config/lua_serialized.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "util/error.h"

namespace fc {

namespace {

// LuaJIT serialization tags (lj_serialize.c).
enum Tag : uint8_t {
  kNil = 0x00,
  kFalse = 0x01,
  kTrue = 0x02,
  kNull = 0x03,
  kLightUd32 = 0x04,
  kLightUd64 = 0x05,
  kInt = 0x06,
  kNum = 0x07,
  kTabEmpty = 0x08,
  kTabHash = 0x09,
  kTabArray0 = 0x0a,
  kTabMixed0 = 0x0b,
  kTabArray1 = 0x0c,
  kTabMixed1 = 0x0d,
  kTabMetatable = 0x0e,
  kStringDict = 0x0f,
  kInt64 = 0x10,
  kUint64 = 0x11,
  kComplex = 0x12,
  kString = 0x20,  // 0x20 + length
};

// lua-cjson's defaults for sparse arrays.
constexpr double kSparseRatio = 2;
constexpr double kSparseSafe = 10;
constexpr size_t kWindow = 64 * 1024;

// Pulls bytes from a ChunkSource through a window, or reads a span in place.
class Reader {
 public:
  Reader(const ChunkSource &source, std::string what)
      : source_(&source), what_(std::move(what)), window_(kWindow), data_(window_.data()) {}
  Reader(const char *data, size_t len, std::string what) : what_(std::move(what)), data_(data), end_(len) {}

  bool at_end() { return !fill(1); }
  size_t offset() const { return consumed_ + pos_; }

  uint8_t byte() {
    need(1);
    return static_cast<uint8_t>(data_[pos_++]);
  }
  void bytes(char *out, size_t n) {
    while (n) {
      if (pos_ == end_) need(1);
      size_t k = std::min(n, end_ - pos_);
      std::memcpy(out, data_ + pos_, k);
      pos_ += k;
      out += k;
      n -= k;
    }
  }
  uint32_t u32le() {
    unsigned char b[4];
    bytes(reinterpret_cast<char *>(b), 4);
    return uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
  }
  uint64_t u64le() {
    uint64_t lo = u32le();
    return lo | uint64_t(u32le()) << 32;
  }
  // The format's prefix-encoded unsigned number.
  uint32_t varu() {
    uint32_t v = byte();
    if (v < 0xe0) return v;
    if (v == 0xff) return u32le();
    return (((v & 0x1f) << 8) | byte()) + 0xe0;
  }

  [[noreturn]] void malformed(const std::string &why) const {
    fail(FC_EINVAL, what_ + " is malformed at byte " + std::to_string(offset()) + ": " + why);
  }

 private:
  // Makes at least `n` (<= kWindow) bytes available; false at the end of the input.
  bool fill(size_t n) {
    if (end_ - pos_ >= n) return true;
    if (!source_) return false;  // a span: nothing more
    std::memmove(window_.data(), window_.data() + pos_, end_ - pos_);
    consumed_ += pos_;
    end_ -= pos_;
    pos_ = 0;
    while (end_ < n) {
      size_t got = (*source_)(window_.data() + end_, window_.size() - end_);
      if (got == 0) return false;
      end_ += got;
    }
    return true;
  }
  void need(size_t n) {
    if (!fill(n)) malformed("unexpected end of input");
  }

  const ChunkSource *source_ = nullptr;
  std::string what_;
  std::vector<char> window_;
  const char *data_;
  size_t pos_ = 0, end_ = 0, consumed_ = 0;
};

using Value = rapidjson::Value;
using Allocator = rapidjson::MemoryPoolAllocator<>;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

class Decoder {
 public:
  Decoder(Reader &in, Allocator &alloc) : in_(in), alloc_(alloc) {}

  // One serialized object as a JSON value; `nil` tells a Lua nil apart (holes).
  Value object(bool *nil = nullptr, int depth = 0) { return value_of(in_.varu(), nil, depth); }

  // Writes one serialized object straight to `out`. Tables whose shape is known
  // from their first entries (records with string keys, plain arrays: nearly
  // all of a configuration) stream; others go through a small tree, because
  // cjson's array-or-object choice needs all of their keys.
  void write(Writer &out, int depth = 0) { write_tagged(in_.varu(), out, depth); }

  Value value_of(uint32_t tag, bool *nil, int depth) {
    if (depth > kMaxDepth) in_.malformed("nested deeper than " + std::to_string(kMaxDepth));
    if (nil) *nil = false;
    if (tag >= kString) return string(tag - kString);
    switch (tag) {
      case kNil:
        if (!nil) in_.malformed("nil where a value is required");
        *nil = true;
        return Value();
      case kFalse: return Value(false);
      case kTrue: return Value(true);
      case kNull: return Value();
      case kInt: return Value(static_cast<int32_t>(in_.u32le()));
      case kNum: return number(in_.u64le());
      case kTabEmpty: return Value(rapidjson::kObjectType);
      case kTabHash: return table(0, false, true, depth);
      case kTabArray0: return table(in_.varu(), true, false, depth);
      case kTabMixed0: return table(in_.varu(), true, true, depth);
      case kTabArray1: return table(in_.varu(), false, false, depth);
      case kTabMixed1: return table(in_.varu(), false, true, depth);
      case kLightUd32:
      case kLightUd64: in_.malformed("a lightuserdata other than NULL cannot be JSON");
      case kInt64:
      case kUint64:
      case kComplex: in_.malformed("FFI numbers cannot be JSON");
      case kTabMetatable:
      case kStringDict: in_.malformed("dictionary references are not used by the exporter");
      default: in_.malformed("unknown tag " + std::to_string(tag));
    }
  }

  void write_tagged(uint32_t tag, Writer &out, int depth) {
    if (depth > kMaxDepth) in_.malformed("nested deeper than " + std::to_string(kMaxDepth));
    if (tag >= kString) {
      std::string str = read_string(tag - kString);
      out.String(str.data(), static_cast<rapidjson::SizeType>(str.size()));
    } else if (tag == kTabHash) {
      write_hash(out, depth);
    } else if (tag == kTabArray1) {
      write_array1(in_.varu(), out, depth);
    } else if (tag == kTabEmpty) {
      out.StartObject();
      out.EndObject();
    } else {
      value_of(tag, nullptr, depth).Accept(out);
    }
  }

  // A hash part: an object as soon as one key is a string. Keys come in
  // table order; a first key that is a number needs the tree.
  void write_hash(Writer &out, int depth) {
    uint32_t n = in_.varu();
    if (n == 0) {
      out.StartObject();
      out.EndObject();
      return;
    }
    Value first = object(nullptr, depth + 1);
    if (!first.IsString()) {
      if (!first.IsNumber()) in_.malformed("table keys must be strings or numbers");
      std::vector<Entry> entries;
      entries.push_back({std::move(first), object(nullptr, depth + 1)});
      read_pairs(n - 1, entries, depth);
      to_json(entries).Accept(out);
      return;
    }
    out.StartObject();
    out.Key(first.GetString(), first.GetStringLength());
    write(out, depth + 1);
    for (uint32_t i = 1; i < n; ++i) {
      Value key = object(nullptr, depth + 1);
      if (key.IsString()) {
        out.Key(key.GetString(), key.GetStringLength());
      } else if (key.IsNumber()) {
        std::string k = number_key(key);
        out.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
      } else {
        in_.malformed("table keys must be strings or numbers");
      }
      write(out, depth + 1);
    }
    out.EndObject();
  }

  // A 1-based array part: slots 1 .. len-1, where nil is a hole. cjson writes
  // up to the last non-nil slot, holes as null; an empty one is {}.
  void write_array1(uint32_t len, Writer &out, int depth) {
    uint32_t holes = 0, count = 0, max = 0;
    for (uint32_t i = 1; i < len; ++i) {
      uint32_t tag = in_.varu();
      if (tag == kNil) {
        ++holes;
        continue;
      }
      if (count == 0) out.StartArray();
      for (; holes; --holes) out.Null();
      write_tagged(tag, out, depth + 1);
      ++count;
      max = i;
    }
    if (count == 0) {
      out.StartObject();
      out.EndObject();
      return;
    }
    if (max > kSparseRatio * count && max > kSparseSafe) in_.malformed("excessively sparse array");
    out.EndArray();
  }

  // A number that framing needs (an entry's count).
  double number_item() {
    Value v = object();
    if (!v.IsNumber()) in_.malformed("expected a number");
    return v.GetDouble();
  }
  std::string string_item() {
    Value v = object();
    if (!v.IsString()) in_.malformed("expected a string");
    return std::string(v.GetString(), v.GetStringLength());
  }

 private:
  static constexpr int kMaxDepth = 100;

  // Grows with the bytes that arrive: a corrupt length (up to 4 GB) ends at
  // the end of the input, not in a huge allocation up front.
  std::string read_string(uint32_t len) {
    std::string str;
    for (size_t done = 0; done < len;) {
      size_t piece = std::min<size_t>(len - done, kWindow);
      str.resize(done + piece);
      in_.bytes(str.data() + done, piece);
      done += piece;
    }
    return str;
  }
  Value string(uint32_t len) {
    std::string str = read_string(len);
    return Value(str.data(), static_cast<rapidjson::SizeType>(len), alloc_);
  }

  Value number(uint64_t bits) {
    double d;
    std::memcpy(&d, &bits, sizeof d);
    if (!std::isfinite(d)) in_.malformed("NaN and infinities cannot be JSON");
    // Lua numbers are doubles: integral ones are written without a fraction, as cjson does.
    if (d == std::floor(d) && std::fabs(d) < 9007199254740992.0) return Value(static_cast<int64_t>(d));
    return Value(d);
  }

  struct Entry {
    Value key;  // a number or a string
    Value value;
  };

  // The array part (indices from 0 or 1) and/or hash part of a table.
  Value table(uint32_t array_len, bool zero_based, bool has_hash, int depth) {
    std::vector<Entry> entries;
    // 0-based: indices 0 .. len-1; 1-based: slot 0 is absent, indices 1 .. len-1.
    for (uint32_t i = zero_based ? 0 : 1; i < array_len; ++i) {
      bool nil = false;
      Value v = object(&nil, depth + 1);
      if (!nil) entries.push_back({Value(static_cast<int64_t>(i)), std::move(v)});
    }
    if (has_hash) read_pairs(in_.varu(), entries, depth);
    return to_json(entries);
  }

  void read_pairs(uint32_t n, std::vector<Entry> &entries, int depth) {
    for (uint32_t i = 0; i < n; ++i) {
      Value k = object(nullptr, depth + 1);
      if (!k.IsString() && !k.IsNumber()) in_.malformed("table keys must be strings or numbers");
      Value v = object(nullptr, depth + 1);
      entries.push_back({std::move(k), std::move(v)});
    }
  }

  // cjson's rule: all keys positive integers → array, else object.
  Value to_json(std::vector<Entry> &entries) {
    if (entries.empty()) return Value(rapidjson::kObjectType);
    double max = 0;
    bool array = true;
    for (const Entry &e : entries) {
      if (!e.key.IsNumber()) {
        array = false;
        break;
      }
      double k = e.key.GetDouble();
      if (k < 1 || k != std::floor(k)) {
        array = false;
        break;
      }
      max = std::max(max, k);
    }
    if (array) {
      if (max > kSparseRatio * entries.size() && max > kSparseSafe) in_.malformed("excessively sparse array");
      Value out(rapidjson::kArrayType);
      out.Reserve(static_cast<rapidjson::SizeType>(max), alloc_);
      for (size_t i = 0; i < max; ++i) out.PushBack(Value(), alloc_);
      for (Entry &e : entries) out[static_cast<rapidjson::SizeType>(e.key.GetDouble() - 1)] = std::move(e.value);
      return out;
    }
    Value out(rapidjson::kObjectType);
    for (Entry &e : entries) {
      Value key;
      if (e.key.IsString()) {
        key = std::move(e.key);
      } else {
        std::string s = number_key(e.key);
        key.SetString(s.data(), static_cast<rapidjson::SizeType>(s.size()), alloc_);
      }
      out.AddMember(key, std::move(e.value), alloc_);
    }
    return out;
  }

  // A number key as cjson writes it (%.14g).
  static std::string number_key(const Value &k) {
    char buf[32];
    if (k.IsInt64()) return std::to_string(k.GetInt64());
    std::snprintf(buf, sizeof buf, "%.14g", k.GetDouble());
    return buf;
  }

  Reader &in_;
  Allocator &alloc_;
};

}  // namespace

struct LuaSerializedReader::Impl {
  Impl(const ChunkSource &source, std::string what) : in(source, std::move(what)) {}
  Impl(const char *data, size_t len, std::string what) : in(data, len, std::move(what)) {}
  Reader in;
};

LuaSerializedReader::LuaSerializedReader(const ChunkSource &source, std::string what)
    : impl_(std::make_unique<Impl>(source, std::move(what))) {}
LuaSerializedReader::LuaSerializedReader(const char *data, size_t len, std::string what)
    : impl_(std::make_unique<Impl>(data, len, std::move(what))) {}
LuaSerializedReader::~LuaSerializedReader() = default;

bool LuaSerializedReader::at_end() { return impl_->in.at_end(); }

rapidjson::Value LuaSerializedReader::value(Allocator &alloc) { return Decoder(impl_->in, alloc).object(); }

void LuaSerializedReader::write(Writer &out, Allocator &alloc) { Decoder(impl_->in, alloc).write(out); }

double LuaSerializedReader::number() {
  Allocator alloc;
  return Decoder(impl_->in, alloc).number_item();
}

std::string LuaSerializedReader::string() {
  Allocator alloc;
  return Decoder(impl_->in, alloc).string_item();
}

void LuaSerializedReader::malformed(const std::string &why) const { impl_->in.malformed(why); }

}  // namespace fc

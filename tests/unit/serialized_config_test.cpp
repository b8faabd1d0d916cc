// LuaJIT-serialized configurations to JSON, from byte sequences written by hand
// from LuaJIT's format specification (https://luajit.org/ext_buffer.html), so
// that the decoder is checked against the spec and not against itself. The
// Lua spec (spec/serializer_spec.lua) checks real string.buffer output.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>

#include "config/serialized_config.h"
#include "util/error.h"

namespace {

std::string s(const std::string &str) { return std::string(1, char(0x20 + str.size())) + str; }
std::string num(double d) {
  std::string out(1, '\x07');
  char b[8];
  std::memcpy(b, &d, 8);
  return out + std::string(b, 8);
}
std::string entry_value(const std::string &key, const std::string &value) { return s(key) + num(-1) + value; }

// Feeds `input` in windows of `window` bytes, to cross every boundary.
std::string to_json(const std::string &input, size_t window = 1 << 20) {
  size_t offset = 0;
  fc::ChunkSource source = [&](char *out, size_t cap) {
    size_t n = std::min({cap, window, input.size() - offset});
    std::memcpy(out, input.data() + offset, n);
    offset += n;
    return n;
  };
  rapidjson::StringBuffer out;
  fc::serialized_config_to_json(source, out);
  return std::string(out.GetString(), out.GetSize());
}

std::string error_of(const std::string &input) {
  try {
    to_json(input);
  } catch (const fc::Error &e) {
    EXPECT_EQ(e.status(), FC_EINVAL);
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(SerializedConfig, ScalarsAsCjsonWritesThem) {
  std::string in = entry_value("_format_version", s("3.0")) + entry_value("t", "\x02") + entry_value("f", "\x01") +
                   entry_value("null", "\x03") + entry_value("port", num(8000)) + entry_value("ratio", num(0.25)) +
                   entry_value("neg", num(-3)) + entry_value("i32", std::string("\x06\xff\xff\xff\xff", 5));
  EXPECT_EQ(to_json(in),
            R"({"_format_version":"3.0","t":true,"f":false,"null":null,"port":8000,"ratio":0.25,"neg":-3,"i32":-1})");
}

TEST(SerializedConfig, TablesAsCjsonWritesThem) {
  // 0x0c: 1-based array of a.U = 3 slots (indices 1, 2).
  std::string arr = std::string("\x0c\x03", 2) + s("GET") + s("POST");
  // 0x09: hash with 2 pairs.
  std::string rec = std::string("\x09\x02", 2) + s("name") + s("a\"b") + s("paths") + arr;
  // 0x0d: mixed, 1-based: array [x] and hash {k=1}: not all keys integers → object.
  std::string mixed = std::string("\x0d\x02", 2) + s("x") + std::string("\x01", 1) + s("k") + num(1);
  // A hole: {[1]="a", [3]="c"} as a 1-based array with a nil.
  std::string holes = std::string("\x0c\x04", 2) + s("a") + std::string("\x00", 1) + s("c");
  // Integer keys in the hash part only: still an array for cjson.
  std::string hash_array = std::string("\x09\x02", 2) + num(2) + s("b") + num(1) + s("a");
  // A leading hole and trailing ones: cjson writes up to the last value.
  std::string leading = std::string("\x0c\x05", 2) + std::string("\x00", 1) + s("b") + std::string("\x00\x00", 2);
  // Only holes: an empty table, {}.
  std::string all_nil = std::string("\x0c\x03\x00\x00", 4);
  // A record whose keys are a number and then a string: an object, "1" as its key.
  std::string num_first = std::string("\x09\x02", 2) + num(1) + s("x") + s("k") + s("v");
  std::string in = entry_value("rec", rec) + entry_value("empty", "\x08") + entry_value("mixed", mixed) +
                   entry_value("holes", holes) + entry_value("hash_array", hash_array) +
                   entry_value("leading", leading) + entry_value("all_nil", all_nil) +
                   entry_value("num_first", num_first);
  EXPECT_EQ(to_json(in),
            R"({"rec":{"name":"a\"b","paths":["GET","POST"]},"empty":{},"mixed":{"1":"x","k":1},)"
            R"("holes":["a",null,"c"],"hash_array":["a","b"],"leading":[null,"b"],"all_nil":{},)"
            R"("num_first":{"1":"x","k":"v"}})");
}

TEST(SerializedConfig, EntityListsBecomeArraysAcrossAnyWindow) {
  std::string svc1 = std::string("\x09\x01", 2) + s("name") + s("svc-1");
  std::string svc2 = std::string("\x09\x01", 2) + s("name") + s(std::string(40, 'x'));
  std::string in = s("_format_version") + num(-1) + s("3.0") + s("services") + num(2) + svc1 + svc2 + s("routes") +
                   num(0);
  std::string want = R"({"_format_version":"3.0","services":[{"name":"svc-1"},{"name":")" + std::string(40, 'x') +
                     R"("}],"routes":[]})";
  for (size_t window : {1, 2, 3, 7, 64}) EXPECT_EQ(to_json(in, window), want) << "window " << window;
  EXPECT_EQ(to_json(""), "{}");
}

TEST(SerializedConfig, LongLengthsUseThePrefixEncoding) {
  // A 300-byte string: 0x20 + 300 = 332 → 0xe0..0x1fdf form: (0xe0 | ((332-0xe0)>>8)), (332-0xe0)&0xff.
  std::string body(300, 'y');
  unsigned v = 0x20 + 300 - 0xe0;
  std::string str = std::string(1, char(0xe0 | (v >> 8))) + std::string(1, char(v & 0xff)) + body;
  EXPECT_EQ(to_json(s("k") + num(-1) + str), "{\"k\":\"" + body + "\"}");
}

TEST(SerializedConfig, RefusesWhatJsonCannotHoldAndTruncatedInput) {
  EXPECT_NE(error_of(entry_value("n", num(std::nan("")))).find("NaN and infinities"), std::string::npos);
  EXPECT_NE(error_of(entry_value("u", std::string("\x05", 1) + std::string(8, '\x01'))).find("lightuserdata"),
            std::string::npos);
  EXPECT_NE(error_of(entry_value("i", std::string("\x10", 1) + std::string(8, '\x01'))).find("FFI numbers"),
            std::string::npos);
  EXPECT_NE(error_of(entry_value("x", std::string("\x0c\x0c", 2) + s("a"))).find("unexpected end of input"),
            std::string::npos);
  // {[1]="a", [100]="b"}: excessively sparse, as cjson refuses it.
  std::string sparse = std::string("\x09\x02", 2) + num(1) + s("a") + num(100) + s("b");
  EXPECT_NE(error_of(entry_value("s", sparse)).find("excessively sparse array"), std::string::npos);
  EXPECT_NE(error_of(s("k") + num(1.5)).find("count must be -1 or a whole number"), std::string::npos);
  EXPECT_NE(error_of(num(1)).find("expected a string"), std::string::npos);
  std::string truncated = s("services") + num(3) + std::string("\x09\x01", 2) + s("name");
  std::string err = error_of(truncated);
  EXPECT_EQ(err.rfind("the serialized configuration is malformed at byte ", 0), 0u) << err;
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += std::string("\x0c\x02", 2);
  EXPECT_NE(error_of(entry_value("d", deep)).find("nested deeper than"), std::string::npos);
}

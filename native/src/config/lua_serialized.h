// Values in LuaJIT's serialization format (string.buffer's encode, see
// https://luajit.org/ext_buffer.html#serialize_format) read as JSON, the way
// lua-cjson writes the same Lua values with its defaults: a table whose keys
// are all positive integers is an array (holes become null; an excessively
// sparse one is refused), an empty table is {}, other tables are objects with
// number keys written as strings; NULL lightuserdata (ngx.null, cjson.null) is
// null; NaN, infinities and other types are refused.
//
// Both the plugin's serialized exports (serialized_config.h) and the items
// Kong keeps in LMDB (kong_lmdb_export.h, marshalled with string.buffer) are
// in this format.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <memory>
#include <string>

#include "config/json_object_check.h"

namespace fc {

class LuaSerializedReader {
 public:
  using Allocator = rapidjson::MemoryPoolAllocator<>;
  using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

  // `what` names the input in errors ("the serialized configuration").
  // Reads from `source` through a window.
  LuaSerializedReader(const ChunkSource &source, std::string what);
  // Reads the `len` bytes at `data` in place; they must outlive the reader.
  LuaSerializedReader(const char *data, size_t len, std::string what);
  ~LuaSerializedReader();

  bool at_end();
  // The next value as a JSON tree allocated in `alloc`.
  rapidjson::Value value(Allocator &alloc);
  // The next value written to `out`: records and plain arrays stream, other
  // tables go through a small tree in `alloc`.
  void write(Writer &out, Allocator &alloc);
  // The next value, which must be a number / a string (framing).
  double number();
  std::string string();

  // Throws fc::Error(FC_EINVAL) naming the input and the byte offset.
  [[noreturn]] void malformed(const std::string &why) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fc

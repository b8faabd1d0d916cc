// A declarative configuration as the plugin hands it over: serialized on the
// event loop by LuaJIT's string.buffer (C-fast, one entity at a time, yielding
// in between), and turned into JSON here, off the event loop. Encoding 16 MB
// with cjson costs the nginx worker ~80 ms; serializing it costs ~20 ms.
//
// Framing (each item is one object in LuaJIT's serialization format, see
// https://luajit.org/ext_buffer.html#serialize_format):
//   export → entry*
//   entry  → key:string count:number value*
//     count >= 0: `count` values follow and form a JSON array;
//     count == -1: one value follows.
// Tables become JSON as lua-cjson writes them (lua_serialized.h).
#pragma once

#include <rapidjson/stringbuffer.h>

#include "config/json_object_check.h"

namespace fc {

// Throws fc::Error(FC_EINVAL) naming the byte offset of malformed input.
void serialized_config_to_json(const ChunkSource &source, rapidjson::StringBuffer &out);

}  // namespace fc

#include "config/serialized_config.h"

#include <cmath>
#include <string>

#include "config/lua_serialized.h"

namespace fc {

void serialized_config_to_json(const ChunkSource &source, rapidjson::StringBuffer &out) {
  LuaSerializedReader in(source, "the serialized configuration");
  LuaSerializedReader::Allocator alloc;
  LuaSerializedReader::Writer writer(out);
  writer.StartObject();
  while (!in.at_end()) {
    std::string key = in.string();
    writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    double count = in.number();
    if (count == -1) {
      in.write(writer, alloc);
    } else if (count >= 0 && count == std::floor(count)) {
      writer.StartArray();
      for (double i = 0; i < count; ++i) {
        in.write(writer, alloc);
        alloc.Clear();  // at most one entity's trees at a time
      }
      writer.EndArray();
    } else {
      in.malformed("an entry's count must be -1 or a whole number");
    }
    alloc.Clear();
  }
  writer.EndObject();
}

}  // namespace fc

#include "config/kong_export_plan.h"

#include <rapidjson/document.h>

#include "util/error.h"

namespace fc {

namespace {

[[noreturn]] void invalid(const std::string &why) { fail(FC_EINVAL, "the export plan: " + why); }

const rapidjson::Value &member(const rapidjson::Value &object, const char *name, const std::string &where) {
  auto it = object.FindMember(name);
  if (it == object.MemberEnd()) invalid(where + name + " is missing");
  return it->value;
}

std::string string_member(const rapidjson::Value &object, const char *name, const std::string &where) {
  const rapidjson::Value &v = member(object, name, where);
  if (!v.IsString() || v.GetStringLength() == 0) invalid(where + name + " must be a non-empty string");
  return {v.GetString(), v.GetStringLength()};
}

bool bool_member(const rapidjson::Value &object, const char *name, bool fallback, const std::string &where) {
  auto it = object.FindMember(name);
  if (it == object.MemberEnd()) return fallback;
  if (!it->value.IsBool()) invalid(where + name + " must be true or false");
  return it->value.GetBool();
}

KongEntityPlan entity(const rapidjson::Value &v, size_t index) {
  std::string where = "entities[" + std::to_string(index) + "].";
  if (!v.IsObject()) invalid("entities[" + std::to_string(index) + "] must be an object");
  KongEntityPlan e;
  e.name = string_member(v, "name", where);
  if (e.name.find_first_of("|:") != std::string::npos) invalid(where + "name must not contain '|' or ':'");
  e.workspaceable = bool_member(v, "workspaceable", true, where);
  e.ttl = bool_member(v, "ttl", false, where);
  auto fks = v.FindMember("foreign_keys");
  // lua-cjson writes an empty Lua table as {}: no foreign keys.
  bool empty_table = fks != v.MemberEnd() && fks->value.IsObject() && fks->value.MemberCount() == 0;
  if (fks != v.MemberEnd() && !empty_table) {
    if (!fks->value.IsArray()) invalid(where + "foreign_keys must be an array of field names");
    for (const auto &fk : fks->value.GetArray()) {
      if (!fk.IsString() || fk.GetStringLength() == 0) invalid(where + "foreign_keys must be an array of field names");
      e.foreign_keys.emplace_back(fk.GetString(), fk.GetStringLength());
    }
  }
  return e;
}

}  // namespace

KongExportPlan parse_kong_export_plan(const char *json, size_t len) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(json, len);
  if (doc.HasParseError()) invalid("not valid JSON (error at byte " + std::to_string(doc.GetErrorOffset()) + ")");
  if (!doc.IsObject()) invalid("must be a JSON object");
  KongExportPlan plan;
  plan.lmdb_environment_path = string_member(doc, "lmdb_environment_path", "");
  plan.keep_ws_id = bool_member(doc, "keep_ws_id", false, "");
  const rapidjson::Value &entities = member(doc, "entities", "");
  if (!entities.IsArray()) invalid("entities must be an array");
  for (rapidjson::SizeType i = 0; i < entities.Size(); ++i) plan.entities.push_back(entity(entities[i], i));
  return plan;
}

}  // namespace fc

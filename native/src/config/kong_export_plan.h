// What an export from Kong's LMDB needs to know that only the gateway knows:
// where its LMDB is, and the schema facts export_config() acts on. The plugin
// builds it from kong.db's schemas (config_reader.lua) and hands it over as
// JSON:
//   {"lmdb_environment_path": "/usr/local/kong/dbless.lmdb",
//    "entities": [{"name": "services", "workspaceable": true, "ttl": false,
//                  "foreign_keys": ["client_certificate"]}, ...],
//    "keep_ws_id": false}
// Entities come in export order (kong/db/schema/topological_sort.lua), only
// those with db_export ~= false.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace fc {

struct KongEntityPlan {
  std::string name;
  bool workspaceable = true;
  bool ttl = false;  // schema.ttl: rows keep an absolute expiry in LMDB
  std::vector<std::string> foreign_keys;
};

struct KongExportPlan {
  std::string lmdb_environment_path;
  std::vector<KongEntityPlan> entities;
  // Kong Enterprise's export shows each row's ws_id (its GLOBAL_QUERY_OPTS
  // has show_ws_id); OSS drops it.
  bool keep_ws_id = false;
};

// Throws fc::Error(FC_EINVAL) naming the field at fault.
KongExportPlan parse_kong_export_plan(const char *json, size_t len);

}  // namespace fc

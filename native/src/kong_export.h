// An export of a DB-less Kong node straight from its LMDB: the snapshot is
// read by the helper process (config/kong_lmdb_helper.h), then uploaded by
// the client like any configuration (checked, hashed, Kong's key layout).
// Not uploaded: Kong's empty configuration (never put over a backup), and a
// snapshot whose Kong hash is the one the caller last uploaded.
#pragma once

#include <cstdint>
#include <string>

#include "client.h"
#include "config/kong_lmdb_export.h"

namespace fc {

enum class KongExportOutcome { kUploaded, kEmpty, kUnchanged };

struct KongExportResult {
  bool read = false;  // the snapshot was read: a failure after it is the upload's
  KongExportOutcome outcome = KongExportOutcome::kUploaded;
  KongSnapshot snapshot;
  uint64_t bytes = 0;  // of the configuration's JSON
  std::string sha256;  // of what was uploaded
};

// Fills `result` as it goes (a throw leaves what was done). `plan_json` has
// passed parse_kong_export_plan.
void export_kong_lmdb(Client &client, const std::string &version, const std::string &helper_path,
                      const std::string &plan_json, const std::string &unless_hash, KongExportResult &result);

}  // namespace fc

#include "kong_export.h"

#include "config/kong_lmdb_helper.h"

namespace fc {

void export_kong_lmdb(Client &client, const std::string &version, const std::string &helper_path,
                      const std::string &plan_json, const std::string &unless_hash, KongExportResult &result) {
  KongLmdbRead read = read_kong_lmdb_in_helper(helper_path, plan_json);
  result.read = true;
  result.snapshot = read.snapshot;
  result.bytes = read.json.size();
  if (read.snapshot.empty) {
    result.outcome = KongExportOutcome::kEmpty;
  } else if (!unless_hash.empty() && read.snapshot.hash == unless_hash) {
    result.outcome = KongExportOutcome::kUnchanged;
  } else {
    // The helper's RapidJSON writer made it, it exited cleanly and its length
    // is the one announced: the bytes are uploaded as they are, with the
    // SHA-256 the helper took (the importer checks every byte against it).
    result.sha256 = client.put_written(version, read.json.data(), read.json.size(), read.sha256);
    result.outcome = KongExportOutcome::kUploaded;
  }
}

}  // namespace fc

#include "storage/storage.h"

#include "storage/file_storage.h"
#include "storage/gcs_storage.h"
#include "storage/s3_storage.h"
#include "util/error.h"

namespace fc {

std::unique_ptr<Storage> make_storage(const Location &location, const Settings &settings) {
  switch (location.scheme) {
    case Scheme::File: return std::make_unique<FileStorage>(location);
    case Scheme::S3: return std::make_unique<S3Storage>(location, settings);
    case Scheme::GCS: return std::make_unique<GcsStorage>(location, settings);
  }
  fail(FC_EINTERNAL, "unknown storage scheme");
}

std::string missing_config_message(const std::string &url) { return "no fallback config at " + url; }

}  // namespace fc

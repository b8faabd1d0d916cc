// file:///dir storage: a shared volume, and the embedded default for local use.
// Writes are atomic: a temporary file in the same directory is written, fsynced
// and renamed over the key, then the directory is fsynced.
#pragma once

#include "storage/storage.h"

namespace fc {

class FileStorage : public Storage {
 public:
  explicit FileStorage(Location location);
  ObjectInfo put(const PutRequest &request) override;
  ObjectInfo get(const std::string &key, http::Sink &sink) override;
  ObjectInfo head(const std::string &key) override;
  void remove(const std::string &key) override;
  void touch(const std::string &key) override;
  std::vector<ObjectInfo> list(const std::string &prefix) override;

 private:
  std::string path_of(const std::string &key) const;
  Location location_;
};

}  // namespace fc

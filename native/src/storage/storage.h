// The storage backends' common interface. Keys are relative to the bucket (or
// the file root); the client maps gateway versions to keys.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/json_object_check.h"
#include "config/settings.h"
#include "http/transport.h"
#include "storage/location.h"

namespace fc {

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
  int64_t last_modified = -1;  // unix seconds
  std::string etag;
  std::string generation;      // GCS only
  std::string uploader;
};

struct PutRequest {
  std::string key;
  http::Body body;          // read in place, never copied
  CheckedPayload payload;   // size and, when payload_hashed, SHA-256 of body
  bool payload_hashed = true;
  std::string uploader;     // node id, recorded as object metadata
  std::string if_generation_match;  // GCS: store only if the object's generation is this ("0": absent)
};

class Storage {
 public:
  virtual ~Storage() = default;
  virtual void put(const PutRequest &request) = 0;
  // Whether put() needs the body's SHA-256 up front (S3 can sign as it streams).
  virtual bool needs_payload_hash() const { return true; }
  // Streams the object into sink. Throws FC_ENOTFOUND when there is none.
  virtual void get(const std::string &key, http::Sink &sink) = 0;
  virtual ObjectInfo head(const std::string &key) = 0;
  virtual void remove(const std::string &key) = 0;
  // Every object whose key starts with prefix, in key order.
  virtual std::vector<ObjectInfo> list(const std::string &prefix) = 0;
};

// Throws FC_EINVAL when the settings do not fit the location's scheme.
std::unique_ptr<Storage> make_storage(const Location &location, const Settings &settings);

// The one message used everywhere a configuration is missing.
std::string missing_config_message(const std::string &url);

}  // namespace fc

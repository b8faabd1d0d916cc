// The storage backends' common interface. Keys are relative to the bucket (or
// the file root); the client maps gateway versions to keys.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/json_object_check.h"
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
  std::string sha256;          // hex SHA-256 of the content, from our metadata ("" without it)
  std::string epoch;           // the lease epoch of the node that wrote it, from our metadata ("" without it)
  // What a conditional write names to replace exactly this object: the ETag
  // (S3, file://), the generation (GCS).
  std::string revision;
  int64_t store_time = -1;     // the store's clock when it answered (its Date), unix seconds
  int64_t created_ms = -1;     // GCS: timeCreated, unix milliseconds
  int64_t modified_ms = -1;    // last_modified in milliseconds where the store gives them (listings, GCS)
};

// A write's precondition: the lease and fenced configuration writes use them.
struct WriteCondition {
  enum class Kind { always, absent, unchanged };
  Kind kind = Kind::always;
  std::string revision;  // unchanged: the object's revision (ObjectInfo::revision) last seen

  static WriteCondition if_absent() { return {Kind::absent, {}}; }
  static WriteCondition if_unchanged(std::string revision) { return {Kind::unchanged, std::move(revision)}; }
};

struct PutRequest {
  std::string key;
  http::Body body;          // read in place, never copied
  CheckedPayload payload;   // size and SHA-256 of body
  std::string uploader;     // node id, recorded as object metadata
  std::string epoch;        // the writer's lease epoch, recorded as object metadata ("": none)
  WriteCondition condition; // unmet: FC_EPRECONDITION, nothing stored
};

// A put of a small body in memory (a lease, a probe, a registration), its
// SHA-256 computed; `body` must outlive the request.
PutRequest small_put(const std::string &key, std::string_view body, WriteCondition condition = {});

class Storage {
 public:
  virtual ~Storage() = default;
  // Stores the body with its SHA-256 as metadata, after the store has checked
  // the bytes it received against a checksum sent with them. Returns the new
  // object's revision and the store's time (the rest may be unset).
  virtual ObjectInfo put(const PutRequest &request) = 0;
  // Streams the object into sink; returns what the store says of the object it
  // sent (size, the SHA-256 metadata), for the caller to check the bytes
  // against. Throws FC_ENOTFOUND when there is none.
  virtual ObjectInfo get(const std::string &key, http::Sink &sink) = 0;
  virtual ObjectInfo head(const std::string &key) = 0;
  virtual void remove(const std::string &key) = 0;
  // Refreshes an object's modification time, keeping its content and its
  // creation time (Kong EE's GCS election refreshes its registration so).
  // GCS and file:// only; S3 cannot (FC_EINVAL).
  virtual void touch(const std::string &key) = 0;
  // Every object whose key starts with prefix, in key order, with the
  // store's time of the answer.
  virtual std::vector<ObjectInfo> list(const std::string &prefix) = 0;
};

// The one message used everywhere a configuration is missing.
std::string missing_config_message(const std::string &url);

}  // namespace fc

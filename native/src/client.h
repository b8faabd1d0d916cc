// A client of one storage location: maps gateway versions to Kong's key layout
// and refuses to upload anything that is not a JSON object.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth/aws_credential_chain.h"
#include "lease/ee_election.h"
#include "lease/lease.h"
#include "settings/settings.h"
#include "storage/location.h"
#include "storage/storage.h"

namespace fc {

class Client {
 public:
  explicit Client(const Settings &settings);  // throws FC_EINVAL

  std::string config_key(const std::string &version) const { return location_.config_key(version); }
  std::string config_url(const std::string &version) const { return location_.url_of(config_key(version)); }

  // Each put returns the uploaded configuration's SHA-256 (hex).
  std::string put(const std::string &version, const char *data, size_t len);
  // With a condition: stored only if it holds, else FC_EPRECONDITION.
  void put_file(const std::string &version, const std::string &path, const WriteCondition &condition = {});
  // Like put, reading the caller's buffer through windows it may revoke.
  std::string put_borrowed(const std::string &version, http::BorrowedBuffer &buffer);
  // Uploads a configuration the plugin serialized with LuaJIT
  // (serialized_config.h), converted to JSON here.
  std::string put_serialized(const std::string &version, http::BorrowedBuffer &buffer);
  // Uploads JSON the library's own writer made (here or in its LMDB helper),
  // as it is, with its SHA-256: not checked again.
  std::string put_written(const std::string &version, const char *data, size_t len, const crypto::Sha256 &sha256);
  // The configuration, and the SHA-256 (hex) of its bytes in *sha256 if given.
  std::string get(const std::string &version, std::string *sha256 = nullptr);
  void get_file(const std::string &version, const std::string &path);
  void get_fd(const std::string &version, int fd);
  void remove(const std::string &version);
  ObjectInfo stat(const std::string &version);
  std::vector<ObjectInfo> list();
  std::string newest_version();

  // The export lease of a version on this client's storage (lease/lease.h),
  // held as this client's node id (the uploader setting).
  std::shared_ptr<Lease> make_lease(const std::string &version, int64_t duration_ms, Lease::Clock clock);
  // Kong EE's election of the version's backup nodes, as this node takes part in it.
  std::shared_ptr<EeElection> make_ee_election(const std::string &version, int64_t interval_ms,
                                               EeElection::WallClock wall_clock);
  // From now on every write of that lease's configuration goes through it
  // (fenced); nullptr: unfenced again.
  void fence_with(std::shared_ptr<Lease> lease);
  // fence_with(next) only if the fence is `expected` now: a lease changes its
  // own fence, never a newer lease's.
  bool swap_fence(const std::shared_ptr<Lease> &expected, std::shared_ptr<Lease> next);
  // "" when the store honours conditional writes, else why not (one line,
  // naming the store); throws when it cannot be asked.
  std::string probe_conditional_writes(const std::string &version);
  std::string lease_url(const std::string &version) const { return location_.url_of(lease_key(version)); }
  std::optional<Lease::Reading> read_lease(const std::string &version);
  ObjectInfo release_lease(const std::string &version, const Lease::Reading &reading);

  // The version segment of "<prefix>/<version>/config.json", if key is one.
  std::optional<std::string> version_of(const std::string &key) const;

  // S3 only: which credential provider answered, and until when.
  ResolvedCredentials credentials_source() const;
  bool is_gcs() const { return location_.scheme == Scheme::GCS; }
  const std::string &uploader() const { return uploader_; }
  // Whether https certificates and host names are verified (tls_verify).
  bool tls_verify() const { return tls_verify_; }

 private:
  // Uploads `data`, already known to be a JSON object with this size and hash.
  std::string put_checked(const std::string &version, const char *data, size_t len, const CheckedPayload &payload);
  std::string lease_key(const std::string &version) const { return location_.version_key(version, "lease.json"); }
  // Stores a configuration: through the fencing lease when there is one for it.
  ObjectInfo store_config(const PutRequest &request);
  // Streams a version's configuration into sink, within max_download_bytes_;
  // returns the SHA-256 (hex) of what arrived.
  std::string download(const std::string &version, http::Sink &sink);

  Location location_;
  std::string uploader_;
  uint64_t max_download_bytes_;
  bool tls_verify_;
  std::unique_ptr<Storage> storage_;
  mutable std::mutex fence_mutex_;
  std::shared_ptr<Lease> fence_;
};

// Orders gateway versions: numeric dot-separated parts compare as numbers
// ("3.10.0.0" > "3.9.1.0"); anything else compares as text.
bool version_less(const std::string &a, const std::string &b);

}  // namespace fc

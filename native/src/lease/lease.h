// The export lease of one version prefix: at most one node holds it, and only
// the holder writes that version's configuration, each write conditional on
// the revision it read just before, whose epoch must not be newer than its
// own (fencing). A node that lost the lease, however long it was stalled,
// cannot replace a newer configuration: its write fails its precondition.
// (On S3, whose ETag is the body's MD5, a stalled write conditional on bytes
// identical to what the new holder wrote since still matches: the window is
// the stall between the read and the write.)
//
// Expiry is judged by the store's clock: a lease is free once the store's Date
// is more than its duration past the store's Last-Modified of it (one second
// more for both being whole seconds). The holder itself counts with its
// own monotonic clock from before the renewal it sent, and stops leading a
// second early; no two nodes' clocks are ever compared.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "lease/lease_record.h"
#include "storage/storage.h"

namespace fc {

struct LeaseOptions {
  std::string lease_key;   // <prefix>/<version>/lease.json
  std::string config_key;  // the configuration it fences
  std::string url;         // of the lease, for messages
  std::string config_url;  // of the configuration, for messages
  std::string node_id;
  int64_t duration_ms = 30000;
};

enum class LeaseRole { follower, leader };

// What this node knows of the lease, as of its last round.
struct LeaseView {
  LeaseRole role = LeaseRole::follower;
  bool leading = false;        // leader, and its lease has not run out here
  std::string holder;          // as last read; "" for none
  uint64_t epoch = 0;
  int64_t expires_in_ms = -1;  // how long the holder's lease has left, as the store's clock says; -1 unknown
  uint64_t acquisitions = 0;   // lease taken, ever (a caller notices changes)
  uint64_t losses = 0;         // lease lost, ever
  std::string lost_reason;     // why the last loss
};

class Lease {
 public:
  using Clock = std::function<int64_t()>;  // monotonic milliseconds

  Lease(Storage &storage, LeaseOptions options, Clock clock);

  // One round: a leader renews, a follower takes a free or expired lease.
  // Throws fc::Error when the store cannot be asked; the lease stays as it was.
  void tick();
  // A leader gives the lease up (a clean shutdown): another node may take it
  // at once. Best effort: false when it could not be written.
  bool release() noexcept;
  LeaseView view() const;
  bool leading() const;

  // Writes the fenced configuration: only while leading, conditional on the
  // revision read just before (who wrote it decides: a newer epoch means the
  // lease is lost), with this node's epoch as metadata. A refused
  // precondition is read again and decided the same way. FC_ELEASE when this
  // node does not lead, or just learnt it does not.
  ObjectInfo fenced_put(PutRequest request);
  const std::string &config_key() const { return options_.config_key; }

  // How a caller reads a lease (fallback-config lease): the record, what the
  // store says of it, and how long it has left by the store's clock.
  struct Reading {
    LeaseRecord record;
    ObjectInfo object;
    int64_t expires_in_ms;  // <= 0: free
  };
  static std::optional<Reading> read(Storage &storage, const std::string &key, const std::string &url);
  // Marks a lease released, if it is still the revision read (by hand).
  static ObjectInfo force_release(Storage &storage, const std::string &key, const Reading &reading);

 private:
  void renew(LeaseRecord record, const std::string &revision);
  void compete();
  // Writes the lease record conditionally; nothing when the precondition failed.
  std::optional<ObjectInfo> put_record(const LeaseRecord &record, WriteCondition condition);
  // After a write whose answer was lost and a retry refused: whether the lease
  // now stored is this node's own record.
  bool stored_is_mine();
  void became_leader(const LeaseRecord &record, const ObjectInfo &stored, int64_t sent_at);
  void lost(const std::string &reason);  // state_mutex_ held
  void observe(const Reading &reading);
  uint64_t config_epoch();

  Storage &storage_;
  const LeaseOptions options_;
  const Clock clock_;

  mutable std::mutex state_mutex_;
  LeaseView view_;
  LeaseRecord mine_;              // the record this node holds, while leader
  std::string lease_revision_;    // of the lease object, as last written or read
  int64_t valid_until_ms_ = 0;    // on clock_, while leader
  // A take whose answer never came (a timeout, a reset): if the store shows
  // its token at the next round, it landed. (compete() only: no lock needed.)
  struct Attempt {
    LeaseRecord record;
    int64_t sent_at;
  };
  std::optional<Attempt> unanswered_;

  std::mutex write_mutex_;  // one fenced write at a time
};

}  // namespace fc

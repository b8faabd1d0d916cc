// A node's competition for the export lease of one version, on a thread of
// its own so that no round ever waits on the event loop (or holds it): first
// the probe that the store honours conditional writes, then a round of the
// lease (lease/lease.h) every renewal interval. The caller only reads its
// state, which never blocks on the store.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "client.h"

namespace fc {

// ee_elected / ee_standby: Kong EE's backup nodes register under the same
// prefix, and this node takes part in their election instead of the lease.
enum class ExportLeaseState { starting, follower, leader, unsupported, ee_elected, ee_standby };

struct ExportLeaseStatus {
  ExportLeaseState state = ExportLeaseState::starting;
  LeaseView lease;
  std::string problem;  // the last round's failure ("" after a good one), or why unsupported
  bool stopped = false; // the thread has ended (a held lease released)
};

class ExportLease {
 public:
  // Fences the client's writes of the version's configuration with the lease.
  // With ee_interval_ms (DP_RESILIENCE_ELECTION_INTERVAL; 0: never), each
  // round first looks for Kong EE's live registrations: while another node's
  // exist, this node registers and obeys EE's election, unfenced as EE's
  // nodes write, and holds no lease.
  ExportLease(std::shared_ptr<Client> client, const std::string &version, int64_t duration_ms, int64_t renew_ms,
              int64_t ee_interval_ms = 0);
  // Stops competing and returns at once: the thread releases the lease if it
  // holds it, then ends (a round in flight finishes first).
  ~ExportLease();
  ExportLease(const ExportLease &) = delete;
  ExportLease &operator=(const ExportLease &) = delete;

  // Stops competing, at once: the thread releases a held lease and ends.
  void stop();
  ExportLeaseStatus status() const;

 private:
  struct Shared;
  std::shared_ptr<Shared> shared_;
};

}  // namespace fc

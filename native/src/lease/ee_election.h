// Kong Enterprise's election of backup nodes (3.4.3.4, 3.5.0.4, 3.6 and
// later), taken part in as EE's nodes do, for a fleet that mixes them with
// this plugin's nodes (kong/clustering/config_sync_backup/election.lua and
// strategies/, Kong/kong branch FTI-6378). Every node registers under
// <prefix>/<version>/election/ every round; a registration is live while its
// last modification plus the round plus 5 s has not passed; the oldest live
// registration exports (ties: the smallest node id). Keys are
// "<register time>-<node id>" on S3 (and here on file://), "<node id>" on GCS,
// whose timeCreated is the register time and whose updated the refresh.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "storage/storage.h"

namespace fc {

struct EeRegistration {
  std::string node_id;
  double register_time = 0;  // unix seconds, compared as EE compares them (Lua numbers)
  // Kong EE's own (an empty object, as EE writes it); this plugin's nodes
  // write a few bytes, which EE never reads, so that they can tell.
  bool ee_node = true;
};

struct EeElectionOptions {
  std::string prefix;   // <prefix>/<version>/election/
  std::string node_id;
  int64_t interval_ms = 600000;  // DP_RESILIENCE_ELECTION_INTERVAL
  bool gcs = false;     // registrations named by node id, times from GCS's metadata
};

class EeElection {
 public:
  using WallClock = std::function<double()>;  // unix seconds: EE takes the register time from ngx.now()

  EeElection(Storage &storage, EeElectionOptions options, WallClock wall_clock);

  // The live registrations. EE judges them by its own clock; here the
  // listing's Date, the store's, stands in for it.
  std::vector<EeRegistration> live();
  // Registers (or refreshes) this node as EE does; the first call fixes its
  // register time.
  void register_self();
  static std::optional<EeRegistration> leader(const std::vector<EeRegistration> &live);

  int64_t interval_ms() const { return options_.interval_ms; }
  const std::string &prefix() const { return options_.prefix; }

 private:
  Storage &storage_;
  const EeElectionOptions options_;
  const WallClock wall_clock_;
  std::optional<double> register_time_;
};

// EE's reading of an S3 registration's name, "<digits>[.<digits>]-<node id>":
// nothing when it is not one (EE skips those too).
std::optional<EeRegistration> parse_ee_registration(const std::string &name);

}  // namespace fc

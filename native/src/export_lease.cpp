#include "export_lease.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "util/error.h"
#include "util/exit_gate.h"

namespace fc {

namespace {

int64_t monotonic_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

struct ExportLease::Shared {
  std::shared_ptr<Client> client;
  std::string version;
  int64_t renew_ms;
  std::shared_ptr<Lease> lease;
  std::shared_ptr<EeElection> ee;  // null: EE's election is not looked for
  std::string node_id;
  bool ee_mode = false;           // this thread only
  int64_t ee_registered_at = -1;  // this thread only

  mutable std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  bool probed = false;
  bool stopped = false;
  std::string unsupported;  // why the store cannot hold a lease
  std::string problem;
  std::string ee_leader;  // while in EE's election: the node it elects

  // Waits up to ms or until stopping; returns false when stopping.
  bool sleep(int64_t ms) {
    std::unique_lock<std::mutex> lock(mutex);
    wake.wait_for(lock, std::chrono::milliseconds(ms), [&] { return stopping; });
    return !stopping;
  }
  void record(std::string what) {
    std::lock_guard<std::mutex> lock(mutex);
    problem = std::move(what);
  }

  void run() {
    work();
    std::lock_guard<std::mutex> lock(mutex);
    stopped = true;
  }

  // Runs one round through the exit gate (util/exit_gate.h): none starts
  // once the process is exiting, and exit waits for the one in flight.
  template <typename Round>
  void gated(Round round) {
    if (!exit_gate::enter()) exit_gate::park();
    struct Leave {
      ~Leave() { exit_gate::leave(); }
    } leave;
    round();
  }

  // One round where Kong EE's backup nodes may be registered: while another
  // node's live registration exists, EE's election decides, not the lease.
  void round_with_ee() {
    std::vector<EeRegistration> live = ee->live();
    // Kong EE's nodes, not this plugin's (which register too while EE's do).
    const bool others =
        std::any_of(live.begin(), live.end(), [&](const EeRegistration &r) { return r.ee_node && r.node_id != node_id; });
    if (!others) {
      if (ee_mode) {
        ee_mode = false;
        client->swap_fence(nullptr, lease);
        std::lock_guard<std::mutex> lock(mutex);
        ee_leader.clear();
      }
      lease->tick();
      return;
    }
    if (!ee_mode) {
      ee_mode = true;
      lease->release();  // the other plugin nodes see the same registrations and do the same
      client->swap_fence(lease, nullptr);
      ee_registered_at = -1;
    }
    // EE registers every round and counts a registration live for a round
    // and 5 s: refreshed every half round here, so it never lapses.
    const int64_t now = monotonic_ms();
    if (ee_registered_at < 0 || now - ee_registered_at >= ee->interval_ms() / 2) {
      ee->register_self();
      ee_registered_at = now;
      live = ee->live();
    }
    std::optional<EeRegistration> elected = EeElection::leader(live);
    std::lock_guard<std::mutex> lock(mutex);
    ee_leader = elected ? elected->node_id : std::string();
  }

  void work() {
    // Until the store is known to honour conditional writes, nothing is
    // elected and nothing exported; errors asking it are retried.
    while (!probed) {
      try {
        std::string why;
        gated([&] { why = client->probe_conditional_writes(version); });
        std::lock_guard<std::mutex> lock(mutex);
        probed = true;
        problem.clear();
        if (!why.empty()) {
          unsupported = problem = why;
          client->swap_fence(lease, nullptr);  // the single-exporter behaviour, as the caller is told
          return;
        }
      } catch (const std::exception &e) {
        record(std::string("cannot probe conditional writes: ") + e.what());
        if (!sleep(renew_ms)) return;
      }
    }
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (stopping) break;  // stopped while probing: no round, nothing to release
      }
      const int64_t started = monotonic_ms();
      try {
        gated([&] {
          if (ee) round_with_ee();
          else lease->tick();
        });
        record("");
      } catch (const std::exception &e) {
        record(e.what());
      }
      // In EE's election, often enough that this node's registration never
      // lapses (EE counts one live for a round and 5 s).
      const int64_t every = ee_mode ? std::min<int64_t>(renew_ms, ee->interval_ms() / 2) : renew_ms;
      if (!sleep(every - (monotonic_ms() - started))) break;
    }
    gated([&] { lease->release(); });
  }
};

ExportLease::ExportLease(std::shared_ptr<Client> client, const std::string &version, int64_t duration_ms,
                         int64_t renew_ms, int64_t ee_interval_ms)
    : shared_(std::make_shared<Shared>()) {
  if (ee_interval_ms < 0) fail(FC_EINVAL, "the election interval must not be negative");
  if (duration_ms < 3000) fail(FC_EINVAL, "the lease duration must be at least 3 s");
  if (renew_ms <= 0 || renew_ms * 2 > duration_ms)
    fail(FC_EINVAL, "the lease renewal interval must be positive and at most half the lease duration");
  shared_->client = std::move(client);
  shared_->version = version;
  shared_->renew_ms = renew_ms;
  shared_->lease = shared_->client->make_lease(version, duration_ms, monotonic_ms);
  if (ee_interval_ms > 0)
    shared_->ee = shared_->client->make_ee_election(version, ee_interval_ms, [] {
      using namespace std::chrono;
      return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count() / 1000.0;
    });
  shared_->node_id = shared_->client->uploader();
  shared_->client->fence_with(shared_->lease);
  std::shared_ptr<Shared> shared = shared_;
  exit_gate::arm();
  std::thread([shared] { shared->run(); }).detach();
}

ExportLease::~ExportLease() { stop(); }

void ExportLease::stop() {
  std::lock_guard<std::mutex> lock(shared_->mutex);
  shared_->stopping = true;
  shared_->wake.notify_all();
}

ExportLeaseStatus ExportLease::status() const {
  ExportLeaseStatus s;
  s.lease = shared_->lease->view();
  std::lock_guard<std::mutex> lock(shared_->mutex);
  s.problem = shared_->problem;
  s.stopped = shared_->stopped;
  if (!shared_->probed) s.state = ExportLeaseState::starting;
  else if (!shared_->unsupported.empty()) s.state = ExportLeaseState::unsupported;
  else if (!shared_->ee_leader.empty()) {
    s.state = shared_->ee_leader == shared_->node_id ? ExportLeaseState::ee_elected : ExportLeaseState::ee_standby;
    s.lease.holder = shared_->ee_leader;
    s.lease.leading = false;
  } else s.state = s.lease.role == LeaseRole::leader ? ExportLeaseState::leader : ExportLeaseState::follower;
  return s;
}

}  // namespace fc

#include "export_lease.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "util/error.h"

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

  mutable std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  bool probed = false;
  bool stopped = false;
  std::string unsupported;  // why the store cannot hold a lease
  std::string problem;

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

  void work() {
    // Until the store is known to honour conditional writes, nothing is
    // elected and nothing exported; errors asking it are retried.
    while (!probed) {
      try {
        std::string why = client->probe_conditional_writes(version);
        std::lock_guard<std::mutex> lock(mutex);
        probed = true;
        problem.clear();
        if (!why.empty()) {
          unsupported = problem = why;
          client->fence_with(nullptr);  // the single-exporter behaviour, as the caller is told
          return;
        }
      } catch (const std::exception &e) {
        record(std::string("cannot probe conditional writes: ") + e.what());
        if (!sleep(renew_ms)) return;
      }
    }
    for (;;) {
      const int64_t started = monotonic_ms();
      try {
        lease->tick();
        record("");
      } catch (const std::exception &e) {
        record(e.what());
      }
      if (!sleep(renew_ms - (monotonic_ms() - started))) break;
    }
    lease->release();
  }
};

ExportLease::ExportLease(std::shared_ptr<Client> client, const std::string &version, int64_t duration_ms,
                         int64_t renew_ms)
    : shared_(std::make_shared<Shared>()) {
  if (duration_ms < 3000) fail(FC_EINVAL, "the lease duration must be at least 3 s");
  if (renew_ms <= 0 || renew_ms * 2 > duration_ms)
    fail(FC_EINVAL, "the lease renewal interval must be positive and at most half the lease duration");
  shared_->client = std::move(client);
  shared_->version = version;
  shared_->renew_ms = renew_ms;
  shared_->lease = shared_->client->make_lease(version, duration_ms, monotonic_ms);
  shared_->client->fence_with(shared_->lease);
  std::shared_ptr<Shared> shared = shared_;
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
  else s.state = s.lease.role == LeaseRole::leader ? ExportLeaseState::leader : ExportLeaseState::follower;
  return s;
}

}  // namespace fc

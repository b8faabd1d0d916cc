#include "jobs/pace.h"

#include <chrono>
#include <thread>

#include "jobs/worker.h"
#include "util/pace.h"

namespace fc::jobs {

namespace {

constexpr size_t kBurstBytes = 32 * 1024;  // tens of microseconds of work
constexpr auto kPause = std::chrono::microseconds(300);

thread_local size_t t_since_pause = 0;
thread_local size_t t_pauses = 0;

void pace_worker_thread(size_t bytes) {
  stop_here_if_exiting();
  t_since_pause += bytes;
  if (t_since_pause < kBurstBytes) return;
  t_since_pause = 0;
  ++t_pauses;
  std::this_thread::sleep_for(kPause);
}

}  // namespace

void enable_pacing_on_this_thread() { set_pacer_for_this_thread(pace_worker_thread); }

size_t pauses_taken() { return t_pauses; }

}  // namespace fc::jobs

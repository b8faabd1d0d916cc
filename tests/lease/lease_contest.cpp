// Two nodes race for free export leases on a real store, released at the same
// instant, round after round; prints how many rounds each node won and fails
// (exit 1) on any round with other than exactly one holder.
//
//   lease_contest ROUNDS   (the storage and its credentials from the environment,
//                           as the CLI reads them)
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

#include "client.h"
#include "util/error.h"

namespace {

int64_t steady_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

fc::Settings node_settings(const char *id) {
  fc::Settings s;
  s.load_env();
  s.set("uploader", id);
  return s;
}

}  // namespace

int main(int argc, char **argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 50;
  const std::string run = std::to_string(steady_ms());
  try {
    fc::Client a(node_settings("node-a")), b(node_settings("node-b"));  // each its own connections
    int won_a = 0, won_b = 0;
    for (int round = 0; round < rounds; ++round) {
      const std::string version = "contest-" + run + "-" + std::to_string(round);
      auto la = a.make_lease(version, 30000, steady_ms), lb = b.make_lease(version, 30000, steady_ms);
      std::mutex m;
      std::condition_variable cv;
      bool go = false;
      std::string errors;
      auto contend = [&](fc::Lease &lease) {
        {
          std::unique_lock<std::mutex> lock(m);
          cv.wait(lock, [&] { return go; });
        }
        try {
          lease.tick();
        } catch (const std::exception &e) {
          std::lock_guard<std::mutex> lock(m);
          errors += std::string(e.what()) + "; ";
        }
      };
      std::thread ta(contend, std::ref(*la)), tb(contend, std::ref(*lb));
      {
        std::lock_guard<std::mutex> lock(m);
        go = true;
      }
      cv.notify_all();
      ta.join();
      tb.join();
      const int holders = int(la->leading()) + int(lb->leading());
      if (holders != 1 || !errors.empty()) {
        std::fprintf(stderr, "round %d: %d holders %s\n", round, holders, errors.c_str());
        return 1;
      }
      (la->leading() ? won_a : won_b)++;
      const std::string winner = la->leading() ? "node-a" : "node-b";
      if (a.read_lease(version)->record.holder != winner) {
        std::fprintf(stderr, "round %d: the store names another holder than the winner\n", round);
        return 1;
      }
      la->release();
      lb->release();
    }
    std::printf("%d rounds, exactly one holder in each (node-a won %d, node-b %d)\n", rounds, won_a, won_b);
    return 0;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "lease_contest: %s\n", e.what());
    return 1;
  }
}

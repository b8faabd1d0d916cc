#include "util/exit_gate.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>

namespace fc::exit_gate {

namespace {

constexpr auto kExitGrace = std::chrono::milliseconds(250);

struct Gate {
  std::mutex mutex;
  std::condition_variable idle;
  int busy = 0;
  bool exiting = false;
  pid_t armed_in = 0;  // the process whose exit handler is registered
};

Gate &gate() {
  static Gate *g = new Gate;  // never destroyed: exit handlers and parked threads use it to the end
  return *g;
}

void quiesce(int status, void *) {
  Gate &g = gate();
  std::unique_lock<std::mutex> lock(g.mutex);
  if (g.armed_in != ::getpid()) return;  // a fork()ed child's inherited registration
  g.exiting = true;
  if (g.idle.wait_for(lock, kExitGrace, [&] { return g.busy == 0; })) return;
  lock.unlock();
  std::fflush(nullptr);
  ::_exit(status);
}

}  // namespace

void arm() {
  Gate &g = gate();
  std::lock_guard<std::mutex> lock(g.mutex);
  if (g.armed_in == ::getpid()) return;
  g.armed_in = ::getpid();
  g.busy = 0;  // rounds counted in the parent are not this process's
  g.exiting = false;
  OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, nullptr);  // its cleanup registered first, run last
#if defined(__GLIBC__)
  ::on_exit(quiesce, nullptr);
#else
  std::atexit([] { quiesce(0, nullptr); });
#endif
}

bool enter() {
  Gate &g = gate();
  std::lock_guard<std::mutex> lock(g.mutex);
  if (g.exiting) return false;
  ++g.busy;
  return true;
}

void leave() {
  Gate &g = gate();
  std::lock_guard<std::mutex> lock(g.mutex);
  --g.busy;
  g.idle.notify_all();
}

void park() {
  Gate &g = gate();
  std::unique_lock<std::mutex> lock(g.mutex);
  for (;;) g.idle.wait(lock);
}

}  // namespace fc::exit_gate

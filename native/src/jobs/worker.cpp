#include "jobs/worker.h"

#include <openssl/crypto.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <new>
#include <thread>

#include "jobs/pace.h"
#include "util/error.h"

namespace fc::jobs {

namespace {

constexpr int kBackgroundNice = 19;

// How long exit() waits for a busy worker thread to finish its job or to stop
// at a pace() point before the process ends without the remaining exit handlers.
constexpr auto kExitGrace = std::chrono::milliseconds(250);

struct Worker {
  pid_t pid = ::getpid();
  std::mutex mutex;
  std::condition_variable wake;     // a job was queued
  std::condition_variable settled;  // the thread became idle or stopped for good
  std::deque<std::shared_ptr<Job>> queue;
  bool busy = false;      // running (or destroying) a job
  bool stopping = false;  // the process is exiting: start nothing more
  bool parked = false;    // stopped inside pace() for the rest of the process's life

  void loop() {
    // Transfers are background work: at the lowest CPU priority, the thread
    // that serves requests (nginx's event loop) wins every contended core.
    // Best effort: lowering one's own priority needs no privilege.
    (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kBackgroundNice);
    enable_pacing_on_this_thread();
    for (;;) {
      std::shared_ptr<Job> job;
      {
        std::unique_lock<std::mutex> lock(mutex);
        busy = false;  // the last job, and all it held, is gone
        settled.notify_all();
        wake.wait(lock, [this] { return !queue.empty() && !stopping; });
        job = std::move(queue.front());
        queue.pop_front();
        busy = true;
      }
      job->run();
    }
  }
};

std::mutex g_current_mutex;
std::atomic<Worker *> g_current{nullptr};
std::atomic<bool> g_exiting{false};

Worker *this_process_worker() {
  Worker *w = g_current.load(std::memory_order_acquire);
  return w && w->pid == ::getpid() ? w : nullptr;
}

// exit() runs the handlers registered with atexit/on_exit (and the destructors
// of static objects) while this process's worker thread goes on. Those
// handlers free what the thread may be using: OpenSSL's OPENSSL_cleanup, for
// one, crashed a thread hashing an upload (an nginx worker exiting with an
// export in flight died of SIGSEGV). This handler runs before them: it stops
// the worker from starting another job and waits until the thread is idle or
// has stopped for good at its next pace() point. A thread still busy after the
// grace period (a transfer waiting on the network) cannot be stopped safely:
// the process then ends at once with its exit status, skipping the handlers
// registered before this one.
void quiesce_worker_at_exit(int status, void *) {
  Worker *w = this_process_worker();
  if (!w) return;
  g_exiting.store(true, std::memory_order_release);
  std::unique_lock<std::mutex> lock(w->mutex);
  w->stopping = true;
  if (w->settled.wait_for(lock, kExitGrace, [w] { return !w->busy || w->parked; })) return;
  lock.unlock();
  std::fflush(nullptr);
  ::_exit(status);
}

void register_exit_handler() {
  // Handlers run in reverse order of registration: OpenSSL registers its
  // cleanup when it is first initialised, so make sure that has happened
  // (nginx did it long ago; a test program may not have). Loading the
  // configuration is what the worker's first digest would do anyway; with no
  // option at all OpenSSL would return without registering anything.
  OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, nullptr);
#if defined(__GLIBC__)
  ::on_exit(quiesce_worker_at_exit, nullptr);
#else
  std::atexit([] { quiesce_worker_at_exit(0, nullptr); });  // no on_exit: ends with status 0 then
#endif
}

// The worker of this process. After fork() the inherited Worker belongs to a
// thread that does not exist here: it is left alone (its mutex may be held
// forever) and a new one is started.
Worker *current_worker() {
  std::lock_guard<std::mutex> lock(g_current_mutex);
  if (Worker *w = this_process_worker()) return w;
  auto worker = std::make_unique<Worker>();  // then lives as long as the process
  Worker *w = worker.get();
  register_exit_handler();  // once per process: the first worker of a process is created once
  std::thread([w] { w->loop(); }).detach();  // may throw (no thread): nothing leaks
  g_current.store(worker.release(), std::memory_order_release);
  return w;
}

}  // namespace

void stop_here_if_exiting() {
  if (!g_exiting.load(std::memory_order_acquire)) return;
  Worker *w = this_process_worker();
  if (!w) return;
  std::unique_lock<std::mutex> lock(w->mutex);
  w->parked = true;
  w->settled.notify_all();
  for (;;) w->wake.wait(lock);  // until the process ends
}

void Job::run() {
  try {
    work_(*this);
    status_ = FC_OK;
  } catch (const Error &e) {
    status_ = e.status();
    message_ = e.what();
  } catch (const std::bad_alloc &) {
    status_ = FC_EINTERNAL;
    message_ = "out of memory";
  } catch (const std::exception &e) {
    status_ = FC_EINTERNAL;
    message_ = e.what();
  } catch (...) {
    status_ = FC_EINTERNAL;
    message_ = "internal error";
  }
  // What the work holds (its client, the caller's buffer) is released now, not
  // when the caller gets round to freeing a finished job.
  Work().swap(work_);
  done_.store(true, std::memory_order_release);
}

void submit(std::shared_ptr<Job> job) {
  Worker *worker = current_worker();
  {
    std::lock_guard<std::mutex> lock(worker->mutex);
    worker->queue.push_back(std::move(job));
  }
  worker->wake.notify_one();
}

}  // namespace fc::jobs

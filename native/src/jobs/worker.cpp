#include "jobs/worker.h"

#include <sys/resource.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <new>
#include <thread>

#include "jobs/pace.h"
#include "util/error.h"

namespace fc::jobs {

namespace {

constexpr int kBackgroundNice = 19;

struct Worker {
  pid_t pid = ::getpid();
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::shared_ptr<Job>> queue;

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
        wake.wait(lock, [this] { return !queue.empty(); });
        job = std::move(queue.front());
        queue.pop_front();
      }
      job->run();
    }
  }
};

std::mutex g_current_mutex;
Worker *g_current = nullptr;

// The worker of this process. After fork() the inherited Worker belongs to a
// thread that does not exist here: it is left alone (its mutex may be held
// forever) and a new one is started.
Worker *current_worker() {
  std::lock_guard<std::mutex> lock(g_current_mutex);
  if (!g_current || g_current->pid != ::getpid()) {
    auto *worker = new Worker();  // lives as long as the process
    std::thread([worker] { worker->loop(); }).detach();
    g_current = worker;
  }
  return g_current;
}

}  // namespace

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

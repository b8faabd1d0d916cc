// Transfers off the caller's thread. Inside nginx a libcurl transfer on the
// event loop would stall every request of that worker, so the plugin submits a
// job and polls it; the job runs on this process's worker thread.
//
// The thread is started lazily by the first submit() in a process, and again
// in a child after fork(): threads do not survive nginx forking its workers.
// When the process exits with a job in flight, exit() waits at most a quarter
// of a second for the thread to settle (see worker.cpp); it never hangs on it.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "fallback_config.h"

namespace fc::jobs {

class Job {
 public:
  // Throws fc::Error on failure. Destroyed on the worker thread as soon as it
  // has run, with whatever it captured.
  using Work = std::function<void(Job &)>;
  explicit Job(Work work) : work_(std::move(work)) {}

  bool done() const { return done_.load(std::memory_order_acquire); }
  // Valid once done().
  fc_status status() const { return status_; }
  const std::string &message() const { return message_; }
  std::string &data() { return data_; }      // a download's bytes, set by the work
  std::string &sha256() { return sha256_; }  // hex SHA-256 of what it moved, set by the work

  void run();  // on the worker thread

 private:
  Work work_;
  fc_status status_ = FC_OK;
  std::string message_;
  std::string data_;
  std::string sha256_;
  std::atomic<bool> done_{false};
};

// Queues a job on this process's worker thread, starting it if needed.
void submit(std::shared_ptr<Job> job);

// Once the process has begun to exit (exit() was called), stops the calling
// worker thread here for good, so that it no longer touches what exit
// handlers free (OpenSSL's state, for one); otherwise returns at once. Called
// by pace(), on the worker thread only.
void stop_here_if_exiting();

}  // namespace fc::jobs

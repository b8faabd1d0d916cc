// When and how long to wait before trying a request again: exponential back-off
// with full jitter (sleep a random time in [0, min(cap, base * 2^n)]), within a
// number of attempts and a total deadline, as the AWS SDKs' standard mode does.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "http/transport.h"

namespace fc::http {

struct RetryPolicy {
  int max_attempts = 4;          // first try included
  long deadline_ms = 120000;     // for all attempts and the sleeps between them
  long base_delay_ms = 200;
  long max_delay_ms = 20000;
};

// Statuses that can change if asked again: 5xx, 429 Too Many Requests
// (S3's SlowDown is a 503) and 408 Request Timeout.
bool retryable_status(long status);

// Tracks one operation's attempts against its policy.
class RetryBudget {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RetryBudget(const RetryPolicy &policy, Clock::time_point start = Clock::now());

  // After a failed attempt: how long to sleep before the next, or nothing when
  // the attempts are used up or the sleep would reach the deadline.
  // `at_least` is a server's Retry-After, honoured up to max_delay_ms.
  std::optional<std::chrono::milliseconds> next_delay(std::chrono::milliseconds at_least = {},
                                                      Clock::time_point now = Clock::now());
  // Milliseconds left before the deadline (at least 1).
  long remaining_ms(Clock::time_point now = Clock::now()) const;
  int attempts() const { return attempts_; }

 private:
  RetryPolicy policy_;
  Clock::time_point deadline_;
  int attempts_ = 1;
};

// The full-jitter draw for retry n (0-based): uniform in [0, min(cap, base * 2^n)].
std::chrono::milliseconds full_jitter(const RetryPolicy &policy, int retry);

// A Retry-After header's delay: delta-seconds only (an HTTP-date is ignored).
std::chrono::milliseconds retry_after(const std::string &header);

// Runs `attempt` (given the time left, for the transfer's own timeout) until it
// returns an answer that asking again cannot change, or throws an error that
// is not transient, or the budget is spent. Before each repeat,
// `prepare_repeat` rewinds the upload and restarts the sink; when it says
// false, the last outcome stands. A transient error that outlives the budget
// is rethrown with the number of attempts made.
Response with_retries(const RetryPolicy &policy, const std::function<Response(long timeout_ms)> &attempt,
                      const std::function<bool()> &prepare_repeat);

}  // namespace fc::http

#include "http/retry.h"

#include <algorithm>
#include <random>
#include <string>
#include <thread>

namespace fc::http {

bool retryable_status(long status) { return status >= 500 || status == 429 || status == 408; }

RetryBudget::RetryBudget(const RetryPolicy &policy, Clock::time_point start)
    : policy_(policy), deadline_(start + std::chrono::milliseconds(policy.deadline_ms)) {}

std::chrono::milliseconds full_jitter(const RetryPolicy &policy, int retry) {
  // Jitter spreads the retries of many nodes hitting one recovering store;
  // it needs no unpredictability, only independence between threads.
  thread_local std::mt19937_64 rng{std::random_device{}()};
  long ceiling = policy.base_delay_ms;
  for (int i = 0; i < retry && ceiling < policy.max_delay_ms; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, policy.max_delay_ms);
  std::uniform_int_distribution<long> draw(0, std::max(0L, ceiling));
  return std::chrono::milliseconds(draw(rng));
}

std::optional<std::chrono::milliseconds> RetryBudget::next_delay(std::chrono::milliseconds at_least,
                                                                 Clock::time_point now) {
  if (attempts_ >= policy_.max_attempts) return std::nullopt;
  auto delay = std::max(full_jitter(policy_, attempts_ - 1),
                        std::min(at_least, std::chrono::milliseconds(policy_.max_delay_ms)));
  if (now + delay >= deadline_) return std::nullopt;
  ++attempts_;
  return delay;
}

long RetryBudget::remaining_ms(Clock::time_point now) const {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - now).count();
  return std::max(1L, static_cast<long>(left));
}

std::chrono::milliseconds retry_after(const std::string &header) {
  if (header.empty() || header.size() > 9 || header.find_first_not_of("0123456789") != std::string::npos) return {};
  return std::chrono::seconds(std::stol(header));
}

Response with_retries(const RetryPolicy &policy, const std::function<Response(long timeout_ms)> &attempt,
                      const std::function<bool()> &prepare_repeat) {
  RetryBudget budget(policy);
  for (;;) {
    std::optional<std::chrono::milliseconds> delay;
    try {
      Response response = attempt(budget.remaining_ms());
      if (!retryable_status(response.status)) return response;
      delay = budget.next_delay(retry_after(response.header("retry-after")));
      if (!delay || !prepare_repeat()) return response;
    } catch (const TransferError &e) {
      if (!e.transient()) throw;
      const int made = budget.attempts();
      delay = budget.next_delay();
      if (!delay || !prepare_repeat())
        throw TransferError(std::string(e.what()) + " (" + std::to_string(made) + (made == 1 ? " attempt)" : " attempts)"),
                            true);
    }
    std::this_thread::sleep_for(*delay);
  }
}

}  // namespace fc::http

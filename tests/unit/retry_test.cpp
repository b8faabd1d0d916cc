#include <gtest/gtest.h>

#include <algorithm>

#include "http/retry.h"

using namespace fc;
using namespace fc::http;
using std::chrono::milliseconds;

namespace {

RetryPolicy fast_policy(int attempts) {
  RetryPolicy p;
  p.max_attempts = attempts;
  p.deadline_ms = 60000;
  p.base_delay_ms = 1;
  p.max_delay_ms = 4;
  return p;
}

Response status(long code) {
  Response r;
  r.status = code;
  return r;
}

}  // namespace

TEST(Retry, FullJitterStaysUnderTheExponentialCeilingAndSpreads) {
  RetryPolicy p;
  p.base_delay_ms = 100;
  p.max_delay_ms = 1000;
  for (int retry = 0; retry < 8; ++retry) {
    const long ceiling = std::min(1000L, 100L << retry);
    long highest = 0, lowest = ceiling;
    for (int i = 0; i < 400; ++i) {
      long d = full_jitter(p, retry).count();
      ASSERT_GE(d, 0);
      ASSERT_LE(d, ceiling);
      highest = std::max(highest, d);
      lowest = std::min(lowest, d);
    }
    // Full jitter: draws cover the range, not a fixed back-off.
    EXPECT_GT(highest, ceiling / 2) << "retry " << retry;
    EXPECT_LT(lowest, ceiling / 2) << "retry " << retry;
  }
}

TEST(Retry, BudgetEndsAtMaxAttempts) {
  RetryBudget budget(fast_policy(3));
  EXPECT_TRUE(budget.next_delay());
  EXPECT_TRUE(budget.next_delay());
  EXPECT_FALSE(budget.next_delay());
  EXPECT_EQ(budget.attempts(), 3);
}

TEST(Retry, BudgetEndsAtTheDeadline) {
  RetryPolicy p = fast_policy(100);
  p.deadline_ms = 1000;
  auto start = RetryBudget::Clock::now();
  RetryBudget budget(p, start);
  EXPECT_TRUE(budget.next_delay({}, start));
  EXPECT_FALSE(budget.next_delay({}, start + milliseconds(1000)));
  EXPECT_EQ(budget.remaining_ms(start + milliseconds(400)), 600);
  EXPECT_EQ(budget.remaining_ms(start + milliseconds(5000)), 1);
}

TEST(Retry, RetryAfterIsHonouredUpToTheCap) {
  RetryPolicy p = fast_policy(5);
  p.max_delay_ms = 3000;
  RetryBudget budget(p);
  auto d = budget.next_delay(retry_after("2"));
  ASSERT_TRUE(d);
  EXPECT_GE(d->count(), 2000);
  auto capped = budget.next_delay(retry_after("60"));
  ASSERT_TRUE(capped);
  EXPECT_LE(capped->count(), 3000);
  EXPECT_EQ(retry_after("Wed, 21 Oct 2015 07:28:00 GMT").count(), 0);
  EXPECT_EQ(retry_after("-1").count(), 0);
  EXPECT_EQ(retry_after("99999999999999").count(), 0);
}

TEST(Retry, StatusesThatCanChange) {
  for (long s : {500L, 502L, 503L, 504L, 429L, 408L}) EXPECT_TRUE(retryable_status(s)) << s;
  for (long s : {200L, 204L, 301L, 400L, 401L, 403L, 404L, 409L, 412L}) EXPECT_FALSE(retryable_status(s)) << s;
}

TEST(Retry, ServerErrorsAreRetriedUntilAnAnswerThatCannotChange) {
  int calls = 0, repeats = 0;
  Response r = with_retries(
      fast_policy(5), [&](long) { return status(++calls < 3 ? 503 : 200); },
      [&] {
        ++repeats;
        return true;
      });
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(repeats, 2);
}

TEST(Retry, ClientErrorsAreNotRetried) {
  for (long code : {400L, 403L, 404L}) {
    int calls = 0;
    Response r = with_retries(fast_policy(5), [&](long) { return ++calls, status(code); }, [] { return true; });
    EXPECT_EQ(r.status, code);
    EXPECT_EQ(calls, 1) << code;
  }
}

TEST(Retry, TheLastServerErrorStandsWhenAttemptsRunOut) {
  int calls = 0;
  Response r = with_retries(fast_policy(3), [&](long) { return ++calls, status(500); }, [] { return true; });
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(calls, 3);
}

TEST(Retry, TransientTransferErrorsAreRetriedThenReportedWithTheAttempts) {
  int calls = 0;
  Response r = with_retries(
      fast_policy(4),
      [&](long) -> Response {
        if (++calls < 2) throw TransferError("Connection refused", true);
        return status(200);
      },
      [] { return true; });
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(calls, 2);

  calls = 0;
  try {
    with_retries(fast_policy(3), [&](long) -> Response { ++calls; throw TransferError("Connection reset", true); },
                 [] { return true; });
    FAIL() << "no error";
  } catch (const TransferError &e) {
    EXPECT_EQ(calls, 3);
    EXPECT_EQ(std::string(e.what()), "Connection reset (3 attempts)");
    EXPECT_EQ(e.status(), FC_ENETWORK);
  }
}

TEST(Retry, PermanentTransferErrorsAndOtherErrorsAreNotRetried) {
  int calls = 0;
  EXPECT_THROW(with_retries(fast_policy(5), [&](long) -> Response { ++calls; throw TransferError("bad certificate", false); },
                            [] { return true; }),
               TransferError);
  EXPECT_EQ(calls, 1);
  calls = 0;
  EXPECT_THROW(with_retries(fast_policy(5), [&](long) -> Response { ++calls; throw Error(FC_EINVAL, "not JSON"); },
                            [] { return true; }),
               Error);
  EXPECT_EQ(calls, 1);
}

TEST(Retry, NoRepeatWhenTheSinkCannotStartOver) {
  int calls = 0;
  Response r = with_retries(fast_policy(5), [&](long) { return ++calls, status(503); }, [] { return false; });
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(calls, 1);
}

TEST(Retry, EachAttemptGetsTheTimeLeft) {
  RetryPolicy p = fast_policy(3);
  p.deadline_ms = 5000;
  std::vector<long> timeouts;
  with_retries(p, [&](long t) { return timeouts.push_back(t), status(503); }, [] { return true; });
  ASSERT_EQ(timeouts.size(), 3u);
  for (long t : timeouts) {
    EXPECT_GT(t, 0);
    EXPECT_LE(t, 5000);
  }
  EXPECT_LE(timeouts[2], timeouts[0]);
}

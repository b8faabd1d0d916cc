// The chain's caching: one refresh at a time, the others keep signing with the
// still-valid credentials meanwhile, and a failed refresh keeps them in use.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "auth/aws_credential_chain.h"
#include "util/error.h"

namespace {

// Answers as the EC2 provider (4) with credentials `lifetime` seconds long (0: static);
// a refresh can be held until the test releases it.
class StandIn : public fc::AwsCredentialChain {
 public:
  explicit StandIn(std::time_t lifetime) : fc::AwsCredentialChain(fc::AwsChainSettings{}), lifetime_(lifetime) {}
  std::atomic<int> fetches{0};
  std::atomic<bool> hold{false}, fail{false};
  std::mutex m;
  std::condition_variable cv;
  bool released = false, entered = false;

 protected:
  std::optional<fc::ResolvedCredentials> try_provider(int which, std::string *why) override {
    if (which != 4) {
      *why = "not here";
      return std::nullopt;
    }
    int n = ++fetches;
    if (hold) {
      std::unique_lock<std::mutex> lock(m);
      entered = true;
      cv.notify_all();
      cv.wait_for(lock, std::chrono::seconds(5), [this] { return released; });
    }
    if (fail) fc::fail(FC_ENETWORK, "IMDS did not answer");
    std::time_t expires = lifetime_ ? std::time(nullptr) + lifetime_ : 0;  // 0: static, never expire
    return fc::ResolvedCredentials{{"AKID" + std::to_string(n), "secret", "token"}, expires, "stand-in"};
  }

 private:
  std::time_t lifetime_;
};

}  // namespace

TEST(AwsCredentialChain, OthersKeepSigningWhileOneThreadRefreshes) {
  StandIn chain(299);  // valid, but inside the five-minute margin: every get() wants a refresh
  EXPECT_EQ(chain.get().access_key_id, "AKID1");
  chain.hold = true;
  std::thread refresher([&] { EXPECT_EQ(chain.get().access_key_id, "AKID2"); });
  bool entered;
  {
    std::unique_lock<std::mutex> lock(chain.m);
    entered = chain.cv.wait_for(lock, std::chrono::seconds(5), [&] { return chain.entered; });
  }
  EXPECT_TRUE(entered) << "the refresh never started";
  // The refresh is held: this get() must not wait for it.
  EXPECT_EQ(chain.get().access_key_id, "AKID1");
  EXPECT_EQ(chain.fetches.load(), 2) << "a second refresh started while one was under way";
  {
    std::lock_guard<std::mutex> lock(chain.m);
    chain.released = true;
  }
  chain.cv.notify_all();
  refresher.join();
}

TEST(AwsCredentialChain, AFailedRefreshKeepsValidCredentialsAndExpiredOnesFail) {
  StandIn chain(299);
  EXPECT_EQ(chain.get().access_key_id, "AKID1");
  chain.fail = true;
  EXPECT_EQ(chain.get().access_key_id, "AKID1") << "still valid: kept while the refresh fails";

  StandIn expired(-1);  // already expired when fetched
  chain.fail = false;
  EXPECT_EQ(expired.get().access_key_id, "AKID1");
  expired.fail = true;
  try {
    expired.get();
    FAIL() << "expired credentials were handed out";
  } catch (const fc::Error &e) {
    EXPECT_EQ(e.status(), FC_EAUTH);
    EXPECT_NE(std::string(e.what()).find("EC2 instance profile: no answer: IMDS did not answer"), std::string::npos)
        << e.what();
  }
}

TEST(AwsCredentialChain, TheProviderThatAnsweredIsRemembered) {
  StandIn chain(0);  // static: never refreshed
  chain.get();
  fc::ResolvedCredentials first = chain.describe();
  EXPECT_EQ(first.provider, "stand-in");
  chain.expire(first.credentials);  // S3 said ExpiredToken
  EXPECT_EQ(chain.get().access_key_id, "AKID2");
  EXPECT_EQ(chain.fetches.load(), 2);
}

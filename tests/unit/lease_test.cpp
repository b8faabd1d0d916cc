// The export lease (lease/lease.h) on real file:// storage, with the store's
// clock in the test's hand: a wrapper stamps each object's Last-Modified and
// each answer's Date from it, the way S3 and GCS do, so that expiry can be
// tested in steps instead of waits. Conditional writes are FileStorage's own.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "client.h"
#include "crypto/digest.h"
#include "lease/conditional_write_probe.h"
#include "lease/ee_election.h"
#include "lease/lease.h"
#include "lease/lease_record.h"
#include "storage/file_storage.h"
#include "util/error.h"

using namespace fc;
namespace fs = std::filesystem;

namespace {

// FileStorage with a store clock of the test's (seconds) and faults on demand.
class ClockedStorage : public Storage {
 public:
  ClockedStorage(const std::string &dir, std::atomic<int64_t> &store_now)
      : inner_(parse_location("file://" + dir)), now_(store_now) {}

  ObjectInfo put(const PutRequest &request) override {
    PutRequest r = request;
    if (ignore_conditions) r.condition = {};
    if (fail_next_put) {
      fail_next_put = false;
      fail(FC_ENETWORK, "the connection broke before the answer");
    }
    ObjectInfo info = inner_.put(r);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      modified_[request.key] = now_;
    }
    if (lose_next_answer) {
      lose_next_answer = false;
      fail(FC_ENETWORK, "the answer was lost");
    }
    return stamped(info);
  }
  ObjectInfo get(const std::string &key, http::Sink &sink) override { return stamped(inner_.get(key, sink)); }
  ObjectInfo head(const std::string &key) override { return stamped(inner_.head(key)); }
  void remove(const std::string &key) override { inner_.remove(key); }
  void touch(const std::string &key) override {
    inner_.touch(key);
    std::lock_guard<std::mutex> lock(mutex_);
    modified_[key] = now_;
  }
  std::vector<ObjectInfo> list(const std::string &prefix) override {
    std::vector<ObjectInfo> out = inner_.list(prefix);
    for (ObjectInfo &o : out) o = stamped(o);
    return out;
  }

  std::atomic<bool> fail_next_put{false}, lose_next_answer{false}, ignore_conditions{false};

 private:
  ObjectInfo stamped(ObjectInfo info) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = modified_.find(info.key);
    info.last_modified = it == modified_.end() ? now_.load() : it->second;
    info.modified_ms = info.last_modified * 1000;
    info.store_time = now_;
    return info;
  }
  FileStorage inner_;
  std::atomic<int64_t> &now_;
  std::mutex mutex_;
  std::map<std::string, int64_t> modified_;
};

class LeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fc-lease-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    storage_ = std::make_unique<ClockedStorage>(dir_, store_now_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A node: its own monotonic clock (milliseconds), on the shared store.
  struct Node {
    std::atomic<int64_t> clock_ms{1000000};
    std::unique_ptr<Lease> lease;
  };
  std::unique_ptr<Node> node(const std::string &id, Storage *storage = nullptr) {
    auto n = std::make_unique<Node>();
    LeaseOptions o;
    o.lease_key = "v/lease.json";
    o.config_key = "v/config.json";
    o.url = "file://" + dir_ + "/v/lease.json";
    o.config_url = "file://" + dir_ + "/v/config.json";
    o.node_id = id;
    o.duration_ms = 30000;
    Node *raw = n.get();
    n->lease = std::make_unique<Lease>(storage ? *storage : *storage_, o, [raw] { return raw->clock_ms.load(); });
    return n;
  }
  // The store's clock and every node's move on together.
  void advance(int64_t seconds, std::initializer_list<Node *> nodes) {
    store_now_ += seconds;
    for (Node *n : nodes) n->clock_ms += seconds * 1000;
  }
  ObjectInfo write_config(Lease &lease, const std::string &body, const std::string &uploader) {
    PutRequest r = small_put("v/config.json", body);
    r.uploader = uploader;
    return lease.fenced_put(r);
  }
  std::string stored_config() {
    http::StringSink sink;
    storage_->get("v/config.json", sink);
    return sink.data;
  }
  fc_status status_of(const std::function<void()> &f) {
    try {
      f();
    } catch (const Error &e) {
      return e.status();
    }
    return FC_OK;
  }

  std::string dir_;
  std::atomic<int64_t> store_now_{1700000000};
  std::unique_ptr<ClockedStorage> storage_;
};

TEST_F(LeaseTest, AFreeLeaseIsTakenOnceAndStaysWithItsHolderWhileRenewed) {
  auto a = node("node-a"), b = node("node-b");
  a->lease->tick();
  b->lease->tick();
  EXPECT_TRUE(a->lease->leading());
  EXPECT_EQ(a->lease->view().epoch, 1u);
  EXPECT_FALSE(b->lease->leading());
  EXPECT_EQ(b->lease->view().holder, "node-a");
  for (int round = 0; round < 6; ++round) {  // a minute of renewals every 10 s
    advance(10, {a.get(), b.get()});
    a->lease->tick();
    b->lease->tick();
    EXPECT_TRUE(a->lease->leading()) << round;
    EXPECT_EQ(b->lease->view().role, LeaseRole::follower) << round;
    EXPECT_GT(b->lease->view().expires_in_ms, 20000) << round;
  }
  EXPECT_EQ(a->lease->view().acquisitions, 1u);
}

TEST_F(LeaseTest, AnExpiredLeaseGoesToTheNextNodeAndItsOldHolderLearnsItLost) {
  auto a = node("node-a"), b = node("node-b");
  a->lease->tick();
  advance(30, {b.get()});  // a says nothing for its whole duration: not yet free (whole seconds)
  b->lease->tick();
  EXPECT_FALSE(b->lease->leading());
  advance(1, {b.get()});
  b->lease->tick();
  EXPECT_TRUE(b->lease->leading());
  EXPECT_EQ(b->lease->view().epoch, 2u);
  a->lease->tick();  // its renewal is refused
  LeaseView v = a->lease->view();
  EXPECT_EQ(v.role, LeaseRole::follower);
  EXPECT_EQ(v.losses, 1u);
  EXPECT_NE(v.lost_reason.find("taken by node-b in epoch 2"), std::string::npos) << v.lost_reason;
}

TEST_F(LeaseTest, TheHolderStopsLeadingBeforeAnyoneElseMayTakeOver) {
  auto a = node("node-a");
  a->lease->tick();
  storage_->fail_next_put = true;  // its renewals never arrive
  advance(10, {a.get()});
  EXPECT_THROW(a->lease->tick(), Error);
  advance(19, {a.get()});
  EXPECT_FALSE(a->lease->leading()) << "29 s after its last renewal was sent";
  EXPECT_EQ(status_of([&] { write_config(*a->lease, "{\"a\":1}", "node-a"); }), FC_ELEASE);
  a->lease->tick();  // the store is back, and nobody took the lease: renewed
  EXPECT_TRUE(a->lease->leading());
}

TEST_F(LeaseTest, ALostLeadersWriteIsRefusedAndTheNewerConfigurationSurvives) {
  auto a = node("node-a"), b = node("node-b");
  a->lease->tick();
  write_config(*a->lease, "{\"from\":\"a\"}", "node-a");
  store_now_ += 31;  // a is paused: its own clock does not move, it still believes it leads
  b->lease->tick();
  ASSERT_TRUE(b->lease->leading());
  ObjectInfo written = write_config(*b->lease, "{\"from\":\"b\"}", "node-b");
  EXPECT_EQ(written.epoch, "2");
  ASSERT_TRUE(a->lease->leading());
  EXPECT_EQ(status_of([&] { write_config(*a->lease, "{\"from\":\"a, late\"}", "node-a"); }), FC_ELEASE);
  EXPECT_EQ(stored_config(), "{\"from\":\"b\"}");
  EXPECT_EQ(storage_->head("v/config.json").epoch, "2");
  LeaseView v = a->lease->view();
  EXPECT_FALSE(v.leading);
  EXPECT_NE(v.lost_reason.find("written by node-b in epoch 2"), std::string::npos) << v.lost_reason;
}

TEST_F(LeaseTest, ALateWriteOfAnOlderEpochIsReplacedByTheNewLeadersFirstWrite) {
  auto a = node("node-a"), b = node("node-b");
  a->lease->tick();
  write_config(*a->lease, "{\"n\":1}", "node-a");
  store_now_ += 31;
  b->lease->tick();
  ASSERT_TRUE(b->lease->leading());
  write_config(*a->lease, "{\"n\":2}", "node-a");  // lands before b has written: nothing newer to protect yet
  write_config(*b->lease, "{\"n\":3}", "node-b");  // epoch 1 < 2: replaced
  EXPECT_EQ(stored_config(), "{\"n\":3}");
  EXPECT_EQ(status_of([&] { write_config(*a->lease, "{\"n\":4}", "node-a"); }), FC_ELEASE);
  EXPECT_EQ(stored_config(), "{\"n\":3}");
}

TEST_F(LeaseTest, ATakeWhoseAnswerWasLostIsRecognisedAsItsOwn) {
  auto a = node("node-a"), b = node("node-b");
  storage_->lose_next_answer = true;
  EXPECT_THROW(a->lease->tick(), Error);
  EXPECT_FALSE(a->lease->leading());
  a->lease->tick();
  EXPECT_TRUE(a->lease->leading());
  EXPECT_EQ(a->lease->view().epoch, 1u) << "the same take, not a second one";
  b->lease->tick();
  EXPECT_FALSE(b->lease->leading());
}

TEST_F(LeaseTest, EveryRenewalWritesADifferentBody) {
  // S3's ETag is the body's MD5: identical renewals would share one, and a
  // late renewal would match a taker's condition meant for the one before.
  auto a = node("node-a");
  a->lease->tick();
  auto first = Lease::read(*storage_, "v/lease.json", "lease");
  advance(10, {a.get()});
  a->lease->tick();
  auto second = Lease::read(*storage_, "v/lease.json", "lease");
  ASSERT_TRUE(first && second);
  EXPECT_EQ(second->record.token, first->record.token);
  EXPECT_EQ(second->record.renewal, first->record.renewal + 1);
  EXPECT_NE(write_lease_record(first->record), write_lease_record(second->record));
}

TEST_F(LeaseTest, ARenewalWhoseAnswerWasLostDoesNotStretchTheHoldersTime) {
  auto a = node("node-a");
  a->lease->tick();  // held until 29 s from now, on a's clock
  advance(10, {a.get()});
  storage_->lose_next_answer = true;
  EXPECT_THROW(a->lease->tick(), Error);  // landed, unanswered: sent when, a cannot know
  advance(10, {a.get()});
  a->lease->tick();  // refused (the revision moved), read back as its own: no longer time from it
  EXPECT_TRUE(a->lease->leading());
  advance(9, {a.get()});
  EXPECT_FALSE(a->lease->leading()) << "still counted from the last answered renewal";
  a->lease->tick();  // from the revision it read: renewed, answered
  EXPECT_TRUE(a->lease->leading());
}

TEST_F(LeaseTest, AFencedWriteWhoseAnswerWasLostIsNotMistakenForAnotherWriter) {
  auto a = node("node-a");
  a->lease->tick();
  write_config(*a->lease, "{\"n\":1}", "node-a");
  storage_->lose_next_answer = true;
  EXPECT_EQ(status_of([&] { write_config(*a->lease, "{\"n\":2}", "node-a"); }), FC_ENETWORK);
  write_config(*a->lease, "{\"n\":3}", "node-a");
  EXPECT_TRUE(a->lease->leading());
  EXPECT_EQ(stored_config(), "{\"n\":3}");
}

TEST_F(LeaseTest, AReleasedLeaseIsFreeAtOnceAndEpochsKeepGrowing) {
  auto a = node("node-a"), b = node("node-b");
  a->lease->tick();
  write_config(*a->lease, "{\"n\":1}", "node-a");
  EXPECT_TRUE(a->lease->release());
  EXPECT_FALSE(a->lease->leading());
  b->lease->tick();
  EXPECT_TRUE(b->lease->leading());
  EXPECT_EQ(b->lease->view().epoch, 2u);
  EXPECT_EQ(a->lease->view().losses, 0u) << "giving it up is not losing it";
  // Removed by hand: the next epoch still follows the configuration's.
  write_config(*b->lease, "{\"n\":2}", "node-b");
  storage_->remove("v/lease.json");
  auto c = node("node-c");
  c->lease->tick();
  EXPECT_EQ(c->lease->view().epoch, 3u);
}

TEST_F(LeaseTest, ReleasingByHandIsConditionalOnWhatWasRead) {
  auto a = node("node-a"), b = node("node-b");
  a->lease->tick();
  auto reading = Lease::read(*storage_, "v/lease.json", "lease");
  ASSERT_TRUE(reading);
  EXPECT_EQ(reading->record.holder, "node-a");
  EXPECT_GT(reading->expires_in_ms, 29000);
  advance(10, {a.get()});
  a->lease->tick();  // renewed since it was read
  EXPECT_EQ(status_of([&] { Lease::force_release(*storage_, "v/lease.json", *reading); }), FC_EPRECONDITION);
  reading = Lease::read(*storage_, "v/lease.json", "lease");
  Lease::force_release(*storage_, "v/lease.json", *reading);
  b->lease->tick();
  EXPECT_TRUE(b->lease->leading());
  a->lease->tick();
  EXPECT_EQ(a->lease->view().losses, 1u);
}

TEST_F(LeaseTest, TwoNodesRacingForAFreeLeaseNeverBothWin) {
  for (int round = 0; round < 200; ++round) {
    ClockedStorage sa(dir_, store_now_), sb(dir_, store_now_);  // each node its own storage object
    auto a = node("node-a", &sa), b = node("node-b", &sb);
    std::mutex m;
    std::condition_variable cv;
    bool go = false;
    auto contender = [&](Node &n) {
      {
        std::unique_lock<std::mutex> lock(m);
        cv.wait(lock, [&] { return go; });
      }
      n.lease->tick();
    };
    std::thread ta(contender, std::ref(*a)), tb(contender, std::ref(*b));
    {
      std::lock_guard<std::mutex> lock(m);
      go = true;
    }
    cv.notify_all();
    ta.join();
    tb.join();
    ASSERT_EQ(int(a->lease->leading()) + int(b->lease->leading()), 1) << "round " << round;
    storage_->remove("v/lease.json");
  }
}

TEST_F(LeaseTest, TheProbeTellsAStoreThatIgnoresConditionalWrites) {
  EXPECT_EQ(probe_conditional_writes(*storage_, "v/probe.json", "the directory"), "");
  EXPECT_FALSE(fs::exists(dir_ + "/v/probe.json")) << "the probe cleans up";
  storage_->ignore_conditions = true;
  std::string why = probe_conditional_writes(*storage_, "v/probe.json", "the directory " + dir_);
  EXPECT_EQ(why, "the directory " + dir_ +
                     " does not honour conditional writes: a second create-only write (If-None-Match: *) "
                     "replaced the object");
}

TEST_F(LeaseTest, ALeaseObjectThatIsNotOneIsAnErrorNotAFreeLease) {
  const std::string junk = "{\"holder\":\"x\"}";
  storage_->put(small_put("v/lease.json", junk));
  auto a = node("node-a");
  EXPECT_EQ(status_of([&] { a->lease->tick(); }), FC_ESTORAGE);
  EXPECT_FALSE(a->lease->leading());
  EXPECT_EQ(status_of([&] { parse_lease_record("[]", "x"); }), FC_ESTORAGE);
  LeaseRecord rec{"n", 7, "t", 5000, false};
  LeaseRecord back = parse_lease_record(write_lease_record(rec), "x");
  EXPECT_EQ(back.holder, "n");
  EXPECT_EQ(back.epoch, 7u);
  EXPECT_EQ(back.duration_ms, 5000);
}

TEST(EeRegistrationName, ReadAsKongEnterpriseReadsIt) {
  auto r = parse_ee_registration("1733112345.123-6f1c-node");
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->register_time, 1733112345.123);
  EXPECT_EQ(r->node_id, "6f1c-node");
  r = parse_ee_registration("1733112345-abc");
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->register_time, 1733112345);
  EXPECT_FALSE(parse_ee_registration("abc-1"));
  EXPECT_FALSE(parse_ee_registration("123-"));
  EXPECT_FALSE(parse_ee_registration("123"));
  EXPECT_FALSE(parse_ee_registration(".5-x"));
}

TEST_F(LeaseTest, KongEnterprisesElectionAsItsNodesRunIt) {
  auto election = [&](const std::string &id, double registered) {
    EeElectionOptions o;
    o.prefix = "v/election/";
    o.node_id = id;
    o.interval_ms = 600000;
    return std::make_unique<EeElection>(*storage_, o, [registered] { return registered; });
  };
  auto mine = election("plugin-node", 1700000500.25), ee_old = election("ee-b", 1700000100.5),
       ee_tie = election("ee-a", 1700000100.5);
  mine->register_self();
  EXPECT_TRUE(fs::exists(dir_ + "/v/election/1700000500.25-plugin-node")) << "the key EE's nodes write";
  ee_old->register_self();
  ee_tie->register_self();
  auto live = mine->live();
  ASSERT_EQ(live.size(), 3u);
  EXPECT_EQ(EeElection::leader(live)->node_id, "ee-a") << "the oldest registration, ties to the smallest node id";
  EXPECT_FALSE(live[0].ee_node) << "this plugin's registrations tell themselves from EE's";
  PutRequest ee = small_put("v/election/1700000900.5-real-ee", "");  // as Kong EE writes one: an empty object
  storage_->put(ee);
  live = mine->live();
  ASSERT_EQ(live.size(), 4u);
  EXPECT_EQ(std::count_if(live.begin(), live.end(), [](const EeRegistration &r) { return r.ee_node; }), 1);
  storage_->remove(ee.key);
  store_now_ += 300;
  mine->register_self();  // refreshed, under the same name: its register time is its first
  EXPECT_EQ(mine->live().size(), 3u);
  store_now_ += 305;  // EE's nodes last refreshed 605 s ago: a round and 5 s
  EXPECT_EQ(mine->live().size(), 3u);
  store_now_ += 1;
  live = mine->live();
  ASSERT_EQ(live.size(), 1u) << "stale after the round and EE's 5 s margin";
  EXPECT_EQ(live[0].node_id, "plugin-node");
  EXPECT_EQ(EeElection::leader(live)->node_id, "plugin-node");
  EXPECT_FALSE(EeElection::leader({}));
}

TEST(ClientLease, AFencedClientWritesItsConfigurationOnlyWhileLeading) {
  char tmpl[] = "/tmp/fc-lease-client-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  Settings s;
  s.set("storage", "file://" + dir + "/kong");
  s.set("uploader", "node-a");
  Client client(s);
  auto lease = client.make_lease("3.9.1.0", 30000, [] { return int64_t{5000}; });
  client.fence_with(lease);
  const std::string cfg = "{\"_format_version\":\"3.0\"}";
  try {
    client.put("3.9.1.0", cfg.data(), cfg.size());
    ADD_FAILURE() << "written without the lease";
  } catch (const Error &e) {
    EXPECT_EQ(e.status(), FC_ELEASE);
  }
  EXPECT_EQ(client.probe_conditional_writes("3.9.1.0"), "");
  lease->tick();
  client.put("3.9.1.0", cfg.data(), cfg.size());
  EXPECT_EQ(client.stat("3.9.1.0").epoch, "1");
  EXPECT_EQ(client.read_lease("3.9.1.0")->record.holder, "node-a");
  client.put("3.8.0.0", cfg.data(), cfg.size());  // another version: not fenced by this lease
  EXPECT_EQ(client.stat("3.8.0.0").epoch, "");
  fs::remove_all(dir);
}

}  // namespace

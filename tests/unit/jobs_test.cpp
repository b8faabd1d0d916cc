// Transfers on the worker thread, as the plugin drives them from nginx: submit,
// poll without blocking, and survive the caller dropping its handles early or
// forking after first use.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "fallback_config.h"
#include "http/borrowed_buffer.h"
#include "jobs/pace.h"
#include "util/pace.h"
#include "jobs/worker.h"
#include "util/error.h"

namespace {

int wait_for(fc_job *job, char *err, size_t len) {
  for (int i = 0; i < 2000; ++i) {
    int st = fc_job_status(job, err, len);
    if (st != FC_JOB_RUNNING) return st;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return FC_JOB_RUNNING;
}

class JobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fc-jobs-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    client_ = new_client({{"storage", "file://" + dir_}});
    ASSERT_NE(client_, nullptr);
  }
  void TearDown() override {
    fc_client_free(client_);
    std::filesystem::remove_all(dir_);
  }
  fc_client *new_client(std::initializer_list<std::pair<std::string, std::string>> settings) {
    char err[FC_ERRBUF_LEN];
    fc_settings *s = fc_settings_new();
    for (const auto &[k, v] : settings) EXPECT_EQ(fc_settings_set(s, k.c_str(), v.c_str(), err, sizeof err), FC_OK) << err;
    fc_client *c = nullptr;
    EXPECT_EQ(fc_client_new(s, &c, err, sizeof err), FC_OK) << err;
    fc_settings_free(s);
    return c;
  }
  std::string dir_;
  fc_client *client_ = nullptr;
};

}  // namespace

TEST_F(JobsTest, UploadThenDownloadOffThread) {
  char err[FC_ERRBUF_LEN];
  const std::string cfg = "{\"_format_version\":\"3.0\",\"services\":[]}";
  fc_job *put = nullptr;
  ASSERT_EQ(fc_client_put_async(client_, "3.9.0.0", cfg.data(), cfg.size(), &put, err, sizeof err), FC_OK) << err;
  EXPECT_EQ(wait_for(put, err, sizeof err), FC_OK) << err;
  fc_job_free(put);

  fc_job *get = nullptr;
  ASSERT_EQ(fc_client_get_async(client_, "3.9.0.0", &get, err, sizeof err), FC_OK) << err;
  ASSERT_EQ(wait_for(get, err, sizeof err), FC_OK) << err;
  char *data = nullptr;
  size_t len = 0;
  ASSERT_EQ(fc_job_take_data(get, &data, &len, err, sizeof err), FC_OK) << err;
  EXPECT_EQ(std::string(data, len), cfg);
  fc_free(data);
  fc_job_free(get);
}

TEST_F(JobsTest, FailuresComeBackAsStatusAndMessage) {
  char err[FC_ERRBUF_LEN];
  fc_job *put = nullptr;
  ASSERT_EQ(fc_client_put_async(client_, "3.9.0.0", "[1]", 3, &put, err, sizeof err), FC_OK);
  EXPECT_EQ(wait_for(put, err, sizeof err), FC_EINVAL);
  EXPECT_NE(std::string(err).find("not a JSON object"), std::string::npos) << err;
  fc_job_free(put);

  fc_job *get = nullptr;
  ASSERT_EQ(fc_client_get_async(client_, "1.0.0.0", &get, err, sizeof err), FC_OK);
  EXPECT_EQ(wait_for(get, err, sizeof err), FC_ENOTFOUND);
  EXPECT_EQ(std::string(err), "no fallback config at file://" + dir_ + "/1.0.0.0/config.json");
  char *data = nullptr;
  size_t len = 0;
  EXPECT_EQ(fc_job_take_data(get, &data, &len, err, sizeof err), FC_ENOTFOUND);
  EXPECT_EQ(data, nullptr);
  fc_job_free(get);

  // A bad version is refused at submission, not in the job.
  EXPECT_EQ(fc_client_get_async(client_, "../x", &get, err, sizeof err), FC_EINVAL);
  EXPECT_EQ(get, nullptr);
}

TEST_F(JobsTest, ClientFreedWhileItsJobRuns) {
  char err[FC_ERRBUF_LEN];
  fc_client *c = new_client({{"storage", "file://" + dir_}});
  const std::string cfg = "{\"a\":\"" + std::string(4 << 20, 'x') + "\"}";
  fc_job *put = nullptr;
  ASSERT_EQ(fc_client_put_async(c, "3.9.0.0", cfg.data(), cfg.size(), &put, err, sizeof err), FC_OK);
  fc_client_free(c);  // the job keeps the client alive
  EXPECT_EQ(wait_for(put, err, sizeof err), FC_OK) << err;
  fc_job_free(put);
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/3.9.0.0/config.json"));
}

// The caller drops the job and frees its buffer while the upload is still
// going out to a server that reads slowly: the worker must stop reading the
// buffer (ASan reports any read after the free).
TEST_F(JobsTest, AbandonedUploadNeverReadsFreedData) {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr *>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  socklen_t alen = sizeof addr;
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr *>(&addr), &alen), 0);
  const std::string endpoint = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  std::atomic<size_t> received{0};
  std::atomic<bool> stop{false};
  std::thread slow_server([&] {  // drains 64 KiB every 20 ms and never answers
    int conn = ::accept(listener, nullptr, nullptr);
    if (conn < 0) return;
    char buf[65536];
    while (!stop) {
      ssize_t n = ::recv(conn, buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0) break;
      if (n > 0) received += static_cast<size_t>(n);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::close(conn);
  });

  fc_client *c = new_client({{"storage", "s3://stalled-bucket/p"},
                             {"endpoint", endpoint},
                             {"access_key_id", "AKIDEXAMPLE"},
                             {"secret_access_key", "secret"}});
  char err[FC_ERRBUF_LEN];
  const size_t size = 16 << 20;
  char *data = static_cast<char *>(std::malloc(size));
  std::memset(data, ' ', size);
  data[0] = '{';
  data[size - 1] = '}';
  fc_job *put = nullptr;
  ASSERT_EQ(fc_client_put_async(c, "3.9.0.0", data, size, &put, err, sizeof err), FC_OK);
  // Wait until the body is flowing (past the 1 s wait for 100-continue).
  for (int i = 0; i < 400 && received < (4u << 20); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_GE(received.load(), 4u << 20) << "the upload never got going";
  EXPECT_EQ(fc_job_status(put, err, sizeof err), FC_JOB_RUNNING);
  fc_job_free(put);
  std::memset(data, 'X', size);  // would corrupt an upload still reading it
  std::free(data);
  fc_client_free(c);
  const size_t at_free = received;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the worker keeps trying to send
  stop = true;
  slow_server.join();
  ::close(listener);
  // The transfer stopped soon after the free: no more than what was in flight.
  EXPECT_LT(received.load() - at_free, 6u << 20);
}

TEST(BorrowedBuffer, RevokedBufferIsNeverReadAgain) {
  std::string text = "hello";
  fc::http::BorrowedBuffer buffer(text.data(), text.size());
  char out[8];
  EXPECT_EQ(buffer.read(1, out, 3), 3u);
  EXPECT_EQ(std::string(out, 3), "ell");
  EXPECT_EQ(buffer.read(5, out, 3), 0u);
  buffer.revoke();
  EXPECT_THROW(buffer.read(0, out, 3), fc::Error);
}

// The proxy's event loop must win every contended core over a transfer.
TEST(Worker, RunsJobsAtTheLowestCpuPriority) {
  const int caller_before = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
  auto job = std::make_shared<fc::jobs::Job>([](fc::jobs::Job &self) {
    errno = 0;
    int nice = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
    self.data() = std::to_string(nice) + (errno ? " (error)" : "");
  });
  fc::jobs::submit(job);
  for (int i = 0; i < 2000 && !job->done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(job->done());
  EXPECT_EQ(job->data(), "19");
  EXPECT_EQ(::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid())), caller_before)
      << "the caller's priority is untouched";
}

// Background work pauses between bursts on the worker thread, never on the caller's.
TEST(Worker, PacesWorkOnItsThreadOnly) {
  auto job = std::make_shared<fc::jobs::Job>([](fc::jobs::Job &self) {
    size_t before = fc::jobs::pauses_taken();
    for (int i = 0; i < 64; ++i) fc::pace(16 * 1024);  // 1 MiB in windows
    self.data() = std::to_string(fc::jobs::pauses_taken() - before);
  });
  fc::jobs::submit(job);
  for (int i = 0; i < 5000 && !job->done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(job->done());
  EXPECT_GE(std::stoul(job->data()), 8u) << "1 MiB of work took no pause on the worker thread";

  size_t before = fc::jobs::pauses_taken();
  for (int i = 0; i < 64; ++i) fc::pace(16 * 1024);
  EXPECT_EQ(fc::jobs::pauses_taken(), before) << "the CLI's thread is never slowed down";
}

TEST_F(JobsTest, ChildProcessGetsItsOwnWorkerThread) {
  char err[FC_ERRBUF_LEN];
  fc_job *warm = nullptr;  // the parent's worker thread exists before the fork
  ASSERT_EQ(fc_client_put_async(client_, "3.8.0.0", "{}", 2, &warm, err, sizeof err), FC_OK);
  ASSERT_EQ(wait_for(warm, err, sizeof err), FC_OK);
  fc_job_free(warm);

  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {  // like an nginx worker forked from the master
    char e[FC_ERRBUF_LEN];
    fc_job *job = nullptr;
    int ok = fc_client_put_async(client_, "3.9.0.0", "{}", 2, &job, e, sizeof e) == FC_OK &&
             wait_for(job, e, sizeof e) == FC_OK;
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the child's job did not complete";
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/3.9.0.0/config.json"));
}


namespace {

// A configuration in the exporter's framing (LuaJIT's serialization format,
// see serialized_config.h): {"_format_version":"3.0","services":[s, s, ...]}
// with `count` strings of 150 bytes; converting it on the worker thread takes
// a while (it is paced), so the job is certainly running for a moment.
std::string serialized_config(size_t count) {
  auto str = [](const std::string &s) { return std::string(1, char(0x20 + s.size())) + s; };
  auto num = [](double d) {
    char b[9] = {'\x07'};
    std::memcpy(b + 1, &d, 8);
    return std::string(b, 9);
  };
  std::string out = str("_format_version") + num(-1) + str("3.0") + str("services") + num(double(count));
  const std::string item = str(std::string(150, 's'));
  out.reserve(out.size() + count * item.size());
  for (size_t i = 0; i < count; ++i) out += item;
  return out;
}

// A copy the test frees (and scribbles over first) as soon as it lets go of a
// job: ASan reports any read after that, and so does a wrong JSON upload.
struct OwnedBytes {
  explicit OwnedBytes(const std::string &s) : size(s.size()), data(static_cast<char *>(std::malloc(s.size()))) {
    std::memcpy(data, s.data(), size);
  }
  ~OwnedBytes() { release(); }
  void release() {
    if (!data) return;
    std::memset(data, 'X', size);
    std::free(data);
    data = nullptr;
  }
  size_t size;
  char *data;
};

}  // namespace

// Every order of releasing the client, a job and the job's data, for every
// kind of job, while the worker is busy with another job of that client (so
// the job is queued) or with the job itself: no crash, no read of freed data,
// and the worker keeps serving.
TEST_F(JobsTest, ClientJobAndDataReleasedInEveryOrderWhileTheWorkerRuns) {
  char err[FC_ERRBUF_LEN];
  const std::string big = serialized_config(100000);  // ~15 MB
  const std::string cfg = "{\"_format_version\":\"3.0\"}";
  enum Kind { kPut, kPutSerialized, kGet };
  const char *orders[] = {"client, job, data", "job, data, client", "job, client, data", "client, then job after it ended"};
  for (int kind : {kPut, kPutSerialized, kGet}) {
    for (const char *order : orders) {
      SCOPED_TRACE(std::string("kind ") + std::to_string(kind) + ", order: " + order);
      fc_client *c = new_client({{"storage", "file://" + dir_}});
      auto busy_data = std::make_unique<OwnedBytes>(big);
      fc_job *busy = nullptr;  // itself released while it runs
      ASSERT_EQ(fc_client_put_async_serialized(c, "3.8.0.0", busy_data->data, busy_data->size, &busy, err, sizeof err), FC_OK)
          << err;
      auto data = std::make_unique<OwnedBytes>(kind == kPutSerialized ? big : cfg);
      fc_job *job = nullptr;
      int rc = kind == kGet ? fc_client_get_async(c, "3.8.0.0", &job, err, sizeof err)
               : kind == kPut ? fc_client_put_async(c, "3.9.0.0", data->data, data->size, &job, err, sizeof err)
                              : fc_client_put_async_serialized(c, "3.9.0.0", data->data, data->size, &job, err, sizeof err);
      ASSERT_EQ(rc, FC_OK) << err;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      EXPECT_EQ(fc_job_status(busy, err, sizeof err), FC_JOB_RUNNING);
      fc_job_free(busy);
      busy_data->release();
      if (order == orders[0]) {
        fc_client_free(c);
        fc_job_free(job);
        data->release();
      } else if (order == orders[1]) {
        fc_job_free(job);
        data->release();
        fc_client_free(c);
      } else if (order == orders[2]) {
        fc_job_free(job);
        fc_client_free(c);
        data->release();
      } else {
        fc_client_free(c);
        int st = wait_for(job, err, sizeof err);
        EXPECT_NE(st, FC_JOB_RUNNING);
        if (kind != kGet) {
          EXPECT_EQ(st, FC_OK) << err;  // its buffer was never taken back
        }
        fc_job_free(job);
        data->release();
      }
    }
  }
  // Everything above has ended (one worker, in order) once this has.
  fc_job *last = nullptr;
  ASSERT_EQ(fc_client_put_async(client_, "3.10.0.0", cfg.data(), cfg.size(), &last, err, sizeof err), FC_OK);
  EXPECT_EQ(wait_for(last, err, sizeof err), FC_OK) << err;
  fc_job_free(last);
}

// A finished job the caller has not freed yet no longer holds its client (or
// anything else its work captured).
TEST(Worker, FinishedJobReleasesWhatItsWorkHeld) {
  auto held = std::make_shared<int>(42);
  std::weak_ptr<int> watch = held;
  auto job = std::make_shared<fc::jobs::Job>([held](fc::jobs::Job &self) { self.data() = std::to_string(*held); });
  held.reset();
  fc::jobs::submit(job);
  for (int i = 0; i < 2000 && !job->done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(job->done());
  EXPECT_EQ(job->data(), "42");
  EXPECT_TRUE(watch.expired()) << "a finished job still holds what its work captured";
}

// In a forked child LeakSanitizer would report what the parent's threads held
// (the inherited worker, its thread's locals): the child turns it off.
bool g_forked_child = false;
extern "C" int __lsan_is_turned_off() { return g_forked_child ? 1 : 0; }

// The process exits (an nginx worker shutting down: the Lua VM is closed, which
// frees every handle, then exit()) while jobs are queued and running: it must
// exit at once and cleanly, not hang on the worker thread or crash in
// atexit/static destructors while the worker thread is still busy.
TEST_F(JobsTest, ProcessExitsPromptlyWithJobsInFlight) {
  const std::string big = serialized_config(100000);
  const std::string json = "{\"a\":\"" + std::string(32 << 20, 'x') + "\"}";
  for (int round = 0; round < 6; ++round) {
    const bool free_handles = round % 2 == 0;
    SCOPED_TRACE(std::string("round ") + std::to_string(round) + (free_handles ? ", handles freed" : ", handles kept"));
    auto started = std::chrono::steady_clock::now();
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      g_forked_child = true;
      char e[FC_ERRBUF_LEN];
      fc_client *c = new_client({{"storage", "file://" + dir_}});
      fc_job *jobs[4] = {};
      int ok = fc_client_put_async(c, "3.9.0.0", json.data(), json.size(), &jobs[0], e, sizeof e) == FC_OK &&
               fc_client_put_async_serialized(c, "3.9.0.0", big.data(), big.size(), &jobs[1], e, sizeof e) == FC_OK &&
               fc_client_get_async(c, "3.9.0.0", &jobs[2], e, sizeof e) == FC_OK &&
               fc_client_put_async(c, "3.9.0.0", json.data(), json.size(), &jobs[3], e, sizeof e) == FC_OK;
      // Let the first job get going: hashing, converting or writing when exit() comes.
      std::this_thread::sleep_for(std::chrono::milliseconds(round * 7));
      if (free_handles) {
        for (fc_job *j : jobs) fc_job_free(j);
        fc_client_free(c);
      }
      std::exit(ok ? 0 : 3);
    }
    int status = 0;
    pid_t got = 0;
    while ((got = ::waitpid(pid, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() - started < std::chrono::seconds(20))
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (got == 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      FAIL() << "the process did not exit within 20 s";
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    EXPECT_TRUE(WIFEXITED(status)) << "killed by signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    if (WIFEXITED(status)) {
      EXPECT_EQ(WEXITSTATUS(status), 0);
    }
    EXPECT_LT(seconds, 2.0) << "exit waited for the jobs";
  }
}

namespace {

std::atomic<long> g_spins{0};

// Registered before the worker's own exit handler, so it runs after it, as
// OpenSSL's cleanup does: by then the worker thread must not move any more.
void exit_if_the_worker_still_moves() {
  long before = g_spins.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  if (g_spins.load() != before) ::_exit(7);
}

// Forks a child that starts `work` on a fresh worker thread, waits until it
// spins, and calls exit(code); returns the child's wait status and how long
// its exit took.
std::pair<int, double> exit_while_working(void (*work)(), int code) {
  pid_t pid = ::fork();
  if (pid == 0) {
    g_forked_child = true;
    std::atexit(exit_if_the_worker_still_moves);
    fc::jobs::submit(std::make_shared<fc::jobs::Job>([work](fc::jobs::Job &) { work(); }));
    while (g_spins.load() < 1000) std::this_thread::yield();
    std::exit(code);
  }
  auto started = std::chrono::steady_clock::now();
  int status = 0;
  pid_t got = 0;
  while ((got = ::waitpid(pid, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() - started < std::chrono::seconds(20))
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  if (got == 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  return {status, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()};
}

}  // namespace

// A worker thread busy with CPU work (converting, hashing) when the process
// exits stops for good at its next pace() point, before the exit handlers that
// come after the worker's (OpenSSL's cleanup) run. Without that, an exiting
// nginx worker with an export in flight could crash in OPENSSL_cleanup.
TEST(Worker, ExitStopsABusyWorkerThreadAtItsNextPacePoint) {
  auto [status, seconds] = exit_while_working(
      [] {
        for (;;) {
          g_spins.fetch_add(1);
          fc::pace(1024);
        }
      },
      0);
  ASSERT_TRUE(WIFEXITED(status)) << "signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "7: the worker thread still ran while later exit handlers ran";
  EXPECT_LT(seconds, 2.0);
}

// A worker thread that cannot be stopped (waiting on the network, outside any
// pace() point) does not hold the exit up beyond a short grace: the process
// ends with its exit status, before the later exit handlers could run.
TEST(Worker, ExitDoesNotWaitForAWorkerThreadBlockedElsewhere) {
  auto [status, seconds] = exit_while_working(
      [] {
        for (;;) {
          g_spins.fetch_add(1000);
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
      },
      5);
  ASSERT_TRUE(WIFEXITED(status)) << "signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  EXPECT_EQ(WEXITSTATUS(status), 5) << "7: the worker thread still ran while later exit handlers ran";
  EXPECT_LT(seconds, 2.0);
}

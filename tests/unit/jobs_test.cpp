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
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "fallback_config.h"
#include "http/borrowed_buffer.h"
#include "jobs/pace.h"
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
    for (int i = 0; i < 64; ++i) fc::jobs::pace(16 * 1024);  // 1 MiB in windows
    self.data() = std::to_string(fc::jobs::pauses_taken() - before);
  });
  fc::jobs::submit(job);
  for (int i = 0; i < 5000 && !job->done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(job->done());
  EXPECT_GE(std::stoul(job->data()), 8u) << "1 MiB of work took no pause on the worker thread";

  size_t before = fc::jobs::pauses_taken();
  for (int i = 0; i < 64; ++i) fc::jobs::pace(16 * 1024);
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


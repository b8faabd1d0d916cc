// util/child_process.h: a helper run from inside a server that reaps its
// children with waitpid(-1), as nginx does.
#include "util/child_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "util/error.h"

namespace {

std::string run_shell(const std::string &script, const std::string &input, int *status,
                      const std::vector<std::string> &keep_env = {}, std::string *err = nullptr) {
  fc::ChildProcess child("/bin/sh", {"sh", "-c", script}, keep_env);
  child.write_stdin_and_close(input);
  std::string out, e;
  *status = child.communicate(out, 1 << 20, e, 4096);
  if (err) *err = e;
  return out;
}

TEST(ChildProcess, PipesStdinStdoutAndStderrAndReportsTheExitStatus) {
  int status = 0;
  std::string err;
  std::string out = run_shell("read line; echo \"got $line\"; echo oops >&2; exit 3", "hello\n", &status, {}, &err);
  EXPECT_EQ(out, "got hello\n");
  EXPECT_EQ(err, "oops\n");
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);
  EXPECT_EQ(fc::describe_wait_status(status), "exited with status 3");
}

// nginx's SIGCHLD handler calls waitpid(-1, WNOHANG) in a loop: it must never
// take this child's exit from its owner.
TEST(ChildProcess, AReaperOfAllChildrenNeverSeesIt) {
  fc::ChildProcess child("/bin/sh", {"sh", "-c", "exit 7"}, {});
  child.write_stdin_and_close("");
  usleep(200 * 1000);  // it has exited by now
  int status = 0;
  pid_t reaped = waitpid(-1, &status, WNOHANG);
  EXPECT_TRUE(reaped == 0 || (reaped < 0 && errno == ECHILD)) << "waitpid(-1) reaped " << reaped;
  std::string out, err;
  status = child.communicate(out, 1024, err, 1024);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 7);
}

TEST(ChildProcess, InheritsNoOtherDescriptor) {
  int leaked = open("/dev/null", O_RDONLY);  // no O_CLOEXEC: a server's socket, say
  ASSERT_GE(leaked, 3);
  int status = 0;
  std::string out = run_shell("ls /proc/self/fd", "", &status);
  close(leaked);
  // 0, 1, 2 and the directory ls itself opened to list them.
  EXPECT_EQ(out, "0\n1\n2\n3\n");
  EXPECT_EQ(status, 0);
}

TEST(ChildProcess, GetsOnlyTheVariablesNamed) {
  setenv("FC_TEST_SECRET_ACCESS_KEY", "do-not-pass-me", 1);
  setenv("FC_TEST_KEPT", "kept", 1);
  int status = 0;
  std::string out = run_shell("env", "", &status, {"FC_TEST_KEPT", "FC_TEST_ABSENT"});
  unsetenv("FC_TEST_SECRET_ACCESS_KEY");
  unsetenv("FC_TEST_KEPT");
  EXPECT_EQ(out.find("do-not-pass-me"), std::string::npos) << out;
  EXPECT_NE(out.find("FC_TEST_KEPT=kept"), std::string::npos) << out;
  EXPECT_EQ(out.find("FC_TEST_ABSENT"), std::string::npos) << out;
}

TEST(ChildProcess, StartsWithDefaultSignalsNothingBlocked) {
  // The caller ignores SIGTERM and blocks SIGUSR1; the child must not.
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction old_term {};
  sigaction(SIGTERM, &ignore, &old_term);
  sigset_t usr1, old_mask;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &usr1, &old_mask);
  int status = 0;
  std::string out = run_shell("grep -E '^(SigBlk|SigIgn):' /proc/self/status", "", &status);
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  EXPECT_NE(out.find("SigBlk:\t0000000000000000"), std::string::npos) << out;
  // sh itself may ignore a few; SIGTERM (bit 15) is not among them.
  auto ign = out.find("SigIgn:\t");
  ASSERT_NE(ign, std::string::npos);
  unsigned long long mask = std::stoull(out.substr(ign + 8, 16), nullptr, 16);
  EXPECT_EQ(mask & (1ULL << (SIGTERM - 1)), 0ULL) << out;
}

TEST(ChildProcess, AProgramThatCannotRunIsAnErrorNamingIt) {
  try {
    fc::ChildProcess child("/nonexistent/helper", {"helper"}, {});
    FAIL() << "no error";
  } catch (const fc::Error &e) {
    EXPECT_EQ(e.status(), FC_EIO);
    EXPECT_EQ(std::string(e.what()), "cannot run /nonexistent/helper: No such file or directory");
  }
}

TEST(ChildProcess, AChildThatLeavesBeforeReadingItsInputIsAnErrorNotASignal) {
  fc::ChildProcess child("/bin/sh", {"sh", "-c", "exec 0<&-; exit 0"}, {});
  usleep(200 * 1000);
  std::string big(1 << 20, 'x');  // more than a pipe holds
  EXPECT_THROW(child.write_stdin_and_close(big), fc::Error);
  sigset_t pending;
  sigpending(&pending);
  EXPECT_FALSE(sigismember(&pending, SIGPIPE));
}

TEST(ChildProcess, OutputPastTheLimitKillsTheChild) {
  fc::ChildProcess child("/bin/sh", {"sh", "-c", "while :; do echo xxxxxxxxxxxxxxxx; done"}, {});
  child.write_stdin_and_close("");
  std::string out, err;
  EXPECT_THROW(child.communicate(out, 100000, err, 1024), fc::Error);
  // The destructor kills and reaps it: nothing is left behind.
}

}  // namespace

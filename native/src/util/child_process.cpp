#include "util/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "util/error.h"

namespace fc {

namespace {

constexpr size_t kStack = 64 * 1024;  // for each of the watcher and the program before execve

// System calls for code that shares the caller's memory (and so its errno):
// no libc wrapper, nothing written but the result.
#if defined(__x86_64__)
long raw_syscall(long n, long a = 0, long b = 0, long c = 0, long d = 0) {
  register long r10 asm("r10") = d;
  long ret;
  asm volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
  return ret;
}
#elif defined(__aarch64__)
long raw_syscall(long n, long a = 0, long b = 0, long c = 0, long d = 0) {
  register long x8 asm("x8") = n;
  register long x0 asm("x0") = a;
  register long x1 asm("x1") = b;
  register long x2 asm("x2") = c;
  register long x3 asm("x3") = d;
  asm volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
  return x0;
}
#else
#error "child_process.cpp: raw system calls are written for x86_64 and aarch64"
#endif

// The kernel's struct sigaction (x86_64, arm64): what rt_sigaction takes.
struct KernelSigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)();
  uint64_t mask;
};

}  // namespace

struct ChildProcess::Shared {
  const char *path;
  char *const *argv;
  char *const *envp;
  int fds[3];            // become the program's 0, 1, 2
  char *program_stack;   // top of the stack the program runs on until execve
  std::atomic<int> exec_errno{0};
  std::atomic<pid_t> program{0};
  std::atomic<int> status{0};
  std::atomic<bool> reaped{false};  // the watcher has the program's status
};

namespace {

using Shared = ChildProcess::Shared;

__attribute__((no_sanitize("address", "undefined"))) void default_signals() {
  KernelSigaction dfl{};
  dfl.handler = SIG_DFL;
  for (long sig = 1; sig < 65; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) raw_syscall(SYS_rt_sigaction, sig, reinterpret_cast<long>(&dfl), 0, 8);
  }
}

// The program, from clone() to execve: in the watcher's memory, on its own stack.
__attribute__((no_sanitize("address", "undefined"))) int program_main(void *arg) {
  auto *s = static_cast<Shared *>(arg);
  uint64_t none = 0;
  raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&none), 0, 8);
  for (int target = 0; target < 3; ++target) {
    long rc = raw_syscall(SYS_dup3, s->fds[target], target, 0);
    if (rc < 0) {
      s->exec_errno.store(static_cast<int>(-rc));
      raw_syscall(SYS_exit, 127);
    }
  }
  if (raw_syscall(SYS_close_range, 3, ~0U, 0) < 0) {
    for (long fd = 3; fd < 65536; ++fd) raw_syscall(SYS_close, fd);
  }
  long rc = raw_syscall(SYS_execve, reinterpret_cast<long>(s->path), reinterpret_cast<long>(s->argv),
                        reinterpret_cast<long>(s->envp));
  s->exec_errno.store(static_cast<int>(-rc));
  raw_syscall(SYS_exit, 127);
  return 127;
}

// The watcher: shares the caller's memory, has its own copies of the
// descriptors and the signal handlers (nginx's must not run here), and
// everything blocked. It never calls execve.
__attribute__((no_sanitize("address", "undefined"))) int watcher_main(void *arg) {
  auto *s = static_cast<Shared *>(arg);
  default_signals();
  // CLONE_VFORK: resumes once the program has called execve or exited.
  pid_t pid = clone(program_main, s->program_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, s);
  raw_syscall(SYS_close_range, 0, ~0U, 0);  // its copies of the pipes: EOF follows the program's exit
  if (pid <= 0) {
    s->exec_errno.store(EAGAIN);
    s->reaped.store(true);
    raw_syscall(SYS_exit, 0);
  }
  s->program.store(pid);
  int status = 0;
  while (raw_syscall(SYS_wait4, pid, reinterpret_cast<long>(&status), 0, 0) == -EINTR) {
  }
  s->status.store(status);
  s->reaped.store(true);
  raw_syscall(SYS_exit, 0);
  return 0;
}

// A pipe whose ends are both above 2 and close on exec.
void make_pipe(int fds[2]) {
  if (pipe2(fds, O_CLOEXEC) != 0) fail_errno("cannot create a pipe");
  for (int i = 0; i < 2; ++i) {
    if (fds[i] <= 2) {
      int moved = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
      if (moved < 0) fail_errno("cannot create a pipe");
      close(fds[i]);
      fds[i] = moved;
    }
  }
}

void close_fd(int &fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

// Strings and the arrays of pointers to them that execve takes.
struct CStrings {
  explicit CStrings(std::vector<std::string> v) : strings(std::move(v)) {
    for (std::string &s : strings) pointers.push_back(s.data());
    pointers.push_back(nullptr);
  }
  std::vector<std::string> strings;
  std::vector<char *> pointers;
};

}  // namespace

ChildProcess::ChildProcess(const std::string &path, const std::vector<std::string> &args,
                           const std::vector<std::string> &keep_env) {
  std::vector<std::string> env;
  for (const std::string &name : keep_env) {
    const char *value = std::getenv(name.c_str());
    if (value) env.push_back(name + "=" + value);
  }
  CStrings argv(args), envp(std::move(env));

  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  auto close_all = [&] {
    for (int *fd : {&in[0], &in[1], &out[0], &out[1], &err[0], &err[1]}) close_fd(*fd);
  };
  try {
    make_pipe(in);
    make_pipe(out);
    make_pipe(err);
  } catch (...) {
    close_all();
    throw;
  }
  // Two stacks, and the shared state, in one mapping that lives until the
  // watcher is reaped.
  void *mem = mmap(nullptr, 2 * kStack + sizeof(Shared), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (mem == MAP_FAILED) {
    int e = errno;
    close_all();
    errno = e;
    fail_errno("cannot run " + path);
  }
  char *base = static_cast<char *>(mem);
  shared_ = new (base + 2 * kStack) Shared();
  shared_->path = path.c_str();
  shared_->argv = argv.pointers.data();
  shared_->envp = envp.pointers.data();
  shared_->fds[0] = in[0];
  shared_->fds[1] = out[1];
  shared_->fds[2] = err[1];
  shared_->program_stack = base + 2 * kStack;

  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  // Exit signal 0: a clone child (see the header).
  watcher_ = clone(watcher_main, base + kStack, CLONE_VM, shared_);
  int clone_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);

  close_fd(in[0]);
  close_fd(out[1]);
  close_fd(err[1]);
  stdin_ = in[1];
  stdout_ = out[0];
  stderr_ = err[0];
  if (watcher_ < 0) {
    close_fd(stdin_);
    close_fd(stdout_);
    close_fd(stderr_);
    munmap(mem, 2 * kStack + sizeof(Shared));
    shared_ = nullptr;
    errno = clone_errno;
    fail_errno("cannot run " + path);
  }
  // argv, envp and path must stay put until the program has called execve:
  // the watcher stores the program's pid after that.
  while (shared_->program.load() == 0 && !shared_->reaped.load()) {
    timespec tick{0, 50 * 1000};
    nanosleep(&tick, nullptr);
  }
  if (int e = shared_->exec_errno.load()) {
    reap();
    close_fd(stdin_);
    close_fd(stdout_);
    close_fd(stderr_);
    errno = e;
    fail_errno("cannot run " + path);
  }
}

ChildProcess::~ChildProcess() {
  close_fd(stdin_);
  close_fd(stdout_);
  close_fd(stderr_);
  if (watcher_ > 0) {
    // Not yet reaped by the watcher: the program still runs (its pid is its own).
    pid_t program = shared_->program.load();
    if (program > 0 && !shared_->reaped.load()) kill(program, SIGKILL);
    reap();
  }
}

void ChildProcess::reap() {
  int status;
  while (waitpid(watcher_, &status, __WCLONE) < 0 && errno == EINTR) {
  }
  watcher_ = -1;
  munmap(reinterpret_cast<char *>(shared_) - 2 * kStack, 2 * kStack + sizeof(Shared));
  shared_ = nullptr;
}

void ChildProcess::write_stdin_and_close(const std::string &data) {
  // SIGPIPE held back on this thread while writing, and one the write raised
  // taken off again: the caller (an nginx worker) must not die of a child's exit.
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  bool was_pending = false;
  sigset_t pending;
  if (sigpending(&pending) == 0) was_pending = sigismember(&pending, SIGPIPE);
  size_t done = 0;
  int write_errno = 0;
  while (done < data.size()) {
    ssize_t n = write(stdin_, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      write_errno = errno;
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (write_errno == EPIPE && !was_pending) {
    timespec zero{0, 0};
    sigtimedwait(&pipe_set, nullptr, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  close_fd(stdin_);
  if (write_errno) {
    errno = write_errno;
    fail_errno("cannot write to the child process");
  }
}

int ChildProcess::communicate(std::string &out, size_t stdout_limit, std::string &err, size_t stderr_limit) {
  char buf[64 * 1024];
  while (stdout_ >= 0 || stderr_ >= 0) {
    pollfd fds[2] = {{stdout_, POLLIN, 0}, {stderr_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      fail_errno("cannot read from the child process");
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail_errno("cannot read from the child process");
      if (n == 0) {
        close_fd(i == 0 ? stdout_ : stderr_);
        continue;
      }
      if (i == 0) {
        if (out.size() + static_cast<size_t>(n) > stdout_limit)
          fail(FC_EIO, "the child process wrote more than " + std::to_string(stdout_limit) + " bytes");
        out.append(buf, static_cast<size_t>(n));
      } else if (err.size() < stderr_limit) {
        err.append(buf, std::min(static_cast<size_t>(n), stderr_limit - err.size()));
      }
    }
  }
  int status = 0;
  {
    int ignored;
    while (waitpid(watcher_, &ignored, __WCLONE) < 0) {
      if (errno != EINTR) fail_errno("cannot wait for the child process");
    }
    status = shared_->status.load();
    watcher_ = -1;
    munmap(reinterpret_cast<char *>(shared_) - 2 * kStack, 2 * kStack + sizeof(Shared));
    shared_ = nullptr;
  }
  return status;
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
  return "ended with wait status " + std::to_string(status);
}

}  // namespace fc

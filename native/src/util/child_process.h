// A helper program run from inside a server's worker process. nginx reaps
// children on every SIGCHLD with waitpid(-1) (src/os/unix/ngx_process.c
// ngx_process_get_status), which would take an ordinary child's exit status
// and log "unknown process ... exited". So the program is not our child: a
// watcher is, created by clone() with no exit signal (a "clone child", which
// waitpid(-1) never sees without __WCLONE; clone(2), wait(2)). The watcher
// never calls execve (which would give it SIGCHLD back); it starts the
// program as its own child, waits for it and keeps its status. Both are made
// the way posix_spawn makes children (CLONE_VM, no copy of the server's
// page tables), and run system calls only until the program's execve.
//
// The child gets pipes for stdin, stdout and stderr, no other descriptor,
// default signal dispositions with nothing blocked, and only the listed
// environment variables: it never inherits Kong's secrets.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace fc {

class ChildProcess {
 public:
  // Runs `path` with argv `args` (args[0] is the program's name) and the
  // variables of the caller's environment named in `keep_env`. Throws
  // fc::Error(FC_EIO) "cannot run <path>: <reason>" when it cannot start.
  ChildProcess(const std::string &path, const std::vector<std::string> &args,
               const std::vector<std::string> &keep_env);
  // A child still running is killed (SIGKILL) and reaped.
  ~ChildProcess();
  struct Shared;  // between this object and its watcher (child_process.cpp)
  ChildProcess(const ChildProcess &) = delete;
  ChildProcess &operator=(const ChildProcess &) = delete;

  // Writes all of `data` to the child's stdin, then closes it. A child that
  // has gone away makes it throw FC_EIO, never raise SIGPIPE.
  void write_stdin_and_close(const std::string &data);

  // Reads stdout and stderr until both end, then waits for the exit, and
  // returns the wait status (waitpid's). Past `stderr_limit` bytes stderr is
  // dropped; past `stdout_limit` the child is killed and FC_EIO thrown.
  int communicate(std::string &out, size_t stdout_limit, std::string &err, size_t stderr_limit);

 private:
  void reap();

  Shared *shared_ = nullptr;
  pid_t watcher_ = -1;
  int stdin_ = -1, stdout_ = -1, stderr_ = -1;
};

// "exited with status N" / "was killed by signal N" for a wait status.
std::string describe_wait_status(int status);

}  // namespace fc

// Checks a downloaded configuration on its own thread while the download
// writes it to a file, so that `pull` pays for the JSON check with the other
// core instead of after the last byte. The verdict is asked for only once the
// download is complete and its integrity checked (finish()): a byte damaged in
// transit is the integrity check's to report and retry, not the parser's.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <string>
#include <thread>

namespace fc {

class JsonCheckFollower {
 public:
  // Follows `fd`, a file being written from offset 0; `what` names it in errors.
  JsonCheckFollower(int fd, std::string what);
  ~JsonCheckFollower();  // abandons the check
  JsonCheckFollower(const JsonCheckFollower &) = delete;
  JsonCheckFollower &operator=(const JsonCheckFollower &) = delete;

  // The writer: bytes [0, total) are in the file.
  void written(uint64_t total);
  // The writer truncated the file and starts over (a retried download).
  void restart();
  // The writer is done: waits for the check, throws its error if the file is
  // not exactly one JSON object.
  void finish();

 private:
  void start();
  void stop();
  void run();

  const int fd_;
  const std::string what_;
  std::mutex mutex_;
  std::condition_variable changed_;
  uint64_t available_ = 0;
  bool complete_ = false;  // no more bytes will come
  bool abandoned_ = false;
  std::exception_ptr error_;
  std::thread worker_;
};

}  // namespace fc

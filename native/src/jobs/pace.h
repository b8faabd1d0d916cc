// Background work gives the CPU back in small steps. On a gateway the worker
// thread shares cores with nginx's event loop; one long burst of converting,
// hashing or copying 16 MB (tens of milliseconds) delays every request that
// arrives meanwhile, low CPU priority or not. Measured by bench/p99_bench.sh:
// unpaced, the proxy's P99 doubled while exporting; paced, it barely moves.
// Loops call fc::pace() (util/pace.h); this is the pacer the worker thread
// installs.
#pragma once

#include <cstddef>

namespace fc::jobs {

// Makes fc::pace() on the calling thread (the worker thread) sleep a short
// pause after every burst and, once the process is exiting, stop the thread
// for good (see worker.h).
void enable_pacing_on_this_thread();

// How many pauses the calling thread has taken (for tests).
size_t pauses_taken();

}  // namespace fc::jobs

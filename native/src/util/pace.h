// Long loops (copying, converting, hashing a configuration) call pace() as
// they go, so that whoever runs them can make them give the CPU back: the
// jobs worker thread installs its pacer (jobs/pace.h); on any other thread
// (the CLI's) pace() does nothing. The hook lives here so that the layers
// with such loops (http/, the client) need not know about jobs/.
#pragma once

#include <cstddef>

namespace fc {

// Called with the bytes just processed.
using Pacer = void (*)(size_t bytes);

// Installs `pacer` for the calling thread (nullptr: none, the default).
void set_pacer_for_this_thread(Pacer pacer);

// Hands `bytes` to the calling thread's pacer, if it has one.
void pace(size_t bytes);

}  // namespace fc

// exit() runs the handlers registered with atexit/on_exit, and the
// destructors of static objects, while the process's other threads go on:
// OpenSSL's cleanup among them frees what a thread in a transfer is using. A
// thread that works in rounds (the export lease's) passes each round through
// this gate: once the process has begun to exit no round starts, and exit
// waits a quarter of a second for the rounds in flight, then ends the process
// at once (skipping the handlers registered before the gate's). The jobs
// worker thread guards itself the same way at its pace() points
// (jobs/worker.cpp).
#pragma once

namespace fc::exit_gate {

// Registers the gate's exit handler in this process, after OpenSSL's (so it
// runs first). Call before the thread's first round; again after fork().
void arm();
// False once the process is exiting: the caller must not start the round
// (park() then).
bool enter();
void leave();
// Blocks the calling thread until the process ends.
[[noreturn]] void park();

}  // namespace fc::exit_gate

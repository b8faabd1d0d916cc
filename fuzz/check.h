// A property every fuzz target asserts on top of the sanitizers: when it does
// not hold, print which and where, then abort so that libFuzzer saves the input.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace fuzz {

[[noreturn]] inline void violated(const char *what, const char *file, int line) {
  std::fprintf(stderr, "%s:%d: property violated: %s\n", file, line, what);
  std::abort();
}

}  // namespace fuzz

#define FUZZ_CHECK(condition) ((condition) ? (void)0 : ::fuzz::violated(#condition, __FILE__, __LINE__))

#include "util/pace.h"

namespace fc {

namespace {

thread_local Pacer t_pacer = nullptr;

}  // namespace

void set_pacer_for_this_thread(Pacer pacer) { t_pacer = pacer; }

void pace(size_t bytes) {
  if (t_pacer) t_pacer(bytes);
}

}  // namespace fc

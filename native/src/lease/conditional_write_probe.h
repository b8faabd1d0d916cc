// Whether a store honours conditional writes, asked of the store itself: some
// S3 implementations accept If-None-Match and If-Match and ignore them, and a
// lease on such a store would let two nodes lead at once.
#pragma once

#include <string>

#include "storage/storage.h"

namespace fc {

// Writes, rewrites and removes a scratch object at `key`: a create-only write
// must fail the second time, a write conditional on a wrong revision must
// fail, one on the right revision must succeed. Returns "" when all held,
// else one line naming `store` and what it ignored. Throws fc::Error when the
// store could not be asked.
std::string probe_conditional_writes(Storage &storage, const std::string &key, const std::string &store);

}  // namespace fc

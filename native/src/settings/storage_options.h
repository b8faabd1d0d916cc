// The storage backend a location and its settings describe, with the checks
// that span several settings (a key pair, SSE-C over http), named by where
// each value came from.
#pragma once

#include <memory>

#include "settings/settings.h"
#include "storage/location.h"
#include "storage/storage.h"

namespace fc {

// Throws FC_EINVAL when the settings do not fit together.
std::unique_ptr<Storage> make_storage(const Location &location, const Settings &settings);

}  // namespace fc

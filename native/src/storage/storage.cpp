#include "storage/storage.h"

namespace fc {

std::string missing_config_message(const std::string &url) { return "no fallback config at " + url; }

}  // namespace fc

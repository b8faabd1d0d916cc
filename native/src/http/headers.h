// Name/value pairs as HTTP carries them: header fields (names in any case,
// repeats allowed, order kept) and decoded query parameters.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace fc::http {

using NameValues = std::vector<std::pair<std::string, std::string>>;
using Headers = NameValues;

}  // namespace fc::http

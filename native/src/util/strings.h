// Small string helpers shared by the signer, the HTTP layer and the settings.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace fc {

std::string to_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
bool starts_with(std::string_view s, std::string_view prefix);
bool ends_with(std::string_view s, std::string_view suffix);
std::string_view trim(std::string_view s);
std::vector<std::string> split(std::string_view s, char sep);
// An HTTP entity tag without its quotes (and without a weak tag's W/).
std::string unquoted(std::string_view etag);
// Makes text safe for a one-line message: control characters become spaces.
std::string one_line(std::string_view s);
std::string getenv_or_empty(const char *name);

}  // namespace fc

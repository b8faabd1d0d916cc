// Percent-encoding as SigV4 defines it (RFC 3986 unreserved characters kept).
#pragma once

#include <string>
#include <string_view>

namespace fc {

// Encodes every byte except A-Z a-z 0-9 - _ . ~ (and '/' when keep_slash).
std::string uri_encode(std::string_view s, bool keep_slash);
// Decodes %XX sequences; '+' stays '+'. Throws fc::Error(FC_EINVAL) on a bad escape.
std::string percent_decode(std::string_view s);
// Removes empty, "." and ".." segments (RFC 3986 dot-segment removal on segments),
// keeping a leading and a trailing slash.
std::string normalize_path(std::string_view path);

}  // namespace fc

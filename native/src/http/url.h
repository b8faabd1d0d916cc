// The parts of an absolute URL that requests are sent to, parsed by libcurl's
// URL API (the parser the transport itself uses).
#pragma once

#include <optional>
#include <string>

namespace fc::http {

struct Url {
  std::string scheme;  // lowercase
  std::string host;
  int port = 0;        // 0: the scheme's default
  std::string path;    // "/" when absent
  bool has_credentials = false;
};

// nullopt when libcurl cannot parse it as an absolute URL.
std::optional<Url> parse_url(const std::string &text);

}  // namespace fc::http

#include "http/url.h"

#include <curl/curl.h>

#include <cstdlib>
#include <memory>

#include "util/error.h"
#include "util/strings.h"

namespace fc::http {

namespace {

struct UrlDeleter {
  void operator()(CURLU *u) const { curl_url_cleanup(u); }
};
struct CurlFree {
  void operator()(char *p) const { curl_free(p); }
};

// A part of a parsed URL, or "" when absent. The part is owned before the
// copy that may throw bad_alloc.
std::string url_part(CURLU *u, CURLUPart what) {
  char *raw = nullptr;
  if (curl_url_get(u, what, &raw, 0) != CURLUE_OK) return {};
  std::unique_ptr<char, CurlFree> part(raw);
  return std::string(part.get());
}

}  // namespace

std::optional<Url> parse_url(const std::string &text) {
  std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
  if (!u) fail(FC_EINTERNAL, "out of memory parsing a URL");
  if (curl_url_set(u.get(), CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) return std::nullopt;
  Url out;
  out.scheme = to_lower(url_part(u.get(), CURLUPART_SCHEME));
  out.host = url_part(u.get(), CURLUPART_HOST);
  std::string port = url_part(u.get(), CURLUPART_PORT);
  out.port = port.empty() ? 0 : std::atoi(port.c_str());
  out.path = url_part(u.get(), CURLUPART_PATH);
  if (out.path.empty()) out.path = "/";
  out.has_credentials = !url_part(u.get(), CURLUPART_USER).empty() || !url_part(u.get(), CURLUPART_PASSWORD).empty();
  return out;
}

}  // namespace fc::http

#include "http/raw_request.h"

#include "crypto/digest.h"
#include "util/error.h"
#include "util/strings.h"
#include "util/uri.h"

namespace fc {

namespace {

// Reads one line, accepting CRLF or bare LF endings.
bool next_line(std::string_view raw, size_t *pos, std::string_view *line) {
  if (*pos >= raw.size()) return false;
  size_t nl = raw.find('\n', *pos);
  size_t end = nl == std::string_view::npos ? raw.size() : nl;
  *line = raw.substr(*pos, end - *pos);
  if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
  *pos = nl == std::string_view::npos ? raw.size() : nl + 1;
  return true;
}

bool is_token_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

}  // namespace

sigv4::NameValues parse_query_string(std::string_view query) {
  sigv4::NameValues out;
  if (query.empty()) return out;
  for (const std::string &part : split(query, '&')) {
    if (part.empty()) continue;
    size_t eq = part.find('=');
    if (eq == std::string::npos)
      out.emplace_back(percent_decode(part), "");
    else
      out.emplace_back(percent_decode(part.substr(0, eq)), percent_decode(part.substr(eq + 1)));
  }
  return out;
}

RawRequest parse_raw_request(std::string_view raw) {
  RawRequest out;
  size_t pos = 0;
  std::string_view line;
  // Leading blank lines are tolerated, as RFC 9112 asks of servers.
  do {
    if (!next_line(raw, &pos, &line)) fail(FC_EINVAL, "request is empty: expected 'METHOD /path HTTP/1.1'");
  } while (trim(line).empty());

  // Messages name the line, never echo it: a target or a header may hold a token.
  std::vector<std::string> parts = split(line, ' ');
  if (parts.size() != 3 || parts[0].empty() || parts[1].empty() || !starts_with(parts[2], "HTTP/"))
    fail(FC_EINVAL, "bad request line: expected 'METHOD /path HTTP/1.1'");
  for (char c : parts[0])
    if (!is_token_char(c)) fail(FC_EINVAL, "bad method in the request line");
  std::string_view target = parts[1];
  if (target.front() != '/') fail(FC_EINVAL, "request target must start with '/' (origin form)");
  size_t q = target.find('?');
  out.request.method = parts[0];
  out.request.path = percent_decode(target.substr(0, q));
  if (q != std::string_view::npos) out.request.query = parse_query_string(target.substr(q + 1));

  bool blank_seen = false;
  int line_no = 1;
  while (next_line(raw, &pos, &line)) {
    const std::string where = "header line " + std::to_string(++line_no);
    if (line.empty()) {
      blank_seen = true;
      break;
    }
    if (line.front() == ' ' || line.front() == '\t')
      fail(FC_EINVAL, where + ": obsolete line folding is not supported");
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0)
      fail(FC_EINVAL, where + ": expected 'Name: value'");
    std::string_view name = line.substr(0, colon);
    for (char c : name)
      if (!is_token_char(c)) fail(FC_EINVAL, where + ": invalid character in the header name");
    out.request.headers.emplace_back(std::string(name), std::string(line.substr(colon + 1)));
  }
  if (blank_seen) out.body = std::string(raw.substr(pos));
  out.request.payload_hash = crypto::hex(crypto::sha256(out.body));
  return out;
}

}  // namespace fc

#include "auth/raw_request.h"

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

bool is_fold(std::string_view line) { return !line.empty() && (line.front() == ' ' || line.front() == '\t'); }

// "METHOD target HTTP/x": the method is the first word and the version the
// last, so a target with spaces in it (AWS's get-space case) stays whole.
void parse_request_line(std::string_view line, RawRequest *out) {
  const char *expected = "bad request line: expected 'METHOD /path HTTP/1.1'";
  size_t first = line.find(' '), last = line.rfind(' ');
  if (first == std::string_view::npos || first == last) fail(FC_EINVAL, expected);
  std::string_view method = line.substr(0, first), version = line.substr(last + 1);
  std::string_view target = trim(line.substr(first + 1, last - first - 1));
  if (method.empty() || target.empty() || !starts_with(version, "HTTP/")) fail(FC_EINVAL, expected);
  for (char c : method)
    if (!is_token_char(c)) fail(FC_EINVAL, "bad method in the request line");
  if (target.front() != '/') fail(FC_EINVAL, "request target must start with '/' (origin form)");
  size_t q = target.find('?');
  out->method = std::string(method);
  out->path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) out->query = parse_query_string(target.substr(q + 1));
}

}  // namespace

http::NameValues parse_query_string(std::string_view query) {
  http::NameValues out;
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
  parse_request_line(line, &out);

  // Messages name the line, never echo it: a target or a header may hold a token.
  bool blank_seen = false;
  int line_no = 1;
  while (next_line(raw, &pos, &line)) {
    const std::string where = "header line " + std::to_string(++line_no);
    if (line.empty()) {
      blank_seen = true;
      break;
    }
    if (is_fold(line)) {
      // Obsolete line folding (RFC 9112 5.2): the line continues the value
      // before it, joined with one space; the signer collapses the rest.
      if (out.headers.empty()) fail(FC_EINVAL, where + ": a continuation line with no header before it");
      out.headers.back().second.append(" ").append(trim(line));
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0)
      fail(FC_EINVAL, where + ": expected 'Name: value'");
    std::string_view name = line.substr(0, colon);
    for (char c : name)
      if (!is_token_char(c)) fail(FC_EINVAL, where + ": invalid character in the header name");
    out.headers.emplace_back(std::string(name), std::string(line.substr(colon + 1)));
  }
  if (blank_seen) out.body = std::string(raw.substr(pos));
  return out;
}

sigv4::Request RawRequest::for_signing(sigv4::Rules rules) const {
  sigv4::Request request;
  request.method = method;
  request.path = rules == sigv4::Rules::S3 ? percent_decode(path) : path;
  request.query = query;
  request.headers = headers;
  request.payload_hash = crypto::hex(crypto::sha256(body));
  return request;
}

}  // namespace fc

// `fallback-config sign`: parse_raw_request() on a pasted HTTP request, then
// SigV4 over what it parsed, under both rule sets, so that the canonical URI,
// query string and header code sees hostile paths, queries, headers and
// folded header lines too.
// Input: the raw request.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/sigv4.h"
#include "check.h"
#include "auth/raw_request.h"
#include "util/error.h"

namespace {

// Fake credentials (AWS's documentation example), a fixed time: signatures are reproducible.
const fc::AwsCredentials kCredentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const fc::AwsCredentials kTemporaryCredentials{"ASIAEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                               "FQoGZXIvYXdzEXAMPLE//////////token"};
constexpr std::time_t kTime = 1369353600;  // 2013-05-24T00:00:00Z

bool is_lower_hex(std::string_view s, size_t length) {
  if (s.size() != length) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

size_t count(std::string_view s, char c) {
  size_t n = 0;
  for (char x : s) n += x == c;
  return n;
}

void check_signature(const fc::sigv4::Signature &sig) {
  FUZZ_CHECK(is_lower_hex(sig.signature, 64));
  // The canonical request's second-to-last line lists the signed headers, which
  // are sorted, lowercase and unique, one canonical header line each: a value
  // or name that smuggled in a newline would break this count.
  const std::string &creq = sig.canonical_request;
  size_t last = creq.rfind('\n');
  FUZZ_CHECK(last != std::string::npos && last > 0);
  size_t before = creq.rfind('\n', last - 1);
  FUZZ_CHECK(before != std::string::npos);
  std::string_view signed_headers = std::string_view(creq).substr(before + 1, last - before - 1);
  FUZZ_CHECK(!signed_headers.empty());
  size_t names = count(signed_headers, ';') + 1;
  FUZZ_CHECK(count(creq, '\n') == names + 5);
  std::string_view previous;
  for (size_t start = 0; start <= signed_headers.size();) {
    size_t end = signed_headers.find(';', start);
    if (end == std::string_view::npos) end = signed_headers.size();
    std::string_view name = signed_headers.substr(start, end - start);
    FUZZ_CHECK(!name.empty() && name > previous);
    for (char c : name) FUZZ_CHECK(!(c >= 'A' && c <= 'Z'));
    previous = name;
    start = end + 1;
  }
  FUZZ_CHECK(sig.authorization.find("SignedHeaders=" + std::string(signed_headers) + ",") != std::string::npos);
}

void sign(const fc::sigv4::Signer &signer, const fc::RawRequest &raw, const fc::AwsCredentials &credentials,
          fc::sigv4::Rules rules, bool normalize_path) {
  fc::sigv4::Request request;
  try {
    request = raw.for_signing(rules);
  } catch (const fc::Error &e) {
    FUZZ_CHECK(rules == fc::sigv4::Rules::S3 && e.status() == FC_EINVAL);  // only S3 decodes the path
    return;
  }
  FUZZ_CHECK(is_lower_hex(request.payload_hash, 64));
  fc::sigv4::Params params{credentials, "us-east-1", rules == fc::sigv4::Rules::S3 ? "s3" : "execute-api",
                           kTime, rules, normalize_path};
  fc::sigv4::Signature sig = signer.sign(request, params);
  check_signature(sig);
  // The second signature comes from the cached signing key: it must not differ.
  FUZZ_CHECK(signer.sign(request, params).signature == sig.signature);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fc::RawRequest raw;
  try {
    raw = fc::parse_raw_request(std::string_view(reinterpret_cast<const char *>(data), size));
  } catch (const fc::Error &e) {
    FUZZ_CHECK(e.status() == FC_EINVAL);
    return 0;
  }
  FUZZ_CHECK(!raw.method.empty() && raw.path.front() == '/');

  static const fc::sigv4::Signer signer;  // one for the whole run, as the library keeps one
  sign(signer, raw, kCredentials, fc::sigv4::Rules::S3, false);
  sign(signer, raw, kTemporaryCredentials, fc::sigv4::Rules::Generic, true);
  sign(signer, raw, kCredentials, fc::sigv4::Rules::Generic, false);
  return 0;
}

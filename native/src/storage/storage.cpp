#include "storage/storage.h"

#include "crypto/digest.h"

namespace fc {

PutRequest small_put(const std::string &key, std::string_view body, WriteCondition condition) {
  PutRequest request;
  request.key = key;
  request.body = http::Body::memory(body.data(), body.size());
  request.payload.size = body.size();
  request.payload.sha256 = crypto::sha256(body);
  request.condition = std::move(condition);
  return request;
}

std::string missing_config_message(const std::string &url) { return "no fallback config at " + url; }

}  // namespace fc

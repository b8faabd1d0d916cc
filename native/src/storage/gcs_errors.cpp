#include "storage/gcs_errors.h"

#include <rapidjson/document.h>

#include "storage/storage.h"
#include "util/error.h"
#include "util/strings.h"

namespace fc {

namespace {

std::string string_member(const rapidjson::Value &v, const char *name) {
  auto it = v.FindMember(name);
  return it != v.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString()) : std::string();
}

}  // namespace

void throw_gcs_error(const GcsErrorContext &ctx, const http::Response &response) {
  if (response.status == 404 && ctx.object_request) fail(FC_ENOTFOUND, missing_config_message(ctx.url));
  // {"error": {"code": 403, "message": "...", "errors": [{"reason": "forbidden", ...}]}}
  std::string reason, message;
  rapidjson::Document doc;
  // Iterative: the recursive parser overflows the stack on a deeply nested body
  // (1 MB of '[' fits under the transport's error-body cap).
  doc.Parse<rapidjson::kParseIterativeFlag>(response.body.c_str(), response.body.size());
  if (!doc.HasParseError() && doc.IsObject()) {
    auto err = doc.FindMember("error");
    if (err != doc.MemberEnd() && err->value.IsObject()) {
      message = string_member(err->value, "message");
      auto errors = err->value.FindMember("errors");
      if (errors != err->value.MemberEnd() && errors->value.IsArray() && !errors->value.Empty() &&
          errors->value[0].IsObject())
        reason = string_member(errors->value[0], "reason");
    }
  }
  std::string text = ctx.operation + " " + ctx.url + ": HTTP " + std::to_string(response.status);
  if (!reason.empty()) text += " " + one_line(reason);
  if (!message.empty()) text += ": " + one_line(message);
  fc_status status = FC_ESTORAGE;
  if (response.status == 401 || response.status == 403) status = FC_EAUTH;
  if (response.status == 412) status = FC_EPRECONDITION;
  fail(status, text);
}

}  // namespace fc

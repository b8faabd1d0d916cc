#include "storage/s3_errors.h"

#include "storage/s3_xml.h"
#include "storage/storage.h"
#include "util/error.h"
#include "util/strings.h"

namespace fc {

void throw_s3_error(const S3ErrorContext &ctx, const http::Response &resp) {
  S3Error err;
  bool has_xml = parse_s3_error(resp.body, &err);
  // Header values may carry control characters too; the message stays one line.
  if (err.request_id.empty()) err.request_id = one_line(resp.header("x-amz-request-id"));
  if (err.region.empty()) err.region = one_line(resp.header("x-amz-bucket-region"));

  // HEAD answers have no body: a 404 there is a missing key too.
  if (resp.status == 404 && ctx.object_request && (!has_xml || err.code == "NoSuchKey"))
    fail(FC_ENOTFOUND, missing_config_message(ctx.url));
  if (!err.region.empty() && err.region != ctx.region &&
      (resp.status == 301 || resp.status == 307 || resp.status == 400))
    fail(FC_ESTORAGE, ctx.operation + " " + ctx.url + ": the bucket '" + ctx.bucket + "' is in region " +
                          err.region + ", not " + ctx.region + ": set AWS_REGION=" + err.region);

  std::string msg = ctx.operation + " " + ctx.url + ": HTTP " + std::to_string(resp.status);
  if (!err.code.empty()) msg += " " + err.code;
  if (!err.message.empty()) msg += ": " + err.message;
  if (err.code == "SignatureDoesNotMatch")
    msg += " (check AWS_SECRET_ACCESS_KEY; `fallback-config sign` shows the canonical request)";
  else if (err.code == "RequestTimeTooSkewed")
    msg += " (check this host's clock)";
  else if (err.code == "NoSuchBucket")
    msg += " (the bucket '" + ctx.bucket + "' does not exist)";
  if (!err.request_id.empty()) msg += " (request id " + err.request_id + ")";

  fc_status status = FC_ESTORAGE;
  if (resp.status == 401 || resp.status == 403) status = FC_EAUTH;
  if (resp.status == 412) status = FC_EPRECONDITION;
  fail(status, msg);
}

}  // namespace fc

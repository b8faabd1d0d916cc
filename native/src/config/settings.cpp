#include "config/settings.h"

#include <cerrno>
#include <cstdlib>

#include "util/error.h"
#include "util/strings.h"

namespace fc {

namespace {

long parse_number(std::string_view name, std::string_view value, long min, long max, const char *what) {
  std::string text(value);
  char *end = nullptr;
  errno = 0;
  long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || v < min || v > max)
    fail(FC_EINVAL, std::string(name) + " must be " + what + ", got '" + one_line(value) + "'");
  return v;
}

long parse_millis(std::string_view name, std::string_view value) {
  return parse_number(name, value, 1, 24L * 3600 * 1000, "a positive number of milliseconds");
}

bool parse_on_off(std::string_view name, std::string_view value) {
  if (value.empty() || iequals(value, "on") || iequals(value, "true")) return true;
  if (iequals(value, "off") || iequals(value, "false")) return false;
  fail(FC_EINVAL, std::string(name) + " must be on or off, got '" + one_line(value) + "'");
}

}  // namespace

void Settings::set(std::string_view name, std::string_view value) {
  if (name == "storage") storage = value;
  else if (name == "endpoint") endpoint = value;
  else if (name == "region") region = value;
  else if (name == "s3_put_params") s3_put_params = value;
  else if (name == "uploader") uploader = value;
  else if (name == "access_key_id") credentials.access_key_id = value;
  else if (name == "secret_access_key") credentials.secret_access_key = value;
  else if (name == "session_token") credentials.session_token = value;
  else if (name == "aws_profile") aws_chain.profile = value;
  else if (name == "aws_shared_credentials_file") aws_chain.shared_credentials_file = value;
  else if (name == "aws_config_file") aws_chain.config_file = value;
  else if (name == "home") aws_chain.home = value;
  else if (name == "aws_role_arn") aws_chain.role_arn = value;
  else if (name == "aws_web_identity_token_file") aws_chain.web_identity_token_file = value;
  else if (name == "aws_role_session_name") aws_chain.role_session_name = value;
  else if (name == "aws_sts_endpoint") aws_chain.sts_endpoint = value;
  else if (name == "aws_container_credentials_relative_uri") aws_chain.container_relative_uri = value;
  else if (name == "aws_container_credentials_full_uri") aws_chain.container_full_uri = value;
  else if (name == "aws_container_authorization_token") aws_chain.container_authorization_token = value;
  else if (name == "aws_container_authorization_token_file") aws_chain.container_authorization_token_file = value;
  else if (name == "aws_ec2_metadata_disabled") aws_chain.ec2_metadata_disabled = iequals(value, "true");
  else if (name == "aws_ec2_metadata_service_endpoint") aws_chain.ec2_metadata_endpoint = value;
  else if (name == "gcp_service_account") gcp_service_account = value;
  else if (name == "gcp_credentials_file") gcp_credentials_file = value;
  else if (name == "gce_metadata_host") gce_metadata_host = value;
  else if (name == "gcs_endpoint") gcs_endpoint = value;
  else if (name == "connect_timeout_ms") connect_timeout_ms = value.empty() ? 5000 : parse_millis(name, value);
  else if (name == "stall_timeout_ms") stall_timeout_ms = value.empty() ? 30000 : parse_millis(name, value);
  else if (name == "connect_timeout") connect_timeout_ms = value.empty() ? 5000 : 1000 * parse_number(name, value, 1, 3600, "a positive number of seconds");
  else if (name == "stall_timeout") stall_timeout_ms = value.empty() ? 30000 : 1000 * parse_number(name, value, 1, 3600, "a positive number of seconds");
  else if (name == "retry_attempts")
    retry_attempts = value.empty() ? 4 : static_cast<int>(parse_number(name, value, 1, 100, "a number of attempts from 1 to 100"));
  else if (name == "retry_deadline_ms") retry_deadline_ms = value.empty() ? 120000 : parse_millis(name, value);
  else if (name == "retry_deadline") retry_deadline_ms = value.empty() ? 120000 : 1000 * parse_number(name, value, 1, 24 * 3600, "a positive number of seconds");
  else if (name == "ca_bundle") ca_bundle = value;
  else if (name == "tls_verify") tls_verify = parse_on_off(name, value);
  else if (name == "max_download_bytes")
    max_download_bytes = value.empty() ? (256ull << 20)
                                       : static_cast<uint64_t>(parse_number(name, value, 1, 1L << 40, "a positive number of bytes"));
  else if (name == "list_page_size") list_page_size = value.empty() ? 1000 : static_cast<int>(parse_number(name, value, 1, 1000, "a number of keys from 1 to 1000"));
  else fail(FC_EINVAL, "unknown setting '" + one_line(name) + "'");
}

void Settings::load_env() {
  struct Mapping {
    const char *variable;
    const char *setting;
  };
  // Order matters: AWS_REGION wins over AWS_DEFAULT_REGION, as in the AWS SDKs.
  static const Mapping kMappings[] = {
      {"KONG_CLUSTER_FALLBACK_CONFIG_STORAGE", "storage"},
      {"AWS_CONFIG_STORAGE_ENDPOINT", "endpoint"},
      {"AWS_DEFAULT_REGION", "region"},
      {"AWS_REGION", "region"},
      {"KONG_CLUSTER_FALLBACK_EXPORT_S3_CONFIG", "s3_put_params"},
      {"AWS_ACCESS_KEY_ID", "access_key_id"},
      {"AWS_SECRET_ACCESS_KEY", "secret_access_key"},
      {"AWS_SESSION_TOKEN", "session_token"},
      {"AWS_PROFILE", "aws_profile"},
      {"AWS_SHARED_CREDENTIALS_FILE", "aws_shared_credentials_file"},
      {"AWS_CONFIG_FILE", "aws_config_file"},
      {"HOME", "home"},
      {"AWS_ROLE_ARN", "aws_role_arn"},
      {"AWS_WEB_IDENTITY_TOKEN_FILE", "aws_web_identity_token_file"},
      {"AWS_ROLE_SESSION_NAME", "aws_role_session_name"},
      {"AWS_ENDPOINT_URL_STS", "aws_sts_endpoint"},
      {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "aws_container_credentials_relative_uri"},
      {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "aws_container_credentials_full_uri"},
      {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "aws_container_authorization_token"},
      {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "aws_container_authorization_token_file"},
      {"AWS_EC2_METADATA_DISABLED", "aws_ec2_metadata_disabled"},
      {"AWS_EC2_METADATA_SERVICE_ENDPOINT", "aws_ec2_metadata_service_endpoint"},
      {"GCP_SERVICE_ACCOUNT", "gcp_service_account"},
      {"GOOGLE_APPLICATION_CREDENTIALS", "gcp_credentials_file"},
      {"GCE_METADATA_HOST", "gce_metadata_host"},
      {"STORAGE_EMULATOR_HOST", "gcs_endpoint"},
      {"KONG_CLUSTER_FALLBACK_CONFIG_RETRY_ATTEMPTS", "retry_attempts"},
      {"KONG_CLUSTER_FALLBACK_CONFIG_RETRY_DEADLINE", "retry_deadline"},
      {"KONG_CLUSTER_FALLBACK_CONFIG_MAX_DOWNLOAD_BYTES", "max_download_bytes"},
      {"KONG_CLUSTER_FALLBACK_CONFIG_CONNECT_TIMEOUT", "connect_timeout"},
      {"KONG_CLUSTER_FALLBACK_CONFIG_STALL_TIMEOUT", "stall_timeout"},
      {"AWS_CA_BUNDLE", "ca_bundle"},
      {"KONG_CLUSTER_FALLBACK_CONFIG_CA_BUNDLE", "ca_bundle"},  // wins over AWS_CA_BUNDLE
      {"KONG_CLUSTER_FALLBACK_CONFIG_TLS_VERIFY", "tls_verify"},
  };
  for (const auto &m : kMappings) {
    std::string v = getenv_or_empty(m.variable);
    if (!v.empty()) set(m.setting, v);
  }
}

http::Options Settings::transport_options() const {
  return http::Options{connect_timeout_ms, stall_timeout_ms, ca_bundle, tls_verify};
}

http::RetryPolicy Settings::retry_policy() const {
  http::RetryPolicy policy;
  policy.max_attempts = retry_attempts;
  policy.deadline_ms = retry_deadline_ms;
  return policy;
}

}  // namespace fc

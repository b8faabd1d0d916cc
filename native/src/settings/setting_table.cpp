#include "settings/setting_table.h"

#include "auth/gcp_service_account.h"
#include "storage/location.h"
#include "storage/s3_addressing.h"
#include "storage/s3_put_params.h"
#include "util/error.h"

namespace fc {

namespace {

void check_storage(std::string_view value, const std::string &label) { parse_location(value, label); }

void check_s3_put_params(std::string_view value, const std::string &label) { parse_s3_put_params(value, label); }

void check_service_account(std::string_view value, const std::string &label) {
  gcp::parse_service_account(value, label);
}

void check_region(std::string_view value, const std::string &label) {
  if (!is_region_name(std::string(value)))
    fail(FC_EINVAL, label + " must be an AWS region name of lowercase letters, digits and '-' (e.g. us-east-1)");
}

// The node id goes into object metadata: an HTTP header value.
void check_uploader(std::string_view value, const std::string &label) {
  if (value.size() > 256) fail(FC_EINVAL, label + " is longer than 256 bytes");
  for (char c : value)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e)
      fail(FC_EINVAL, label + " must be printable ASCII");
}

constexpr double kDay = 86400, kHour = 3600;

// Columns: id; name, {variables, highest precedence first}, CLI flag, plugin
// config field, value name, default, help, kind, min, max, secret, plugin
// only; further check.
constexpr SettingSpec kTable[] = {
    {SettingId::Storage,
     {"storage", {"KONG_CLUSTER_FALLBACK_CONFIG_STORAGE"}, "storage", "storage", "URL", nullptr,
      "where the configuration is kept: s3://<bucket>/<prefix>, gcs://<bucket>/<prefix> or file:///<dir>",
      FC_SETTING_STORAGE, 0, 0, 0, 0},
     check_storage},
    {SettingId::Export,
     {"export", {"KONG_CLUSTER_FALLBACK_CONFIG_EXPORT", "KONG_FALLBACK_CONFIG_EXPORT"}, nullptr, nullptr, "on|off",
      "off", "this node is a backup node: it uploads each new configuration (the second variable: on Kong Enterprise, "
      "without turning EE's own feature on)", FC_SETTING_ON_OFF, 0, 0, 0, 1},
     nullptr},
    {SettingId::Import,
     {"import", {"KONG_CLUSTER_FALLBACK_CONFIG_IMPORT", "KONG_FALLBACK_CONFIG_IMPORT"}, nullptr, nullptr, "on|off",
      "off", "this node imports the stored configuration when it starts without one and its control plane cannot be "
      "reached (the second variable: on Kong Enterprise, without EE's own)", FC_SETTING_ON_OFF, 0, 0, 0, 1},
     nullptr},
    {SettingId::ExportDelay,
     {"export_delay", {"KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY"}, nullptr, "export_delay", "SECONDS", "60",
      "at most one upload per window of this length; the latest configuration wins", FC_SETTING_SECONDS, 0.001,
      kDay, 0, 1},
     nullptr},
    {SettingId::ImportGrace,
     {"import_grace", {"KONG_CLUSTER_FALLBACK_CONFIG_IMPORT_GRACE"}, nullptr, "import_grace", "SECONDS", "5",
      "how long a starting node waits for its control plane before it imports", FC_SETTING_SECONDS, 0.001, kHour, 0,
      1},
     nullptr},
    {SettingId::Lease,
     {"lease", {"KONG_CLUSTER_FALLBACK_CONFIG_LEASE"}, nullptr, nullptr, "on|off", "on",
      "backup nodes elect one exporter with a fenced lease on the storage (off: every backup node exports, as "
      "Kong does)", FC_SETTING_ON_OFF, 0, 0, 0, 1},
     nullptr},
    {SettingId::LeaseDuration,
     {"lease_duration", {"KONG_CLUSTER_FALLBACK_CONFIG_LEASE_DURATION"}, nullptr, nullptr, "SECONDS", "30",
      "how long the export lease holds without a renewal: the most a dead exporter delays the next backup, "
      "plus one renewal", FC_SETTING_SECONDS, 3, kHour, 0, 1},
     nullptr},
    {SettingId::LeaseRenew,
     {"lease_renew", {"KONG_CLUSTER_FALLBACK_CONFIG_LEASE_RENEW"}, nullptr, nullptr, "SECONDS", nullptr,
      "how often the holder renews the lease and the other backup nodes look at it (default: a third of "
      "lease_duration; at most half of it)", FC_SETTING_SECONDS, 0.1, kHour / 2, 0, 1},
     nullptr},
    {SettingId::EeElectionInterval,
     {"ee_election_interval", {"DP_RESILIENCE_ELECTION_INTERVAL"}, nullptr, nullptr, "SECONDS", "600",
      "Kong Enterprise's election round (EE's own variable): where EE's backup nodes register under the same "
      "prefix, this node takes part in their election with this round instead of the lease",
      FC_SETTING_SECONDS, 1, kDay, 0, 1},
     nullptr},
    {SettingId::S3PutParams,
     {"s3_put_params", {"KONG_CLUSTER_FALLBACK_EXPORT_S3_CONFIG"}, "s3-put-params", "s3_put_params", "JSON", nullptr,
      "extra S3 PutObject parameters in AWS SDK naming, e.g. {\"ServerSideEncryption\":\"aws:kms\"}", FC_SETTING_JSON,
      0, 0, 0, 0},
     check_s3_put_params},
    {SettingId::Endpoint,
     {"endpoint", {"AWS_CONFIG_STORAGE_ENDPOINT"}, "endpoint", nullptr, "URL", nullptr,
      "an S3-compatible endpoint, e.g. http://minio:9000/ (scheme, host and port; path-style requests)",
      FC_SETTING_URL, 0, 0, 0, 0},
     nullptr},
    {SettingId::Region,
     {"region", {"AWS_REGION", "AWS_DEFAULT_REGION"}, "region", nullptr, "REGION", nullptr,
      "the S3 region (else the shared config file's, else the EC2 instance's, else us-east-1)", FC_SETTING_TEXT, 0, 0,
      0, 0},
     check_region},
    {SettingId::AccessKeyId,
     {"access_key_id", {"AWS_ACCESS_KEY_ID"}, nullptr, nullptr, "ID", nullptr, "the S3 access key id",
      FC_SETTING_TEXT, 0, 0, 0, 0},
     nullptr},
    {SettingId::SecretAccessKey,
     {"secret_access_key", {"AWS_SECRET_ACCESS_KEY"}, nullptr, nullptr, "KEY", nullptr, "the S3 secret access key",
      FC_SETTING_TEXT, 0, 0, 1, 0},
     nullptr},
    {SettingId::SessionToken,
     {"session_token", {"AWS_SESSION_TOKEN"}, nullptr, nullptr, "TOKEN", nullptr,
      "the session token of temporary credentials", FC_SETTING_TEXT, 0, 0, 1, 0},
     nullptr},
    {SettingId::AwsProfile,
     {"aws_profile", {"AWS_PROFILE"}, "profile", nullptr, "NAME", "default",
      "the profile of the AWS shared credentials and config files", FC_SETTING_TEXT, 0, 0, 0, 0},
     nullptr},
    {SettingId::AwsSharedCredentialsFile,
     {"aws_shared_credentials_file", {"AWS_SHARED_CREDENTIALS_FILE"}, nullptr, nullptr, "FILE", nullptr,
      "the AWS shared credentials file (default ~/.aws/credentials)", FC_SETTING_PATH, 0, 0, 0, 0},
     nullptr},
    {SettingId::AwsConfigFile,
     {"aws_config_file", {"AWS_CONFIG_FILE"}, nullptr, nullptr, "FILE", nullptr,
      "the AWS shared config file (default ~/.aws/config)", FC_SETTING_PATH, 0, 0, 0, 0},
     nullptr},
    {SettingId::Home,
     {"home", {"HOME"}, nullptr, nullptr, "DIR", nullptr, "where ~/.aws is", FC_SETTING_PATH, 0, 0, 0, 0}, nullptr},
    {SettingId::AwsRoleArn,
     {"aws_role_arn", {"AWS_ROLE_ARN"}, nullptr, nullptr, "ARN", nullptr,
      "web identity (EKS IRSA): the role to assume", FC_SETTING_TEXT, 0, 0, 0, 0},
     nullptr},
    {SettingId::AwsWebIdentityTokenFile,
     {"aws_web_identity_token_file", {"AWS_WEB_IDENTITY_TOKEN_FILE"}, nullptr, nullptr, "FILE", nullptr,
      "web identity: the file holding the OIDC token", FC_SETTING_PATH, 0, 0, 0, 0},
     nullptr},
    {SettingId::AwsRoleSessionName,
     {"aws_role_session_name", {"AWS_ROLE_SESSION_NAME"}, nullptr, nullptr, "NAME", "fallback-config",
      "web identity: the role session name", FC_SETTING_TEXT, 0, 0, 0, 0},
     nullptr},
    {SettingId::AwsStsEndpoint,
     {"aws_sts_endpoint", {"AWS_ENDPOINT_URL_STS"}, nullptr, nullptr, "URL", nullptr,
      "web identity: the STS endpoint (default the regional one)", FC_SETTING_URL, 0, 0, 0, 0},
     nullptr},
    {SettingId::AwsContainerCredentialsRelativeUri,
     {"aws_container_credentials_relative_uri", {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"}, nullptr, nullptr, "PATH",
      nullptr, "ECS task role: the path on the ECS agent's address", FC_SETTING_TEXT, 0, 0, 0, 0},
     nullptr},
    {SettingId::AwsContainerCredentialsFullUri,
     {"aws_container_credentials_full_uri", {"AWS_CONTAINER_CREDENTIALS_FULL_URI"}, nullptr, nullptr, "URL", nullptr,
      "container credentials from this URL (loopback or the ECS/EKS agent addresses only)", FC_SETTING_URL, 0, 0, 0,
      0},
     nullptr},
    {SettingId::AwsContainerAuthorizationToken,
     {"aws_container_authorization_token", {"AWS_CONTAINER_AUTHORIZATION_TOKEN"}, nullptr, nullptr, "TOKEN", nullptr,
      "container credentials: the Authorization header value", FC_SETTING_TEXT, 0, 0, 1, 0},
     nullptr},
    {SettingId::AwsContainerAuthorizationTokenFile,
     {"aws_container_authorization_token_file", {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"}, nullptr, nullptr, "FILE",
      nullptr, "container credentials: a file holding the Authorization header value", FC_SETTING_PATH, 0, 0, 0, 0},
     nullptr},
    {SettingId::AwsEc2MetadataDisabled,
     {"aws_ec2_metadata_disabled", {"AWS_EC2_METADATA_DISABLED"}, nullptr, nullptr, "true|false", "false",
      "true: never ask the EC2 instance metadata service (IMDSv2) for credentials", FC_SETTING_AWS_BOOLEAN, 0, 0, 0,
      0},
     nullptr},
    {SettingId::AwsEc2MetadataServiceEndpoint,
     {"aws_ec2_metadata_service_endpoint", {"AWS_EC2_METADATA_SERVICE_ENDPOINT"}, nullptr, nullptr, "URL", nullptr,
      "the EC2 instance metadata service (default http://169.254.169.254)", FC_SETTING_URL, 0, 0, 0, 0},
     nullptr},
    {SettingId::GcpServiceAccount,
     {"gcp_service_account", {"GCP_SERVICE_ACCOUNT"}, nullptr, nullptr, "JSON", nullptr,
      "a GCP service-account key (the JSON the console downloads) for gcs://", FC_SETTING_JSON, 0, 0, 1, 0},
     check_service_account},
    {SettingId::GcpCredentialsFile,
     {"gcp_credentials_file", {"GOOGLE_APPLICATION_CREDENTIALS"}, nullptr, nullptr, "FILE", nullptr,
      "a file holding the service-account key, used when GCP_SERVICE_ACCOUNT is unset", FC_SETTING_PATH, 0, 0, 0, 0},
     nullptr},
    {SettingId::GceMetadataHost,
     {"gce_metadata_host", {"GCE_METADATA_HOST"}, nullptr, nullptr, "HOST", nullptr,
      "with no key, tokens come from this GCE metadata server (default metadata.google.internal)", FC_SETTING_TEXT, 0,
      0, 0, 0},
     nullptr},
    {SettingId::GcsEndpoint,
     {"gcs_endpoint", {"STORAGE_EMULATOR_HOST"}, "gcs-endpoint", nullptr, "HOST", nullptr,
      "send gcs:// requests to this host[:port] or URL instead of Google's (an emulator)", FC_SETTING_TEXT, 0, 0, 0,
      0},
     nullptr},
    {SettingId::RetryAttempts,
     {"retry_attempts", {"KONG_CLUSTER_FALLBACK_CONFIG_RETRY_ATTEMPTS"}, "retry-attempts", nullptr, "N", "4",
      "tries per storage request on failures that may pass, the first included", FC_SETTING_INTEGER, 1, 100, 0, 0},
     nullptr},
    {SettingId::RetryDeadline,
     {"retry_deadline", {"KONG_CLUSTER_FALLBACK_CONFIG_RETRY_DEADLINE"}, "retry-deadline", nullptr, "SECONDS", "120",
      "the time all tries of one storage request may take, sleeps included", FC_SETTING_SECONDS, 0.001, kDay, 0, 0},
     nullptr},
    {SettingId::ConnectTimeout,
     {"connect_timeout", {"KONG_CLUSTER_FALLBACK_CONFIG_CONNECT_TIMEOUT"}, "connect-timeout", nullptr, "SECONDS", "5",
      "time to connect (TCP and TLS) to the storage", FC_SETTING_SECONDS, 0.001, kHour, 0, 0},
     nullptr},
    {SettingId::StallTimeout,
     {"stall_timeout", {"KONG_CLUSTER_FALLBACK_CONFIG_STALL_TIMEOUT"}, "stall-timeout", nullptr, "SECONDS", "30",
      "a transfer in which no byte moves for this long is abandoned (and retried)", FC_SETTING_SECONDS, 0.001, kHour,
      0, 0},
     nullptr},
    {SettingId::MaxDownloadBytes,
     {"max_download_bytes", {"KONG_CLUSTER_FALLBACK_CONFIG_MAX_DOWNLOAD_BYTES"}, "max-download-bytes", nullptr,
      "BYTES", "268435456", "a download larger than this is refused while it streams", FC_SETTING_INTEGER, 1,
      1099511627776.0, 0, 0},
     nullptr},
    {SettingId::CaBundle,
     {"ca_bundle", {"KONG_CLUSTER_FALLBACK_CONFIG_CA_BUNDLE", "AWS_CA_BUNDLE"}, "ca-bundle", nullptr, "FILE", nullptr,
      "a PEM file of the certificate authorities to trust for https instead of the system's", FC_SETTING_PATH, 0, 0,
      0, 0},
     nullptr},
    {SettingId::TlsVerify,
     {"tls_verify", {"KONG_CLUSTER_FALLBACK_CONFIG_TLS_VERIFY"}, "tls-verify", nullptr, "on|off", "on",
      "off: do not verify certificates and host names (a test bed only; warned about on every use)",
      FC_SETTING_ON_OFF, 0, 0, 0, 0},
     nullptr},
    {SettingId::ListPageSize,
     {"list_page_size", {}, "page-size", nullptr, "N", "1000", "keys per listing request", FC_SETTING_INTEGER, 1,
      1000, 0, 0},
     nullptr},
    {SettingId::Uploader,
     {"uploader", {}, "uploader", nullptr, "ID", nullptr,
      "the node id recorded with each upload (the plugin: Kong's node id)", FC_SETTING_TEXT, 0, 0, 0, 0},
     check_uploader},
};

constexpr bool rows_in_id_order() {
  for (size_t i = 0; i < sizeof kTable / sizeof kTable[0]; ++i)
    if (static_cast<size_t>(kTable[i].id) != i) return false;
  return true;
}
static_assert(sizeof kTable / sizeof kTable[0] == kSettingCount, "one row per SettingId");
static_assert(rows_in_id_order(), "the rows follow SettingId's order");

}  // namespace

const SettingSpec &setting_spec(SettingId id) { return kTable[static_cast<size_t>(id)]; }

const SettingSpec *setting_at(size_t index) { return index < kSettingCount ? &kTable[index] : nullptr; }

const SettingSpec *find_setting(std::string_view name) {
  for (const SettingSpec &spec : kTable)
    if (name == spec.info.name) return &spec;
  return nullptr;
}

const SettingSpec *find_setting_by_variable(std::string_view variable, size_t *rank) {
  for (const SettingSpec &spec : kTable)
    for (size_t i = 0; i < FC_SETTING_MAX_VARIABLES && spec.info.variables[i]; ++i)
      if (variable == spec.info.variables[i]) {
        *rank = i;
        return &spec;
      }
  return nullptr;
}

}  // namespace fc

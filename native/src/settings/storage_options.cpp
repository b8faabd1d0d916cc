#include "settings/storage_options.h"

#include "storage/file_storage.h"
#include "storage/gcs_storage.h"
#include "storage/s3_put_params.h"
#include "storage/s3_storage.h"
#include "util/error.h"

namespace fc {

namespace {

AwsChainSettings aws_chain(const Settings &s) {
  AwsChainSettings chain;
  chain.environment = s.aws_environment_credentials();
  chain.profile = s.text(SettingId::AwsProfile);
  chain.shared_credentials_file = s.text(SettingId::AwsSharedCredentialsFile);
  chain.config_file = s.text(SettingId::AwsConfigFile);
  chain.home = s.text(SettingId::Home);
  chain.role_arn = s.text(SettingId::AwsRoleArn);
  chain.web_identity_token_file = s.text(SettingId::AwsWebIdentityTokenFile);
  chain.role_session_name = s.text(SettingId::AwsRoleSessionName);
  chain.sts_endpoint = s.text(SettingId::AwsStsEndpoint);
  chain.region = s.text(SettingId::Region);
  chain.container_relative_uri = s.text(SettingId::AwsContainerCredentialsRelativeUri);
  chain.container_full_uri = s.text(SettingId::AwsContainerCredentialsFullUri);
  chain.container_authorization_token = s.text(SettingId::AwsContainerAuthorizationToken);
  chain.container_authorization_token_file = s.text(SettingId::AwsContainerAuthorizationTokenFile);
  chain.ec2_metadata_disabled = s.on(SettingId::AwsEc2MetadataDisabled);
  chain.ec2_metadata_endpoint = s.text(SettingId::AwsEc2MetadataServiceEndpoint);
  chain.ca_bundle = s.text(SettingId::CaBundle);
  chain.verify_tls = s.on(SettingId::TlsVerify);
  return chain;
}

S3Options s3_options(const Settings &s) {
  S3Options options;
  if (s.is_set(SettingId::Endpoint)) options.endpoint = http::parse_url(s.text(SettingId::Endpoint));
  options.region = s.text(SettingId::Region);
  options.put_params = parse_s3_put_params(s.text(SettingId::S3PutParams), s.label(SettingId::S3PutParams));
  options.credentials = aws_chain(s);
  options.list_page_size = static_cast<int>(s.number(SettingId::ListPageSize));
  options.transport = s.transport_options();
  options.retry = s.retry_policy();
  // Without an endpoint requests go to AWS over https.
  if (options.endpoint && options.endpoint->scheme != "https")
    for (const auto &h : options.put_params.read_headers)
      if (h.first == "x-amz-server-side-encryption-customer-key")
        fail(FC_EINVAL, s.label(SettingId::S3PutParams) + ": SSECustomerKey would travel in clear text: " +
                            s.label(SettingId::Endpoint) + " must be an https:// endpoint");
  return options;
}

GcsOptions gcs_options(const Settings &s) {
  GcsOptions options;
  options.endpoint = s.text(SettingId::GcsEndpoint);
  options.tokens.service_account_json = s.text(SettingId::GcpServiceAccount);
  options.tokens.service_account_label = s.label(SettingId::GcpServiceAccount);
  options.tokens.credentials_file = s.text(SettingId::GcpCredentialsFile);
  options.tokens.credentials_file_label = s.label(SettingId::GcpCredentialsFile);
  options.tokens.metadata_host = s.text(SettingId::GceMetadataHost);
  options.list_page_size = static_cast<int>(s.number(SettingId::ListPageSize));
  options.transport = s.transport_options();
  options.retry = s.retry_policy();
  return options;
}

}  // namespace

std::unique_ptr<Storage> make_storage(const Location &location, const Settings &settings) {
  switch (location.scheme) {
    case Scheme::File: return std::make_unique<FileStorage>(location);
    case Scheme::S3: return std::make_unique<S3Storage>(location, s3_options(settings));
    case Scheme::GCS: return std::make_unique<GcsStorage>(location, gcs_options(settings));
  }
  fail(FC_EINTERNAL, "unknown storage scheme");
}

}  // namespace fc

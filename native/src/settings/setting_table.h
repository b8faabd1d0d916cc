// The table of settings: each setting of the library, the CLI and the plugin,
// described once (name, environment variables in precedence order, CLI flag,
// plugin config field, default, kind and limits, one line of help). Parsing,
// the CLI's flags and help, the plugin's environment capture and the
// configuration reference are all derived from it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "fallback_config.h"

namespace fc {

// One per row of the table, in its order.
enum class SettingId : size_t {
  Storage,
  Export,
  Import,
  ExportDelay,
  ImportGrace,
  Lease,
  LeaseDuration,
  LeaseRenew,
  EeElectionInterval,
  S3PutParams,
  Endpoint,
  Region,
  AccessKeyId,
  SecretAccessKey,
  SessionToken,
  AwsProfile,
  AwsSharedCredentialsFile,
  AwsConfigFile,
  Home,
  AwsRoleArn,
  AwsWebIdentityTokenFile,
  AwsRoleSessionName,
  AwsStsEndpoint,
  AwsContainerCredentialsRelativeUri,
  AwsContainerCredentialsFullUri,
  AwsContainerAuthorizationToken,
  AwsContainerAuthorizationTokenFile,
  AwsEc2MetadataDisabled,
  AwsEc2MetadataServiceEndpoint,
  GcpServiceAccount,
  GcpCredentialsFile,
  GceMetadataHost,
  GcsEndpoint,
  RetryAttempts,
  RetryDeadline,
  ConnectTimeout,
  StallTimeout,
  MaxDownloadBytes,
  CaBundle,
  TlsVerify,
  ListPageSize,
  Uploader,
  Count
};

inline constexpr size_t kSettingCount = static_cast<size_t>(SettingId::Count);

// Rules a value must follow beyond its kind's; throws fc::Error(FC_EINVAL)
// with a message that starts with `label`.
using SettingCheck = void (*)(std::string_view value, const std::string &label);

struct SettingSpec {
  SettingId id;
  fc_setting_info info;  // what the C ABI shows of the row
  SettingCheck check;    // nullptr: the kind's rules only
};

const SettingSpec &setting_spec(SettingId id);
// The row at `index` in table order, nullptr past the end.
const SettingSpec *setting_at(size_t index);
// nullptr when no setting has that name.
const SettingSpec *find_setting(std::string_view name);
// The setting an environment variable feeds, and the variable's rank among
// the setting's variables (0 wins); nullptr when none.
const SettingSpec *find_setting_by_variable(std::string_view variable, size_t *rank);

}  // namespace fc

// The library's settings: what Kong's environment variables (or the plugin's
// config, or CLI flags) say, before any of it is validated by a client.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "auth/aws_credential_chain.h"
#include "auth/aws_credentials.h"
#include "http/retry.h"
#include "http/transport.h"

namespace fc {

struct Settings {
  std::string storage;        // KONG_CLUSTER_FALLBACK_CONFIG_STORAGE
  std::string endpoint;       // AWS_CONFIG_STORAGE_ENDPOINT
  std::string region;         // AWS_REGION, then AWS_DEFAULT_REGION
  std::string s3_put_params;  // KONG_CLUSTER_FALLBACK_EXPORT_S3_CONFIG
  std::string uploader;       // node id written with each upload
  AwsCredentials credentials; // AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
  AwsChainSettings aws_chain; // where else AWS credentials may come from (aws_credential_chain.h)
  std::string gcp_service_account;   // GCP_SERVICE_ACCOUNT: the key JSON (a secret)
  std::string gcp_credentials_file;  // GOOGLE_APPLICATION_CREDENTIALS: a path to it
  std::string gce_metadata_host;     // GCE_METADATA_HOST (workload identity)
  std::string gcs_endpoint;          // STORAGE_EMULATOR_HOST, or set explicitly
  long connect_timeout_ms = 5000;   // KONG_CLUSTER_FALLBACK_CONFIG_CONNECT_TIMEOUT (seconds there)
  long stall_timeout_ms = 30000;    // KONG_CLUSTER_FALLBACK_CONFIG_STALL_TIMEOUT (seconds there): no byte moved this long ends a transfer
  int retry_attempts = 4;           // KONG_CLUSTER_FALLBACK_CONFIG_RETRY_ATTEMPTS: tries per request, the first included
  long retry_deadline_ms = 120000;  // KONG_CLUSTER_FALLBACK_CONFIG_RETRY_DEADLINE (seconds there): all tries of one request
  std::string ca_bundle;            // KONG_CLUSTER_FALLBACK_CONFIG_CA_BUNDLE, then AWS_CA_BUNDLE
  bool tls_verify = true;           // KONG_CLUSTER_FALLBACK_CONFIG_TLS_VERIFY=off turns verification off
  int list_page_size = 1000;  // keys per listing request (S3's maximum)
  uint64_t max_download_bytes = 256ull << 20;  // a download larger than this is refused while it streams

  // Throws fc::Error(FC_EINVAL) for an unknown name or a bad number.
  void set(std::string_view name, std::string_view value);
  // Applies the environment variables that are set (and non-empty).
  void load_env();

  // The transport options and retry policy these settings describe.
  http::Options transport_options() const;
  http::RetryPolicy retry_policy() const;
};

}  // namespace fc

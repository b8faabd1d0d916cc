#include "auth/aws_credential_chain.h"

#include <rapidjson/document.h>
#include <tinyxml2.h>


#include "auth/aws_shared_files.h"
#include "util/error.h"
#include "util/fd_io.h"
#include "util/strings.h"
#include "util/time.h"
#include "util/uri.h"

namespace fc {

namespace {

enum Provider { kEnvironment, kSharedFiles, kWebIdentity, kContainer, kInstance, kProviders };
const char *const kNames[] = {"environment", "shared files", "web identity", "ECS container", "EC2 instance profile"};

constexpr std::time_t kRefreshMargin = 5 * 60;  // seconds before expiry
constexpr const char *kEcsHost = "http://169.254.170.2";
constexpr const char *kImdsDefault = "http://169.254.169.254";

std::time_t parse_expiration(const std::string &text) {
  std::time_t t = 0;
  return parse_iso8601_utc(text, &t) ? t : 0;
}

// {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"} as ECS and IMDS answer.
std::optional<ResolvedCredentials> parse_json_credentials(const std::string &body, std::string *why) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(body.c_str(), body.size());  // iterative: deep nesting must not overflow the stack
  auto str = [&](const char *name) {
    auto it = doc.FindMember(name);
    return it != doc.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString()) : std::string();
  };
  if (doc.HasParseError() || !doc.IsObject()) {
    *why = "the answer is not JSON";
    return std::nullopt;
  }
  ResolvedCredentials out;
  out.credentials = {str("AccessKeyId"), str("SecretAccessKey"), str("Token")};
  out.expires_at = parse_expiration(str("Expiration"));
  if (out.credentials.access_key_id.empty() || out.credentials.secret_access_key.empty()) {
    *why = "the answer has no AccessKeyId and SecretAccessKey";
    return std::nullopt;
  }
  return out;
}

// The host of scheme://host[:port]/..., brackets kept for IPv6.
std::string host_of(const std::string &url) {
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  size_t end = url[start] == '[' ? url.find(']', start) + 1 : url.find_first_of(":/", start);
  return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

bool allowed_full_uri_host(const std::string &host) {
  return host == "localhost" || starts_with(host, "127.") || host == "[::1]" || host == "169.254.170.2" ||
         host == "169.254.170.23" || host == "[fd00:ec2::23]";
}

}  // namespace

AwsCredentialChain::AwsCredentialChain(AwsChainSettings settings)
    : settings_(std::move(settings)), transport_(http::Options{1000, 5000, settings_.ca_bundle, settings_.verify_tls}) {
  if (settings_.profile.empty()) settings_.profile = "default";
  std::string home = settings_.home.empty() ? "/root" : settings_.home;
  if (settings_.shared_credentials_file.empty()) settings_.shared_credentials_file = home + "/.aws/credentials";
  if (settings_.config_file.empty()) settings_.config_file = home + "/.aws/config";
}

std::string AwsCredentialChain::shared_config_region() const {
  auto profile = aws::load_shared_profile(settings_.shared_credentials_file, settings_.config_file, settings_.profile,
                                          nullptr);
  return profile ? profile->region : std::string();
}

std::string AwsCredentialChain::instance_region() {
  std::lock_guard<std::mutex> lock(refresh_mutex_);
  if (provider_ != kInstance) return "";
  std::string base = settings_.ec2_metadata_endpoint.empty() ? kImdsDefault : settings_.ec2_metadata_endpoint;
  while (!base.empty() && base.back() == '/') base.pop_back();
  try {
    std::string body;
    http::Body empty = http::Body::memory(body.data(), 0);
    http::RawBodyReader none(empty);
    http::Response token = transport_.perform("PUT", base + "/latest/api/token",
                                              {{"X-aws-ec2-metadata-token-ttl-seconds", "60"}}, &none, nullptr);
    if (token.status != 200) return "";
    http::Response region = transport_.perform("GET", base + "/latest/meta-data/placement/region",
                                               {{"X-aws-ec2-metadata-token", token.body}}, nullptr, nullptr);
    return region.status == 200 ? std::string(trim(region.body)) : std::string();
  } catch (const Error &) {
    return "";
  }
}

std::optional<ResolvedCredentials> AwsCredentialChain::try_provider(int which, std::string *why) {
  switch (which) {
    case kEnvironment: {
      // Half a pair never gets here: the settings refuse it with a clear error.
      const AwsCredentials &env = settings_.environment;
      if (env.access_key_id.empty() || env.secret_access_key.empty()) {
        *why = "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set";
        return std::nullopt;
      }
      return ResolvedCredentials{env, 0, "environment"};
    }
    case kSharedFiles: {
      auto profile = aws::load_shared_profile(settings_.shared_credentials_file, settings_.config_file,
                                              settings_.profile, why);
      if (!profile) return std::nullopt;
      if (profile->access_key_id.empty() || profile->secret_access_key.empty()) {
        *why = "profile '" + settings_.profile + "' has no aws_access_key_id and aws_secret_access_key";
        return std::nullopt;
      }
      return ResolvedCredentials{{profile->access_key_id, profile->secret_access_key, profile->session_token}, 0,
                                 "shared files (profile " + settings_.profile + ")"};
    }
    case kWebIdentity: {
      if (settings_.role_arn.empty() || settings_.web_identity_token_file.empty()) {
        *why = "AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE are not both set";
        return std::nullopt;
      }
      std::optional<std::string> token = read_small_file(settings_.web_identity_token_file);
      if (!token) {
        *why = "cannot read AWS_WEB_IDENTITY_TOKEN_FILE " + settings_.web_identity_token_file;
        return std::nullopt;
      }
      std::string endpoint = settings_.sts_endpoint;
      if (endpoint.empty())
        endpoint = "https://sts." + (settings_.region.empty() ? std::string("us-east-1") : settings_.region) +
                   ".amazonaws.com";
      while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
      std::string session = settings_.role_session_name.empty() ? "fallback-config" : settings_.role_session_name;
      std::string url = endpoint + "/?Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" +
                        uri_encode(settings_.role_arn, false) + "&RoleSessionName=" + uri_encode(session, false) +
                        "&WebIdentityToken=" + uri_encode(std::string(trim(*token)), false);
      http::Response resp = transport_.perform("GET", url, {{"Accept", "application/xml"}}, nullptr, nullptr);
      tinyxml2::XMLDocument xml;
      if (resp.status != 200 || xml.Parse(resp.body.c_str(), resp.body.size()) != tinyxml2::XML_SUCCESS) {
        std::string code;
        if (xml.Parse(resp.body.c_str(), resp.body.size()) == tinyxml2::XML_SUCCESS)
          if (auto *e = tinyxml2::XMLConstHandle(xml).FirstChildElement("ErrorResponse").FirstChildElement("Error").FirstChildElement("Code").ToElement())
            code = e->GetText() ? e->GetText() : "";
        *why = "STS AssumeRoleWithWebIdentity at " + endpoint + " answered HTTP " + std::to_string(resp.status) +
               (code.empty() ? "" : " " + one_line(code));
        return std::nullopt;
      }
      auto creds = tinyxml2::XMLConstHandle(xml)
                       .FirstChildElement("AssumeRoleWithWebIdentityResponse")
                       .FirstChildElement("AssumeRoleWithWebIdentityResult")
                       .FirstChildElement("Credentials");
      auto text = [&](const char *name) {
        const tinyxml2::XMLElement *e = creds.FirstChildElement(name).ToElement();
        return e && e->GetText() ? std::string(e->GetText()) : std::string();
      };
      ResolvedCredentials out{{text("AccessKeyId"), text("SecretAccessKey"), text("SessionToken")},
                              parse_expiration(text("Expiration")), "web identity (" + settings_.role_arn + ")"};
      if (out.credentials.access_key_id.empty() || out.credentials.secret_access_key.empty()) {
        *why = "the STS answer has no credentials";
        return std::nullopt;
      }
      return out;
    }
    case kContainer: {
      std::string url;
      if (!settings_.container_relative_uri.empty()) {
        url = kEcsHost + settings_.container_relative_uri;
      } else if (!settings_.container_full_uri.empty()) {
        std::string host = host_of(settings_.container_full_uri);
        if (!allowed_full_uri_host(host)) {
          *why = "AWS_CONTAINER_CREDENTIALS_FULL_URI must point at loopback or the ECS/EKS agent, not " + host;
          return std::nullopt;
        }
        url = settings_.container_full_uri;
      } else {
        *why = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI are not set";
        return std::nullopt;
      }
      http::Headers headers;
      std::string auth = settings_.container_authorization_token;
      if (!settings_.container_authorization_token_file.empty()) {
        std::optional<std::string> file = read_small_file(settings_.container_authorization_token_file);
        if (!file) {
          *why = "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + settings_.container_authorization_token_file;
          return std::nullopt;
        }
        auth = std::string(trim(*file));
      }
      if (!auth.empty()) headers.emplace_back("Authorization", auth);
      http::Response resp = transport_.perform("GET", url, headers, nullptr, nullptr);
      if (resp.status != 200) {
        *why = "the container credentials endpoint answered HTTP " + std::to_string(resp.status);
        return std::nullopt;
      }
      auto out = parse_json_credentials(resp.body, why);
      if (out) out->provider = "ECS container";
      return out;
    }
    case kInstance: {
      if (settings_.ec2_metadata_disabled) {
        *why = "AWS_EC2_METADATA_DISABLED is true";
        return std::nullopt;
      }
      std::string base = settings_.ec2_metadata_endpoint.empty() ? kImdsDefault : settings_.ec2_metadata_endpoint;
      while (!base.empty() && base.back() == '/') base.pop_back();
      // IMDSv2: a session token first, sent with every read.
      std::string body;
      http::Body empty = http::Body::memory(body.data(), 0);
      http::RawBodyReader none(empty);
      http::Response token = transport_.perform("PUT", base + "/latest/api/token",
                                                {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}}, &none, nullptr);
      if (token.status != 200 || token.body.empty()) {
        *why = "IMDSv2 at " + base + " gave no session token (HTTP " + std::to_string(token.status) + ")";
        return std::nullopt;
      }
      http::Headers headers = {{"X-aws-ec2-metadata-token", token.body}};
      http::Response role = transport_.perform("GET", base + "/latest/meta-data/iam/security-credentials/", headers,
                                               nullptr, nullptr);
      std::string name(trim(role.body));
      if (role.status != 200 || name.empty()) {
        *why = "the instance has no IAM role (HTTP " + std::to_string(role.status) + ")";
        return std::nullopt;
      }
      name = name.substr(0, name.find('\n'));
      http::Response creds = transport_.perform(
          "GET", base + "/latest/meta-data/iam/security-credentials/" + uri_encode(name, false), headers, nullptr, nullptr);
      if (creds.status != 200) {
        *why = "IMDS answered HTTP " + std::to_string(creds.status) + " for role " + name;
        return std::nullopt;
      }
      auto out = parse_json_credentials(creds.body, why);
      if (out) out->provider = "EC2 instance profile (" + name + ")";
      return out;
    }
  }
  return std::nullopt;
}

ResolvedCredentials AwsCredentialChain::resolve() {
  std::string tried;
  const int first = provider_ >= 0 ? provider_ : 0, last = provider_ >= 0 ? provider_ : kProviders - 1;
  for (int p = first; p <= last; ++p) {
    std::string why;
    std::optional<ResolvedCredentials> got;
    try {
      got = try_provider(p, &why);
    } catch (const Error &e) {
      if (e.status() != FC_ENETWORK) throw;
      why = std::string("no answer: ") + e.what();
    }
    if (got) {
      provider_ = p;
      return *got;
    }
    tried += std::string(tried.empty() ? "" : "; ") + kNames[p] + ": " + why;
  }
  fail(FC_EAUTH, "no AWS credentials: " + tried);
}

AwsCredentials AwsCredentialChain::get() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::time_t now = std::time(nullptr);
    bool missing = current_.credentials.empty();
    bool due = current_.expires_at != 0 && now + kRefreshMargin >= current_.expires_at;
    if (!missing && !due) return current_.credentials;
    // Due but still valid while another thread refreshes: keep signing with them.
    if (!missing && refreshing_ && now < current_.expires_at) return current_.credentials;
  }
  std::lock_guard<std::mutex> one_refresh(refresh_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    bool missing = current_.credentials.empty();
    bool due = current_.expires_at != 0 && std::time(nullptr) + kRefreshMargin >= current_.expires_at;
    if (!missing && !due) return current_.credentials;  // refreshed meanwhile
    refreshing_ = true;
  }
  ResolvedCredentials fresh;
  try {
    fresh = resolve();
  } catch (const Error &) {
    std::lock_guard<std::mutex> lock(mutex_);
    refreshing_ = false;
    // A failed refresh leaves still-valid credentials in use.
    if (!current_.credentials.empty() && std::time(nullptr) < current_.expires_at) return current_.credentials;
    throw;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  refreshing_ = false;
  current_ = fresh;
  return current_.credentials;
}

void AwsCredentialChain::expire(const AwsCredentials &used) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (current_.credentials.access_key_id == used.access_key_id &&
      current_.credentials.session_token == used.session_token)
    current_ = {};
}

ResolvedCredentials AwsCredentialChain::describe() {
  get();
  std::lock_guard<std::mutex> lock(mutex_);
  return current_;
}

}  // namespace fc

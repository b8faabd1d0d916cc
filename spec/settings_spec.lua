local settings = require("kong.plugins.fallback-config.settings")

describe("settings", function()
  it("read only the variables the plugin knows, skipping empty ones", function()
    local env = settings.read_env(function(name)
      return ({ KONG_CLUSTER_FALLBACK_CONFIG_STORAGE = "s3://b/p", AWS_REGION = "", PATH = "/usr/bin" })[name]
    end)
    assert.same({ KONG_CLUSTER_FALLBACK_CONFIG_STORAGE = "s3://b/p" }, env)
  end)

  it("default to Kong's values with export and import off", function()
    local s = assert(settings.resolve({}, nil))
    assert.is_false(s.export)
    assert.is_false(s.import)
    assert.equals(60, s.export_delay)
    assert.equals(5, s.import_grace)
    assert.is_nil(s.storage)
  end)

  it("parse Kong's booleans and numbers", function()
    local s = assert(settings.resolve({
      KONG_CLUSTER_FALLBACK_CONFIG_STORAGE = "file:///var/lib/kong/fallback",
      KONG_CLUSTER_FALLBACK_CONFIG_EXPORT = "on",
      KONG_CLUSTER_FALLBACK_CONFIG_IMPORT = "False",
      KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY = "2.5",
    }))
    assert.is_true(s.export)
    assert.is_false(s.import)
    assert.equals(2.5, s.export_delay)
  end)

  it("let the environment win over the plugin config, and fall back to it", function()
    local conf = { storage = "s3://from-conf/p", export_delay = 30, s3_put_params = { StorageClass = "STANDARD_IA" } }
    local s = assert(settings.resolve({ KONG_CLUSTER_FALLBACK_CONFIG_STORAGE = "s3://from-env/p" }, conf))
    assert.equals("s3://from-env/p", s.storage)
    assert.equals(30, s.export_delay)
    assert.equals('{"StorageClass":"STANDARD_IA"}', s.s3_put_params)
    assert.equals("s3://from-env/p", s.native.storage)
  end)

  it("turn the plugin config's string map of S3 parameters into the JSON the library takes", function()
    local s = assert(settings.resolve({}, { s3_put_params = { BucketKeyEnabled = "true", StorageClass = "STANDARD_IA" } }))
    local cjson = require("cjson.safe")
    assert.same({ BucketKeyEnabled = true, StorageClass = "STANDARD_IA" }, cjson.decode(s.s3_put_params))
    assert.equals(s.s3_put_params, s.native.s3_put_params)
  end)

  it("hand AWS settings to the native client, AWS_REGION before AWS_DEFAULT_REGION", function()
    local s = assert(settings.resolve({
      AWS_ACCESS_KEY_ID = "AKID", AWS_SECRET_ACCESS_KEY = "secret", AWS_SESSION_TOKEN = "token",
      AWS_REGION = "eu-west-1", AWS_DEFAULT_REGION = "us-east-1",
      AWS_CONFIG_STORAGE_ENDPOINT = "http://minio:9000/",
    }))
    assert.same({ endpoint = "http://minio:9000/", region = "eu-west-1", access_key_id = "AKID",
                  secret_access_key = "secret", session_token = "token" }, s.native)
    s = assert(settings.resolve({ AWS_DEFAULT_REGION = "us-west-2" }))
    assert.equals("us-west-2", s.native.region)
  end)

  it("hand the rest of the AWS credential chain's variables to the native client", function()
    local names = {
      AWS_PROFILE = "aws_profile", AWS_SHARED_CREDENTIALS_FILE = "aws_shared_credentials_file",
      AWS_CONFIG_FILE = "aws_config_file", HOME = "home", AWS_ROLE_ARN = "aws_role_arn",
      AWS_WEB_IDENTITY_TOKEN_FILE = "aws_web_identity_token_file", AWS_ROLE_SESSION_NAME = "aws_role_session_name",
      AWS_ENDPOINT_URL_STS = "aws_sts_endpoint",
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI = "aws_container_credentials_relative_uri",
      AWS_CONTAINER_CREDENTIALS_FULL_URI = "aws_container_credentials_full_uri",
      AWS_CONTAINER_AUTHORIZATION_TOKEN = "aws_container_authorization_token",
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE = "aws_container_authorization_token_file",
      AWS_EC2_METADATA_DISABLED = "aws_ec2_metadata_disabled",
      AWS_EC2_METADATA_SERVICE_ENDPOINT = "aws_ec2_metadata_service_endpoint",
    }
    local env, expected = {}, {}
    for variable, setting in pairs(names) do
      env[variable] = "value of " .. variable
      expected[setting] = "value of " .. variable
    end
    assert.same(expected, assert(settings.resolve(settings.read_env(function(n) return env[n] end))).native)
    -- and every one of them is a setting the library knows
    local native = require("kong.plugins.fallback-config.native")
    for _, setting in pairs(names) do
      local client, err = native.new_client({ storage = "file:///tmp", [setting] = "x" })
      assert.truthy(client, err)
    end
  end)

  it("hand GCP settings to the native client", function()
    local s = assert(settings.resolve({
      GCP_SERVICE_ACCOUNT = '{"type":"service_account"}', GOOGLE_APPLICATION_CREDENTIALS = "/k.json",
      GCE_METADATA_HOST = "169.254.169.254", STORAGE_EMULATOR_HOST = "localhost:9023",
    }))
    assert.same({ gcp_service_account = '{"type":"service_account"}', gcp_credentials_file = "/k.json",
                  gce_metadata_host = "169.254.169.254", gcs_endpoint = "localhost:9023" }, s.native)
    local env = settings.read_env(function(name) return name == "GCP_SERVICE_ACCOUNT" and "{}" or nil end)
    assert.same({ GCP_SERVICE_ACCOUNT = "{}" }, env)
  end)

  it("hand the retry, download limit and TLS settings to the native client", function()
    local s = assert(settings.resolve({
      KONG_CLUSTER_FALLBACK_CONFIG_RETRY_ATTEMPTS = "6", KONG_CLUSTER_FALLBACK_CONFIG_RETRY_DEADLINE = "2.5",
      KONG_CLUSTER_FALLBACK_CONFIG_MAX_DOWNLOAD_BYTES = "1048576", AWS_CA_BUNDLE = "/aws.pem",
      KONG_CLUSTER_FALLBACK_CONFIG_CA_BUNDLE = "/kong.pem",
    }))
    assert.same({ retry_attempts = "6", retry_deadline_ms = "2500", max_download_bytes = "1048576",
                  ca_bundle = "/kong.pem" }, s.native)
    assert.is_false(s.insecure)
    s = assert(settings.resolve({ AWS_CA_BUNDLE = "/aws.pem", KONG_CLUSTER_FALLBACK_CONFIG_TLS_VERIFY = "OFF" }))
    assert.same({ ca_bundle = "/aws.pem", tls_verify = "off" }, s.native)
    assert.is_true(s.insecure)
    s = assert(settings.resolve({ KONG_CLUSTER_FALLBACK_CONFIG_CONNECT_TIMEOUT = "0.5",
                                  KONG_CLUSTER_FALLBACK_CONFIG_STALL_TIMEOUT = "3" }))
    assert.same({ connect_timeout_ms = "500", stall_timeout_ms = "3000" }, s.native)
    s = assert(settings.resolve({ KONG_CLUSTER_FALLBACK_CONFIG_TLS_VERIFY = "on" }))
    assert.same({}, s.native)
    assert.is_false(s.insecure)
  end)

  local function error_of(env, conf)
    local s, err = settings.resolve(env, conf)
    assert.is_nil(s)
    assert.is_string(err)
    assert.is_nil(string.find(err, "\n"))
    return err
  end

  it("refuse what Kong refuses, naming the setting", function()
    assert.equals("KONG_CLUSTER_FALLBACK_CONFIG_STORAGE is required when export or import is on",
      error_of({ KONG_CLUSTER_FALLBACK_CONFIG_EXPORT = "on" }))
    assert.matches("KONG_CLUSTER_FALLBACK_CONFIG_STORAGE must start with s3://, gcs:// or file://",
      error_of({ KONG_CLUSTER_FALLBACK_CONFIG_STORAGE = "ftp://x/y" }), 1, true)
    assert.matches("KONG_CLUSTER_FALLBACK_CONFIG_EXPORT must be on or off",
      error_of({ KONG_CLUSTER_FALLBACK_CONFIG_EXPORT = "yes" }), 1, true)
    for _, bad in ipairs({ "0", "-5", "soon", "inf", "nan" }) do
      assert.matches("KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY must be a positive number",
        error_of({ KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY = bad }), 1, true)
    end
    for _, bad in ipairs({ "[1]", "nope", '"str"' }) do
      assert.equals("KONG_CLUSTER_FALLBACK_EXPORT_S3_CONFIG must be a JSON object",
        error_of({ KONG_CLUSTER_FALLBACK_EXPORT_S3_CONFIG = bad }))
    end
    for _, bad in ipairs({ "0", "1.5", "101", "many" }) do
      assert.matches("KONG_CLUSTER_FALLBACK_CONFIG_RETRY_ATTEMPTS must be a whole number from 1 to 100, got '" .. bad .. "'",
        error_of({ KONG_CLUSTER_FALLBACK_CONFIG_RETRY_ATTEMPTS = bad }), 1, true)
    end
    assert.matches("KONG_CLUSTER_FALLBACK_CONFIG_RETRY_DEADLINE must be a positive number of seconds",
      error_of({ KONG_CLUSTER_FALLBACK_CONFIG_RETRY_DEADLINE = "-1" }), 1, true)
    assert.matches("KONG_CLUSTER_FALLBACK_CONFIG_RETRY_DEADLINE must be at most 86400 seconds",
      error_of({ KONG_CLUSTER_FALLBACK_CONFIG_RETRY_DEADLINE = "90000" }), 1, true)
    assert.matches("KONG_CLUSTER_FALLBACK_CONFIG_STALL_TIMEOUT must be a positive number of seconds, got 'never'",
      error_of({ KONG_CLUSTER_FALLBACK_CONFIG_STALL_TIMEOUT = "never" }), 1, true)
    assert.matches("KONG_CLUSTER_FALLBACK_CONFIG_MAX_DOWNLOAD_BYTES must be a whole number",
      error_of({ KONG_CLUSTER_FALLBACK_CONFIG_MAX_DOWNLOAD_BYTES = "1e99" }), 1, true)
    assert.equals("KONG_CLUSTER_FALLBACK_CONFIG_TLS_VERIFY must be on or off, got 'maybe'",
      error_of({ KONG_CLUSTER_FALLBACK_CONFIG_TLS_VERIFY = "maybe" }))
    -- A bad value from the plugin config is named as such.
    local _, err = settings.resolve({}, { export_delay = -1 })
    assert.equals("config.export_delay (plugin config) must be a positive number of seconds, got '-1'", err)
    _, err = settings.resolve({}, { storage = "ftp://x" })
    assert.equals("config.storage (plugin config) must start with s3://, gcs:// or file://", err)
    assert.matches("cannot both be on: a backup node does not import",
      error_of({ KONG_CLUSTER_FALLBACK_CONFIG_STORAGE = "s3://b/p", KONG_CLUSTER_FALLBACK_CONFIG_EXPORT = "on",
        KONG_CLUSTER_FALLBACK_CONFIG_IMPORT = "on" }), 1, true)
  end)
end)

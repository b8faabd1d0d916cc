-- Settings of fallback-config, read the way Kong reads its own feature's:
-- environment variables, with the plugin's declarative config as the source
-- of the shared ones (storage, export delay, S3 parameters) when the
-- environment does not set them. Which node exports or imports is a per-node
-- decision: environment only.

local cjson = require("cjson.safe")

local _M = {}

_M.DEFAULT_EXPORT_DELAY = 60 -- seconds, as in Kong
_M.DEFAULT_IMPORT_GRACE = 5 -- seconds: Kong's cluster connection timeout

-- Every variable the plugin reads, for read_env.
_M.VARIABLES = {
  "KONG_CLUSTER_FALLBACK_CONFIG_STORAGE",
  "KONG_CLUSTER_FALLBACK_CONFIG_EXPORT",
  "KONG_CLUSTER_FALLBACK_CONFIG_IMPORT",
  "KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY",
  "KONG_CLUSTER_FALLBACK_CONFIG_IMPORT_GRACE",
  "KONG_CLUSTER_FALLBACK_EXPORT_S3_CONFIG",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_REGION",
  "AWS_DEFAULT_REGION",
  "AWS_CONFIG_STORAGE_ENDPOINT",
  -- The rest of the AWS credential chain (native/src/auth/aws_credential_chain.h).
  "AWS_PROFILE",
  "AWS_SHARED_CREDENTIALS_FILE",
  "AWS_CONFIG_FILE",
  "HOME",
  "AWS_ROLE_ARN",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_ROLE_SESSION_NAME",
  "AWS_ENDPOINT_URL_STS",
  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
  "AWS_CONTAINER_CREDENTIALS_FULL_URI",
  "AWS_CONTAINER_AUTHORIZATION_TOKEN",
  "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
  "AWS_EC2_METADATA_DISABLED",
  "AWS_EC2_METADATA_SERVICE_ENDPOINT",
  "GCP_SERVICE_ACCOUNT",
  "GOOGLE_APPLICATION_CREDENTIALS",
  "GCE_METADATA_HOST",
  "STORAGE_EMULATOR_HOST",
  -- Reliability and TLS (this plugin's own; Kong's feature has none of them).
  "KONG_CLUSTER_FALLBACK_CONFIG_RETRY_ATTEMPTS",
  "KONG_CLUSTER_FALLBACK_CONFIG_RETRY_DEADLINE",
  "KONG_CLUSTER_FALLBACK_CONFIG_MAX_DOWNLOAD_BYTES",
  "KONG_CLUSTER_FALLBACK_CONFIG_CONNECT_TIMEOUT",
  "KONG_CLUSTER_FALLBACK_CONFIG_STALL_TIMEOUT",
  "KONG_CLUSTER_FALLBACK_CONFIG_CA_BUNDLE",
  "AWS_CA_BUNDLE",
  "KONG_CLUSTER_FALLBACK_CONFIG_TLS_VERIFY",
}

_M.INSECURE_WARNING = "TLS certificate verification is off (KONG_CLUSTER_FALLBACK_CONFIG_TLS_VERIFY=off): "
  .. "anyone on the path to the storage can read and replace the configuration"

--- Reads the variables now. Call it when the handler module is loaded (init
-- phase, master process): nginx workers do not see the environment.
function _M.read_env(getenv)
  getenv = getenv or os.getenv
  local env = {}
  for _, name in ipairs(_M.VARIABLES) do
    local value = getenv(name)
    if value ~= nil and value ~= "" then
      env[name] = value
    end
  end
  return env
end

local BOOLEANS = { on = true, ["true"] = true, off = false, ["false"] = false }

local function parse_bool(name, value)
  if value == nil then
    return false
  end
  local b = BOOLEANS[string.lower(value)]
  if b == nil then
    return nil, name .. " must be on or off, got '" .. value .. "'"
  end
  return b
end

-- parse_seconds(default, value, name): a positive number of seconds.
local function parse_seconds(default, value, name)
  if value == nil then
    return default
  end
  local n = tonumber(value)
  if not n or n ~= n or n <= 0 or n == math.huge then
    return nil, name .. " must be a positive number of seconds, got '" .. tostring(value) .. "'"
  end
  return n
end

-- parse_count(value, name, max): a whole number from 1 to max.
local function parse_count(value, name, max)
  if value == nil then
    return nil
  end
  local n = tonumber(value)
  if not n or n ~= math.floor(n) or n < 1 or n > max then
    return nil, name .. " must be a whole number from 1 to " .. string.format("%d", max) .. ", got '" .. tostring(value) .. "'"
  end
  return n
end

local KNOWN_SCHEMES = { s3 = true, gcs = true, file = true }

-- The plugin config holds S3 parameters as a map of strings (Kong's schema);
-- the one boolean among them is written as "true" or "false" there.
local function plugin_put_params(map)
  local params = {}
  for name, value in pairs(map) do
    if name == "BucketKeyEnabled" and (value == "true" or value == "false") then
      value = value == "true"
    end
    params[name] = value
  end
  return params
end

--- Combines the environment (from read_env) with the plugin's config (may be
-- nil) and validates the result like Kong does at start-up. Returns the
-- settings, or nil and a one-line error naming the setting at fault.
function _M.resolve(env, conf)
  conf = conf or {}
  local s = {}
  local err

  s.export, err = parse_bool("KONG_CLUSTER_FALLBACK_CONFIG_EXPORT", env.KONG_CLUSTER_FALLBACK_CONFIG_EXPORT)
  if err then
    return nil, err
  end
  s.import, err = parse_bool("KONG_CLUSTER_FALLBACK_CONFIG_IMPORT", env.KONG_CLUSTER_FALLBACK_CONFIG_IMPORT)
  if err then
    return nil, err
  end

  if s.export and s.import then
    -- As in Kong: the backup node is the source of the backups, never fed from them.
    return nil, "KONG_CLUSTER_FALLBACK_CONFIG_EXPORT and KONG_CLUSTER_FALLBACK_CONFIG_IMPORT cannot both be on: a backup node does not import"
  end

  -- A shared setting comes from the environment, else from the plugin config;
  -- an error names the one it came from.
  local function shared(var, field)
    if env[var] ~= nil then
      return env[var], var
    end
    return conf[field], "config." .. field .. " (plugin config)"
  end

  local storage_name
  s.storage, storage_name = shared("KONG_CLUSTER_FALLBACK_CONFIG_STORAGE", "storage")
  if (s.export or s.import) and not s.storage then
    return nil, "KONG_CLUSTER_FALLBACK_CONFIG_STORAGE is required when export or import is on"
  end
  if s.storage then
    local scheme = string.match(s.storage, "^(%a[%w+.-]*)://")
    if not scheme or not KNOWN_SCHEMES[string.lower(scheme)] then
      return nil, storage_name .. " must start with s3://, gcs:// or file://"
    end
  end

  s.export_delay, err = parse_seconds(_M.DEFAULT_EXPORT_DELAY,
    shared("KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY", "export_delay"))
  if err then
    return nil, err
  end
  s.import_grace, err = parse_seconds(_M.DEFAULT_IMPORT_GRACE,
    shared("KONG_CLUSTER_FALLBACK_CONFIG_IMPORT_GRACE", "import_grace"))
  if err then
    return nil, err
  end

  local params, params_name = shared("KONG_CLUSTER_FALLBACK_EXPORT_S3_CONFIG", "s3_put_params")
  if type(params) == "table" then
    params = cjson.encode(plugin_put_params(params))
  end
  if params then
    local decoded = cjson.decode(params)
    if type(decoded) ~= "table" or (next(decoded) ~= nil and decoded[1] ~= nil) then
      return nil, params_name .. " must be a JSON object"
    end
    s.s3_put_params = params
  end

  local retry_attempts = env.KONG_CLUSTER_FALLBACK_CONFIG_RETRY_ATTEMPTS
  retry_attempts, err = parse_count(retry_attempts, "KONG_CLUSTER_FALLBACK_CONFIG_RETRY_ATTEMPTS", 100)
  if err then
    return nil, err
  end
  -- Timeouts, in seconds as Kong's own settings are, to the library's milliseconds.
  local timeouts_ms = {}
  for _, t in ipairs({ { "KONG_CLUSTER_FALLBACK_CONFIG_RETRY_DEADLINE", "retry_deadline_ms" },
                       { "KONG_CLUSTER_FALLBACK_CONFIG_CONNECT_TIMEOUT", "connect_timeout_ms" },
                       { "KONG_CLUSTER_FALLBACK_CONFIG_STALL_TIMEOUT", "stall_timeout_ms" } }) do
    local seconds
    seconds, err = parse_seconds(nil, env[t[1]], t[1])
    if err then
      return nil, err
    end
    if seconds and seconds > 86400 then
      return nil, t[1] .. " must be at most 86400 seconds, got '" .. env[t[1]] .. "'"
    end
    timeouts_ms[t[2]] = seconds and string.format("%d", math.max(1, math.floor(seconds * 1000)))
  end
  local max_download_bytes
  max_download_bytes, err = parse_count(env.KONG_CLUSTER_FALLBACK_CONFIG_MAX_DOWNLOAD_BYTES,
    "KONG_CLUSTER_FALLBACK_CONFIG_MAX_DOWNLOAD_BYTES", 2^40)
  if err then
    return nil, err
  end
  local tls_verify = env.KONG_CLUSTER_FALLBACK_CONFIG_TLS_VERIFY
  if tls_verify ~= nil then
    local verify = BOOLEANS[string.lower(tls_verify)]
    if verify == nil then
      return nil, "KONG_CLUSTER_FALLBACK_CONFIG_TLS_VERIFY must be on or off, got '" .. tls_verify .. "'"
    end
    s.insecure = not verify
  else
    s.insecure = false
  end

  -- What the native client is configured with (names as in fc_settings_set).
  s.native = {
    storage = s.storage,
    s3_put_params = s.s3_put_params,
    endpoint = env.AWS_CONFIG_STORAGE_ENDPOINT,
    region = env.AWS_REGION or env.AWS_DEFAULT_REGION,
    access_key_id = env.AWS_ACCESS_KEY_ID,
    secret_access_key = env.AWS_SECRET_ACCESS_KEY,
    session_token = env.AWS_SESSION_TOKEN,
    aws_profile = env.AWS_PROFILE,
    aws_shared_credentials_file = env.AWS_SHARED_CREDENTIALS_FILE,
    aws_config_file = env.AWS_CONFIG_FILE,
    home = env.HOME,
    aws_role_arn = env.AWS_ROLE_ARN,
    aws_web_identity_token_file = env.AWS_WEB_IDENTITY_TOKEN_FILE,
    aws_role_session_name = env.AWS_ROLE_SESSION_NAME,
    aws_sts_endpoint = env.AWS_ENDPOINT_URL_STS,
    aws_container_credentials_relative_uri = env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI,
    aws_container_credentials_full_uri = env.AWS_CONTAINER_CREDENTIALS_FULL_URI,
    aws_container_authorization_token = env.AWS_CONTAINER_AUTHORIZATION_TOKEN,
    aws_container_authorization_token_file = env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE,
    aws_ec2_metadata_disabled = env.AWS_EC2_METADATA_DISABLED,
    aws_ec2_metadata_service_endpoint = env.AWS_EC2_METADATA_SERVICE_ENDPOINT,
    gcp_service_account = env.GCP_SERVICE_ACCOUNT,
    gcp_credentials_file = env.GOOGLE_APPLICATION_CREDENTIALS,
    gce_metadata_host = env.GCE_METADATA_HOST,
    gcs_endpoint = env.STORAGE_EMULATOR_HOST,
    retry_attempts = retry_attempts and string.format("%d", retry_attempts),
    retry_deadline_ms = timeouts_ms.retry_deadline_ms,
    connect_timeout_ms = timeouts_ms.connect_timeout_ms,
    stall_timeout_ms = timeouts_ms.stall_timeout_ms,
    max_download_bytes = max_download_bytes and string.format("%d", max_download_bytes),
    ca_bundle = env.KONG_CLUSTER_FALLBACK_CONFIG_CA_BUNDLE or env.AWS_CA_BUNDLE,
    tls_verify = s.insecure and "off" or nil,
  }
  return s
end

return _M

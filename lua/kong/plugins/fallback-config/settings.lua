-- Settings of fallback-config, read the way Kong reads its own feature's.
-- Every setting, its variables, limits and messages live in the native
-- library's table (native/src/settings/): this module hands the library the
-- environment captured in the init phase and the plugin config's shared
-- fields, and keeps only Kong's own choices: the environment wins over the
-- plugin config, storage is required once export or import is on.

local cjson = require("cjson.safe")
local native = require("kong.plugins.fallback-config.native")

local _M = {}

local TABLE = native.settings_table()

local function row_named(name)
  for _, row in ipairs(TABLE) do
    if row.name == name then
      return row
    end
  end
  error("the library's table has no setting " .. name)
end

--- The variable that names a setting in messages: its first.
function _M.variable(name)
  return row_named(name).variables[1]
end

-- Every variable any setting reads, for read_env.
_M.VARIABLES = {}
for _, row in ipairs(TABLE) do
  for _, variable in ipairs(row.variables) do
    _M.VARIABLES[#_M.VARIABLES + 1] = variable
  end
end

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

-- The plugin config holds S3 parameters as a map of strings (Kong's schema);
-- the one boolean among them is written as "true" or "false" there.
local function put_params_json(map)
  local params = {}
  for name, value in pairs(map) do
    if name == "BucketKeyEnabled" and (value == "true" or value == "false") then
      value = value == "true"
    end
    params[name] = value
  end
  return cjson.encode(params)
end

--- A plugin config value as the library takes it: the S3 parameters' map
-- as JSON, anything else as text.
function _M.plugin_value_text(value)
  if type(value) == "table" then
    return put_params_json(value)
  end
  return tostring(value)
end

-- The S3 parameters of the plugin config: the map, with the SSE-C key from
-- its own field (a string field, the only kind Kong EE's keyring encrypts).
local function conf_put_params(conf)
  local map = conf.s3_put_params
  local key = conf.s3_sse_customer_key
  if key == nil or key == cjson.null then
    return map
  end
  local merged = {}
  for k, v in pairs(map ~= cjson.null and map or {}) do
    merged[k] = v
  end
  merged.SSECustomerKey = key
  return merged
end

-- Applies the plugin config's shared fields where the environment set nothing.
local function apply_conf(settings, conf)
  conf = setmetatable({ s3_put_params = conf_put_params(conf) }, { __index = conf })
  for _, row in ipairs(TABLE) do
    local value = row.plugin_field and conf[row.plugin_field]
    if value ~= nil and value ~= cjson.null and settings:source(row.name) == nil then
      local ok, err = settings:set(row.name, _M.plugin_value_text(value), "config." .. row.plugin_field .. " (plugin config)")
      if not ok then
        return nil, err
      end
    end
  end
  return true
end

-- Every value that is not a secret, in table order: a client built from equal
-- keys is the same client.
local function fingerprint(settings)
  local parts = {}
  for _, row in ipairs(TABLE) do
    if not row.secret then
      parts[#parts + 1] = row.name .. "=" .. tostring((settings:get(row.name)))
    end
  end
  return table.concat(parts, "\n")
end

--- Combines the environment (from read_env) with the plugin's config (may be
-- nil) and checks the result as the library and Kong do. Returns the
-- settings (s.settings is the native object: free() it once the client is
-- built), or nil, a one-line error naming the variable or config field at
-- fault, and a reason: "no_storage" when a backup node has no storage yet
-- (the plugin config that names it may come with the first configuration).
function _M.resolve(env, conf)
  local settings, err = native.new_settings()
  if not settings then
    return nil, err
  end
  local function refuse(message, reason)
    settings:free()
    return nil, message, reason
  end
  for variable, value in pairs(env) do
    local ok, set_err = settings:set_env(variable, value)
    if not ok then
      return refuse(set_err)
    end
  end
  local ok, conf_err = apply_conf(settings, conf or {})
  if not ok then
    return refuse(conf_err)
  end

  local s = { settings = settings }
  s.export = settings:get("export") == "on"
  s.import = settings:get("import") == "on"
  s.storage = settings:get("storage")
  s.export_delay = tonumber((settings:get("export_delay")))
  s.import_grace = tonumber((settings:get("import_grace")))
  -- Export and import may both be on (Kong EE 3.6+'s homogeneous data
  -- planes): such a node imports first, then competes for the lease.
  s.lease = settings:get("lease") == "on"
  s.lease_duration = tonumber((settings:get("lease_duration")))
  local renew, renew_source = settings:get("lease_renew")
  s.lease_renew = renew and tonumber(renew) or s.lease_duration / 3
  s.ee_election_interval = tonumber((settings:get("ee_election_interval")))
  if s.lease and s.lease_renew > s.lease_duration / 2 then
    return refuse((renew_source or _M.variable("lease_renew")) .. " must be at most half of "
      .. (settings:source("lease_duration") or _M.variable("lease_duration")) .. " (" .. s.lease_duration .. " s)")
  end
  if (s.export or s.import) and not s.storage then
    return refuse(_M.variable("storage") .. " is required when export or import is on", s.export and "no_storage" or nil)
  end
  if settings:get("tls_verify") == "off" then
    s.insecure_warning = "TLS certificate verification is off (" .. settings:source("tls_verify")
      .. "=off): anyone on the path to the storage can read and replace the configuration"
  end
  s.key = fingerprint(settings)
  return s
end

return _M

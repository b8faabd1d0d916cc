-- kong.configuration: a read-only view of the node's settings
-- (kong/pdk/init.lua: __index reads the configuration, __newindex raises
-- "cannot write to configuration"). Only the fields the plugin reads, with
-- the types and defaults of kong/templates/kong_defaults.lua and
-- kong/conf_loader for the profile's version; a field the version does not
-- have is nil. Read in the init phase, from KONG_* variables as Kong does.
local _M = {}

local function env(name, default)
  local v = os.getenv(name)
  if v == nil or v == "" then
    return default
  end
  return v
end

local function bool(name, default)
  local v = env(name)
  if v == nil then
    return default
  end
  return v == "on" or v == "true"
end

-- conf_loader/listeners.lua: "127.0.0.1:9000 reuseport, ..." -> { {ip, port, listener}, ... }
local function listeners(value)
  local out = {}
  if value and value ~= "off" then
    for item in value:gmatch("[^,]+") do
      local ip, port = item:match("^%s*([^%s:]+):(%d+)")
      if ip then
        out[#out + 1] = { ip = ip, port = tonumber(port), listener = ip .. ":" .. port }
      end
    end
  end
  return setmetatable(out, { __tostring = function() return "" end })
end

function _M.new(profile)
  local conf = {
    role = env("KONG_ROLE", "traditional"),
    database = env("KONG_DATABASE", "postgres"),
    stream_listeners = listeners(env("KONG_STREAM_LISTEN", "off")),
    cluster_control_plane = env("KONG_CLUSTER_CONTROL_PLANE", "127.0.0.1:8005"),
    db_update_frequency = tonumber(env("KONG_DB_UPDATE_FREQUENCY", "5")),
    -- kong_defaults.lua; nginx_inject.lua hands both to lua-resty-lmdb on a
    -- DB-less node, and nginx resolves a relative path against the prefix.
    prefix = (ngx.config.prefix():gsub("/$", "")),
    lmdb_environment_path = env("KONG_LMDB_ENVIRONMENT_PATH", "dbless.lmdb"),
    lmdb_map_size = env("KONG_LMDB_MAP_SIZE", "2048m"),
    loaded_plugins = {},
  }
  if profile.dedicated_config_processing ~= nil then
    conf.dedicated_config_processing = bool("KONG_DEDICATED_CONFIG_PROCESSING", profile.dedicated_config_processing)
  end
  if profile.cluster_rpc ~= nil then
    conf.cluster_rpc = bool("KONG_CLUSTER_RPC", false)
  end
  -- conf_loader/init.lua: the sync switch is forced off without cluster_rpc.
  if profile.cluster_incremental_sync ~= nil then
    conf.cluster_incremental_sync = conf.cluster_rpc and bool("KONG_CLUSTER_INCREMENTAL_SYNC", false) or false
  end
  if profile.cluster_rpc_sync ~= nil then
    conf.cluster_rpc_sync = conf.cluster_rpc and bool("KONG_CLUSTER_RPC_SYNC", false) or false
  end
  if profile.enterprise then
    -- kong/enterprise_edition/conf_loader.lua: EE's own settings, from the
    -- same KONG_CLUSTER_FALLBACK_* variables (templates/kong_defaults.lua).
    conf.cluster_fallback_config_import = bool("KONG_CLUSTER_FALLBACK_CONFIG_IMPORT", false)
    conf.cluster_fallback_config_export = bool("KONG_CLUSTER_FALLBACK_CONFIG_EXPORT", false)
    conf.cluster_fallback_config_storage = env("KONG_CLUSTER_FALLBACK_CONFIG_STORAGE")
    conf.cluster_fallback_config_export_delay = tonumber(env("KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY", "60"))
    conf.cluster_fallback_export_s3_config = env("KONG_CLUSTER_FALLBACK_EXPORT_S3_CONFIG")
  end
  local view = setmetatable({}, {
    __index = function(_, k)
      return conf[k]
    end,
    __newindex = function()
      error("cannot write to configuration", 2)
    end,
  })
  return view, conf
end

return _M

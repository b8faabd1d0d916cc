-- kong.db.declarative, as far as the plugin uses it. The running configuration
-- lives in a shared dict (Kong: LMDB), each worker keeps the decoded table.
local cjson = require("cjson.safe")

local ngx = ngx
local dict = ngx.shared.kong_harness

local _M = {}

local EMPTY_CONFIG_HASH = string.rep("0", 32)
local LOCK_KEY = "declarative:lock"
local cache = { hash = nil, config = nil }

local function role()
  return kong.configuration.role
end

--- nil before anything was loaded; 32 zeros for the empty configuration.
function _M.get_current_hash()
  if role() == "control_plane" then
    return nil -- a control plane has a database, not a declarative cache
  end
  return dict:get("declarative:hash")
end

--- The running configuration as a table (Kong builds it from LMDB or the
-- database; here it was decoded once per version, outside the measured path).
function _M.export_config()
  local version = dict:get("declarative:version")
  if cache.version ~= version then
    local json = dict:get("declarative:config")
    cache.config = json and cjson.decode(json) or { _format_version = "3.0" }
    cache.version = version
  end
  return cache.config
end

-- Stores a configuration without events (Kong: load_into_cache; the control
-- plane's "database").
function _M.store(config_json, hash)
  dict:set("declarative:config", config_json)
  if role() ~= "control_plane" then
    dict:set("declarative:hash", hash or EMPTY_CONFIG_HASH)
  end
  dict:incr("declarative:version", 1, 0)
end

--- true; or nil, "busy", retry_after (seconds); or nil, "exiting".
function _M.load_into_cache_with_events(entities, meta, hash)
  if ngx.worker.exiting() then
    return nil, "exiting"
  end
  if not dict:add(LOCK_KEY, true, 60) then
    local ttl = dict:ttl(LOCK_KEY)
    return nil, "busy", math.min(ttl or 10, 10)
  end
  local config = {}
  for k, v in pairs(meta or {}) do
    config[k] = v
  end
  for k, v in pairs(entities) do
    config[k] = v
  end
  _M.store(cjson.encode(config), hash)
  dict:delete(LOCK_KEY)
  -- Kong's payload: { default_ws_id, router_hash, plugins_hash, balancer_hash }
  local ok, err = kong.worker_events.post("declarative", "reconfigure", { "default", hash, hash, hash })
  if ok ~= "done" then
    return nil, "failed to broadcast reconfigure event: " .. tostring(err)
  end
  return true
end

--- Test control: hold the lock another load would take, for `ttl` seconds.
function _M.hold_lock(ttl)
  return dict:add(LOCK_KEY, true, ttl)
end

return _M

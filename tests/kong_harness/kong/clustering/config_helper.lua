-- kong.clustering.config_helper: how a data plane applies a configuration
-- from its control plane (kong/clustering/config_helper.lua). The same
-- configuration (by its hash) is not loaded again.
--   3.4, 3.5: update(declarative_config, config_table, config_hash, hashes) -> ok, err
--   3.6+:     update(declarative_config, msg) -> ok, err, err_t, with msg =
--             { config_table, config_hash, hashes }, the whole of it under xpcall
local cjson = require("cjson.safe")
local declarative = require("kong.db.declarative")
local EMPTY = require("harness.store").EMPTY_HASH

local _M = {}

-- A stable encoding, so that equal configurations hash alike (Kong hashes
-- each entity group: config_helper.lua calculate_config_hash).
local function canonical(v)
  if type(v) ~= "table" then
    return cjson.encode(v)
  end
  local keys = {}
  for k in pairs(v) do
    keys[#keys + 1] = k
  end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  local parts = {}
  for _, k in ipairs(keys) do
    parts[#parts + 1] = cjson.encode(tostring(k)) .. ":" .. canonical(v[k])
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

-- Kong hashes routes, services, plugins, upstreams and targets each on its
-- own, and the rest together; the configuration's hash is that of the six
-- (config_helper.lua calculate_config_hash). So a change to routes leaves the
-- plugins' hash as it was, which the plugin relies on.
local GROUPS = { "routes", "services", "plugins", "upstreams", "targets" }

function _M.calculate_config_hash(config_table)
  local hashes, rest, parts = {}, {}, {}
  for k, v in pairs(config_table) do
    rest[k] = v
  end
  for _, group in ipairs(GROUPS) do
    -- An absent group hashes to DECLARATIVE_EMPTY_CONFIG_HASH (calculate_hash).
    hashes[group] = config_table[group] == nil and EMPTY or ngx.md5(canonical(config_table[group]))
    parts[#parts + 1] = hashes[group]
    rest[group] = nil
  end
  parts[#parts + 1] = ngx.md5(canonical(rest))
  hashes.config = ngx.md5(table.concat(parts))
  return hashes.config, hashes
end

local function update(declarative_config, config_table, config_hash, hashes)
  assert(type(config_table) == "table")
  if not config_hash then
    config_hash, hashes = _M.calculate_config_hash(config_table)
  end
  local current_hash = declarative.get_current_hash()
  if current_hash == config_hash then
    return true -- "same config received from control plane, no need to reload"
  end
  local entities, err, err_t, meta, new_hash = declarative_config:parse_table(config_table, config_hash)
  if not entities then
    -- errors.lua declarative_config_flattened, named CONFIG_PARSE (3.6+)
    return nil, "bad config received from control plane " .. err,
      { name = "declarative configuration parse failure", message = err, flattened = err_t }
  end
  if current_hash == new_hash then
    return true
  end
  local ok
  ok, err = declarative.load_into_cache_with_events(entities, meta, new_hash, hashes)
  if not ok then
    return nil, err, { name = "reload", message = err }
  end
  return true
end

if kong and kong.harness and kong.harness.profile.config_helper == "3.4" then
  function _M.update(declarative_config, config_table, config_hash, hashes)
    local ok, err = update(declarative_config, config_table, config_hash, hashes)
    return ok, err -- no err_t before 3.6
  end
else
  function _M.update(declarative_config, msg)
    local pok, ok, err, err_t = xpcall(update, debug.traceback, declarative_config, msg.config_table,
      msg.config_hash, msg.hashes)
    if not pok then
      return nil, ok, { name = "exception", exception = ok }
    end
    return ok, err, err_t
  end
end

return _M

-- Kong's LMDB, as the plugin meets it: a real LMDB environment (harness/lmdb.lua)
-- written in the key layout of kong/db/declarative/import.lua and read as
-- kong/db/strategies/off/init.lua reads it. One environment per node, shared
-- by every worker and by the stream side (Kong's lmdb_environment_path is in
-- nginx's main context): a process outside nginx can open it, as Kong's can be.
--
-- Items are marshalled with string.buffer (kong/db/declarative/marshaller.lua),
-- foreign keys as {id = ...}, unset fields as ngx.null, in the key layout of
-- the version played (profile.lmdb_layout; harness/lmdb_layout.lua). A commit
-- is one write transaction that first empties the database (t:db_drop(false))
-- and ends with declarative_config:hash.
--
-- Reads follow Kong's: 3.9+ page_for_prefix takes a page of global keys in
-- one read and each item in another (a commit between two pages mixes two
-- configurations; one between the page and its items leaves holes); 3.4 to
-- 3.8 page_for_key reads the whole list, then each item on its own.
--
-- A DB-backed node (a control plane) has no LMDB in Kong: its "database"
-- here is another environment, outside Kong's lmdb_environment_path.
local buffer = require("string.buffer")
local lmdb = require("harness.lmdb")
local layout_keys = require("harness.lmdb_layout")

local ngx = ngx

local _M = {}

_M.EMPTY_HASH = string.rep("0", 32) -- kong/constants.lua DECLARATIVE_EMPTY_CONFIG_HASH

local function schemas()
  return require("harness.schemas")
end

local function layout()
  return kong.harness.profile.lmdb_layout
end

--- Where this node's environment is: Kong's lmdb_environment_path, relative
-- to the prefix as nginx resolves it, on a DB-less node.
function _M.path()
  local conf = kong.configuration
  if conf.database ~= "off" then
    return ngx.config.prefix() .. "harness-database.lmdb"
  end
  local path = conf.lmdb_environment_path
  if path:sub(1, 1) ~= "/" then
    path = ngx.config.prefix() .. path
  end
  return path
end

-- lmdb_map_size as Kong writes it ("2048m", kong_defaults.lua), in bytes.
local function map_size()
  local n, unit = tostring(kong.configuration.lmdb_map_size):lower():match("^(%d+)([kmg]?)$")
  local scale = { [""] = 1, k = 2 ^ 10, m = 2 ^ 20, g = 2 ^ 30 }
  return assert(tonumber(n), "lmdb_map_size") * scale[unit]
end

local function env()
  return lmdb.open(_M.path(), map_size())
end

--- Before nginx forks: the master lets go of its environment (LMDB's rule:
-- an environment is not used across fork()).
function _M.close()
  lmdb.close(_M.path())
end

--- The stored hash (Kong: lmdb.get("declarative_config:hash")).
function _M.hash()
  return env():get(layout_keys.HASH_KEY)
end

local function default_workspace(entities)
  for id, ws in pairs(entities.workspaces or {}) do
    if ws.name == "default" then
      return id
    end
  end
  return require("harness.declarative_config").DEFAULT_WS_ID
end

--- Replaces the configuration: entities[type][pk] = row (parse_table's
-- shape). Returns true, or nil and "map full" (lua-resty-lmdb: MDB_MAP_FULL)
-- with nothing changed.
function _M.commit(entities, hash)
  local default_ws = default_workspace(entities)
  return env():write(function(t)
    t:drop()
    for name, rows in pairs(entities) do
      layout_keys.write(t, layout(), schemas().get(name), rows, default_ws)
    end
    t:put(layout_keys.HASH_KEY, hash or "")
    if layout() == "item_key" then
      t:put(layout_keys.DEFAULT_WORKSPACE_KEY, default_ws)
    end
  end)
end

--- The same rows under another hash (a change whose content is the same).
function _M.set_hash(hash)
  assert(env():write(function(t)
    t:put(layout_keys.HASH_KEY, hash)
  end))
end

--- The current rows of one type, as a table by primary key (for deltas).
function _M.rows_by_id(name)
  local schema = schemas().get(name)
  return env():read(function(t)
    local out = {}
    local values = {}
    if layout() == "item_key" then
      for _, kv in ipairs(t:prefix(layout_keys.global_prefix(schema), nil, math.huge)) do
        values[#values + 1] = t:get(kv.value)
      end
    else
      local list = t:get(layout_keys.list_key(schema))
      for _, key in ipairs(list and buffer.decode(list) or {}) do
        values[#values + 1] = t:get(key)
      end
    end
    for _, v in ipairs(values) do
      local row = buffer.decode(v)
      out[row.id] = row
    end
    return out
  end)
end

--- Every type the current configuration holds rows of.
function _M.types()
  local out = {}
  for _, name in ipairs(schemas().EXPORT_ORDER) do
    if next(_M.rows_by_id(name)) then
      out[#out + 1] = name
    end
  end
  return out
end

--- One page of `name`'s marshalled items from `offset` (nil: the start; else
-- what the last page returned), the next offset (nil at the end), and
-- whether an item vanished while it was read (a commit in between).
-- `between()` runs after the page's keys are read and before its items are:
-- where Kong 3.4 to 3.8 yield (off/init.lua page_for_key), and where another
-- process's commit lands in either version.
function _M.page(name, offset, size, between)
  local e = env()
  local out = {}
  if layout() == "item_key" then
    -- page_for_prefix: the page's keys in one read, each item in its own.
    local prefix = layout_keys.global_prefix(schemas().get(name))
    local page = e:read(function(t)
      return { t:prefix(prefix, offset, size) }
    end)
    local kvs, more = page[1], page[2]
    between()
    for _, kv in ipairs(kvs) do
      local v = e:get(kv.value)
      if v == nil then
        return out, nil, true
      end
      out[#out + 1] = v
    end
    return out, more and kvs[#kvs].key .. "\0" or nil, false
  end
  -- page_for_key: the whole list, then each item on its own.
  local list = e:get(layout_keys.list_key(schemas().get(name)))
  list = list and buffer.decode(list) or {}
  between()
  local first = offset or 1
  local last = math.min(#list, first + size - 1)
  for i = first, last do
    local v = e:get(list[i])
    if v == nil then
      return out, nil, true
    end
    out[#out + 1] = v
  end
  return out, last < #list and last + 1 or nil, false
end

return _M

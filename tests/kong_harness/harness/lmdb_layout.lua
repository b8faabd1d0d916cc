-- The keys Kong's declarative import writes into LMDB, by version
-- (kong/db/declarative/import.lua), for harness/store.lua and the specs.
-- Plain LuaJIT: a schema here is { name, workspaceable, primary_key? }.
--   "item_key" (3.9.0+, _set_entity_for_txn):
--       <entity>|<ws_id>|*|<pk>  -> the marshalled item
--       <entity>|*|*|<pk>        -> its item key (global queries)
--     every item gets a ws_id, the default workspace's when it has none or
--     its type is not workspaceable (load_into_cache).
--   "list" (3.4 to 3.8, load_into_cache):
--       <entity>:<pk>:::::<ws_id> and <entity>:<pk>:::::*  -> the item (DAO:cache_key)
--       <entity>|<ws_id>|@list, <entity>|*|@list -> marshalled arrays of the first keys
--     a type that is not workspaceable has ws_id "" and one list, <entity>||@list.
-- Kong's unique, foreign and tag indexes are left out: nothing reads them here.
local buffer = require("string.buffer")

local null = rawget(_G, "ngx") and ngx.null or nil

local _M = {}

_M.HASH_KEY = "declarative_config:hash" -- kong/constants.lua DECLARATIVE_HASH_KEY
_M.DEFAULT_WORKSPACE_KEY = "declarative_config:default_workspace" -- 3.9+

local function pk_string(schema, row)
  return tostring(row[schema.primary_key or "id"])
end

local function sorted_ids(rows)
  local ids = {}
  for id in pairs(rows) do
    ids[#ids + 1] = id
  end
  table.sort(ids)
  return ids
end

local function unset(v)
  return v == nil or (null ~= nil and v == null)
end

local function write_item_keys(t, schema, rows, default_ws)
  local name = schema.name
  for _, id in ipairs(sorted_ids(rows)) do
    local item = rows[id]
    if not schema.workspaceable or unset(item.ws_id) then
      item.ws_id = default_ws
    end
    local pk = pk_string(schema, item)
    local item_key = name .. "|" .. item.ws_id .. "|*|" .. pk
    t:put(item_key, buffer.encode(item))
    t:put(name .. "|*|*|" .. pk, item_key)
  end
end

local function write_lists(t, schema, rows, default_ws)
  local name = schema.name
  local lists = { ["*"] = {} }
  for _, id in ipairs(sorted_ids(rows)) do
    local item = rows[id]
    local ws = ""
    if schema.workspaceable then
      if unset(item.ws_id) then
        item.ws_id = default_ws
      end
      ws = item.ws_id
    end
    local pk = pk_string(schema, item)
    local cache_key = name .. ":" .. pk .. ":::::" .. ws
    local value = buffer.encode(item)
    t:put(cache_key, value)
    t:put(name .. ":" .. pk .. ":::::*", value)
    table.insert(lists["*"], cache_key)
    if ws ~= "" then
      lists[ws] = lists[ws] or {}
      table.insert(lists[ws], cache_key)
    end
  end
  for ws, keys in pairs(lists) do
    t:put(name .. "|" .. (schema.workspaceable and ws or "") .. "|@list", buffer.encode(keys))
  end
end

--- Writes one type's rows (a table by primary key) in `layout` into the
-- write transaction t (harness/lmdb.lua); items get their ws_id as Kong's do.
function _M.write(t, layout, schema, rows, default_ws)
  if layout == "item_key" then
    write_item_keys(t, schema, rows, default_ws)
  elseif layout == "list" then
    write_lists(t, schema, rows, default_ws)
  else
    error("unknown LMDB layout " .. tostring(layout), 2)
  end
end

--- The global list key of a type (3.4 to 3.8).
function _M.list_key(schema)
  return schema.name .. "|" .. (schema.workspaceable and "*" or "") .. "|@list"
end

--- The prefix of a type's global keys (3.9+).
function _M.global_prefix(schema)
  return schema.name .. "|*|*|"
end

return _M

-- Kong's LMDB, as the plugin meets it (kong/db/declarative/import.lua writes
-- it, kong/db/strategies/off/init.lua reads it). One store per node, shared
-- by every worker and by the stream side (Kong's lmdb_environment_path is in
-- nginx's main context). Rows are kept as Kong keeps them: marshalled with
-- string.buffer (kong/db/declarative/marshaller.lua), foreign keys as
-- {id = ...}, unset fields as ngx.null.
--
-- A configuration is committed at once (an LMDB write transaction): its rows
-- go in under a new generation, then the generation pointer moves, then the
-- old rows are removed. A reader takes the pointer for each page and reads
-- each row with its own get, as Kong's page_for_prefix does, so a commit
-- between two pages (from the privileged agent, another process) mixes two
-- configurations, and one between a page and its rows leaves holes.
local buffer = require("string.buffer")

local ngx = ngx
local dict = ngx.shared.kong_harness_lmdb

local _M = {}

_M.EMPTY_HASH = string.rep("0", 32) -- kong/constants.lua DECLARATIVE_EMPTY_CONFIG_HASH

local function key(gen, ...)
  return "g" .. gen .. ":" .. table.concat({ ... }, ":")
end

function _M.generation()
  return dict:get("gen")
end

--- The stored hash (Kong: lmdb.get("declarative_config:hash")).
function _M.hash()
  local gen = dict:get("gen")
  return gen and dict:get(key(gen, "hash")) or nil
end

-- Rows by type, sorted by primary key as LMDB's key order gives them.
local function sorted_rows(rows_by_id)
  local ids = {}
  for id in pairs(rows_by_id) do
    ids[#ids + 1] = id
  end
  table.sort(ids)
  local out = {}
  for i, id in ipairs(ids) do
    out[i] = rows_by_id[id]
  end
  return out
end

--- Replaces the configuration: entities[type][pk] = row (parse_table's
-- shape). Returns true, or nil, "map full".
function _M.commit(entities, hash)
  local old = dict:get("gen")
  local gen = dict:incr("gen_next", 1, 0)
  local types = {}
  for name, rows in pairs(entities) do
    types[#types + 1] = name
    local list = sorted_rows(rows)
    for i, row in ipairs(list) do
      local ok, err, forcible = dict:set(key(gen, name, i), buffer.encode(row))
      if not ok or forcible then
        return nil, "map full" -- lua-resty-lmdb: MDB_MAP_FULL
      end
    end
    dict:set(key(gen, name, "n"), #list)
  end
  dict:set(key(gen, "types"), buffer.encode(types))
  dict:set(key(gen, "hash"), hash)
  dict:set("gen", gen)
  if old then
    _M.drop(old)
  end
  return true
end

--- The same rows under another hash (a change whose content is the same).
function _M.set_hash(hash)
  local gen = dict:get("gen")
  dict:set(key(gen, "hash"), hash)
end

--- Removes a generation's rows (the space LMDB frees at commit).
function _M.drop(gen)
  local types = dict:get(key(gen, "types"))
  for _, name in ipairs(types and buffer.decode(types) or {}) do
    for i = 1, dict:get(key(gen, name, "n")) or 0 do
      dict:delete(key(gen, name, i))
    end
    dict:delete(key(gen, name, "n"))
  end
  dict:delete(key(gen, "types"))
  dict:delete(key(gen, "hash"))
end

--- The current rows of one type, as a table by primary key (for deltas).
function _M.rows_by_id(name)
  local out = {}
  local gen = dict:get("gen")
  for i = 1, gen and dict:get(key(gen, name, "n")) or 0 do
    local v = dict:get(key(gen, name, i))
    if v then
      local row = buffer.decode(v)
      out[row.id] = row
    end
  end
  return out
end

--- Every type the current configuration holds.
function _M.types()
  local gen = dict:get("gen")
  local types = gen and dict:get(key(gen, "types"))
  return types and buffer.decode(types) or {}
end

--- One page: up to `size` marshalled rows of `name` from position `offset`
-- (1-based) of the current generation, the next offset (nil at the end),
-- and whether a row vanished while it was read (a commit in between).
function _M.page(name, offset, size)
  local gen = dict:get("gen")
  if not gen then
    return {}, nil, false
  end
  local n = dict:get(key(gen, name, "n")) or 0
  local out = {}
  local last = math.min(n, offset + size - 1)
  for i = offset, last do
    local v = dict:get(key(gen, name, i))
    if v == nil then
      return out, nil, true
    end
    out[#out + 1] = v
  end
  return out, last < n and last + 1 or nil, false
end

return _M

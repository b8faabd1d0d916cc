-- kong.db on a DB-less node: a DAO per entity over the store, paging as
-- kong/db/dao/init.lua (each, each_for_export) and
-- kong/db/strategies/off/init.lua (page_for_prefix / page_for_key) do.
local buffer = require("string.buffer")
local schemas = require("harness.schemas")
local store = require("harness.store")

local ngx = ngx
local null = ngx.null

local _M = {}

local function copy(v)
  if type(v) ~= "table" then
    return v
  end
  local out = {}
  for k, x in pairs(v) do
    out[k] = copy(x)
  end
  return out
end

-- Kong runs every row through Schema:process_auto_fields twice on the way
-- out (the strategy's construct_entity, then DAO:row_to_entity), walking the
-- schema's fields; with `nulls` unset fields are ngx.null, without they are
-- dropped; ws_id is not shown (OSS). This walk costs what that walk costs
-- per field, not less.
local function process_auto_fields(schema, row, nulls)
  local out = {}
  for _, field in ipairs(schema.fields) do
    local v = row[field.name]
    if v == nil or v == null then
      v = nulls and null or nil
    end
    out[field.name] = copy(v)
  end
  for k, v in pairs(row) do
    if out[k] == nil and not schema.by_name[k] and k ~= "ws_id" then
      out[k] = copy(v)
    end
  end
  if not nulls then
    for k, v in pairs(out) do
      if v == null then
        out[k] = nil
      end
    end
  end
  return out
end
_M.process_auto_fields = process_auto_fields

local stats = ngx.shared.kong_harness

-- Test control: a configuration committed by "another process" once this
-- many pages have been read, inside the next page, between its keys and its
-- items (POST /_harness/commit_during_read).
local function maybe_commit_meanwhile(name)
  local after = stats:get("inject:after_pages")
  if not after or name ~= stats:get("inject:type") or (stats:get("stats:pages:" .. name) or 0) < after then
    return
  end
  stats:delete("inject:after_pages")
  local t = require("cjson.safe").decode(stats:get("inject:config") or "")
  local entities = t and require("harness.declarative_config"):parse_table(t)
  if entities then
    store.commit(entities, stats:get("inject:hash"))
  end
end

local dao_mt = {}
dao_mt.__index = dao_mt

-- kong/db/dao/init.lua DAO:each(size, options): rows one by one, a page of
-- `size` at a time. On 3.4 to 3.8 the strategy yields once per page and a
-- row gone mid-read is an error; from 3.9 nothing yields and the type ends
-- silently where a row is missing.
function dao_mt:each(size, options)
  if options ~= nil and type(options) ~= "table" then
    error("options must be a table", 2)
  end
  local profile = kong.harness.profile
  size = size or 1000 -- strategies/connector.lua page_size
  if size > profile.page_size then
    return nil, "size must be an integer between 1 and " .. profile.page_size
  end
  local nulls = options and options.nulls
  local name = self.schema.name
  local rows, next_offset = {}, nil
  local i = 0
  local started, finished = false, false
  return function()
    while true do
      if i < #rows then
        i = i + 1
        local row = buffer.decode(rows[i])
        row = process_auto_fields(self.schema, row, true)
        return process_auto_fields(self.schema, row, nulls)
      end
      if finished or (started and next_offset == nil) then
        return nil
      end
      started = true
      local vanished
      rows, next_offset, vanished = store.page(name, next_offset, size, function()
        maybe_commit_meanwhile(name)
        if profile.export_yields then
          ngx.sleep(0) -- kong/tools/yield.lua in page_for_key
        end
      end)
      i = 0
      stats:incr("stats:pages", 1, 0)
      stats:incr("stats:pages:" .. name, 1, 0)
      if size > (stats:get("stats:max_page:" .. name) or 0) then
        stats:set("stats:max_page:" .. name, size)
      end
      if vanished then
        if profile.export_yields then
          finished = true
          -- iteration.lua by_row: a failed page is `false, err`, which the
          -- caller's loop sees (nil would end it as if the type were done).
          return false, "stale data detected while paginating"
        end
        finished = true -- a hole: the rows before it, then nothing
      end
    end
  end
end

-- 3.6+: the same, with `export = true` for entities with a ttl.
local dao_with_export_mt = { __index = setmetatable({
  each_for_export = function(self, size, options)
    return self:each(size, options)
  end,
}, dao_mt) }

function _M.new()
  local db = { daos = {} }
  for _, name in ipairs(schemas.EXPORT_ORDER) do
    local schema = schemas.get(name)
    -- each_for_export came in 3.6 (kong/db/dao/init.lua).
    local dao = setmetatable({ schema = schema, pagination = { max_page_size = kong.harness.profile.page_size } },
      kong.harness.profile.each_for_export and dao_with_export_mt or dao_mt)
    db.daos[name] = dao
    db[name] = dao
  end
  return db
end

return _M

-- kong.db.declarative_config (kong/db/schema/others/declarative_config.lua,
-- through kong/db/declarative/init.lua parse_table): validates a declarative
-- configuration and flattens it into entities keyed by primary key, foreign
-- keys as {id = ...}, the default workspace inserted, defaults filled in.
local cjson = require("cjson.safe")
local schemas = require("harness.schemas")

local ngx = ngx
local null = ngx.null

local _M = {}

local FORMATS = { ["1.1"] = true, ["2.1"] = true, ["3.0"] = true }
local DEFAULT_WS_ID = "0dc6f45b-8f8d-40d2-a504-473544ee190b"

local function invalid(err_t)
  return nil, "declarative config is invalid: " .. cjson.encode(err_t), err_t
end

-- A random v4 uuid (kong/tools/uuid.lua), for entities given without an id.
local function uuid()
  local b = {}
  for i = 1, 16 do
    b[i] = math.random(0, 255)
  end
  b[7] = bit.bor(bit.band(b[7], 0x0f), 0x40)
  b[9] = bit.bor(bit.band(b[9], 0x3f), 0x80)
  return string.format("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", unpack(b))
end

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

-- The entity as Kong stores it: every schema field, defaults applied,
-- foreign keys {id = ...} (a string id, or a table as an export or a
-- nested definition gives it).
local function flatten_row(schema, row, now)
  local out = {}
  for _, field in ipairs(schema.fields) do
    local v = row[field.name]
    if field.reference then
      if type(v) == "string" then
        v = { id = v }
      elseif type(v) == "table" and v.id then
        v = { id = v.id }
      elseif v == nil then
        v = field.default
      end
    elseif v == nil then
      if field.default == "auto_timestamp_s" then
        v = now
      elseif field.default == "auto_timestamp_ms" then
        v = now + 0.0
      else
        v = copy(field.default)
      end
    end
    out[field.name] = v
  end
  for k, v in pairs(row) do
    if out[k] == nil then
      out[k] = copy(v)
    end
  end
  out.id = out.id or uuid()
  return out
end

-- Entities declared inside their parent (declarative_config.lua
-- populate_references / flatten): child type -> the child's foreign key.
local NESTED = {
  services = { routes = "service", plugins = "service" },
  routes = { plugins = "route" },
  consumers = { plugins = "consumer" },
  upstreams = { targets = "upstream" },
  certificates = { snis = "certificate" },
}

-- services' url shorthand (entities/services.lua shorthand_fields): the URL
-- becomes protocol, host, port and path.
local function expand_url(row)
  if type(row.url) ~= "string" then
    return
  end
  local protocol, host, port, path = row.url:match("^(%a+)://([^:/]+):?(%d*)(/?.*)$")
  if protocol then
    row.protocol, row.host = protocol, host
    row.port = tonumber(port) or (protocol == "https" and 443 or 80)
    row.path = path ~= "" and path ~= "/" and path or nil
  end
  row.url = nil
end

-- Moves nested entities to the top level with their parent's id, as Kong
-- flattens a declarative configuration.
local function unnest(dc_table)
  local queue = {}
  for key, rows in pairs(dc_table) do
    if NESTED[key] and type(rows) == "table" then
      queue[#queue + 1] = key
    end
  end
  local i = 1
  while queue[i] do
    local parent_type = queue[i]
    for _, parent in ipairs(dc_table[parent_type]) do
      if type(parent) == "table" then
        parent.id = parent.id or uuid()
        for child_type, fk in pairs(NESTED[parent_type]) do
          local children = parent[child_type]
          if type(children) == "table" then
            parent[child_type] = nil
            dc_table[child_type] = dc_table[child_type] or {}
            for _, child in ipairs(children) do
              child[fk] = child[fk] or { id = parent.id }
              table.insert(dc_table[child_type], child)
            end
            if NESTED[child_type] then
              queue[#queue + 1] = child_type
            end
          end
        end
      end
    end
    i = i + 1
  end
end

local function loaded_plugins()
  local set = {}
  for _, name in ipairs(kong.harness.loaded_plugins) do
    set[name] = true
  end
  return set
end

--- init.lua parse_table(dc_table, hash): entities, nil, nil, meta, hash; or
-- nil, err, err_t. Raises on a non-table, as Kong does. Sets
-- dc_table._transform to true when absent (flatten mutates its input).
function _M:parse_table(dc_table, hash)
  if type(dc_table) ~= "table" then
    error("expected a table as input", 2)
  end
  if not FORMATS[dc_table._format_version] then
    return invalid({ _format_version = "expected one of: 1.1, 2.1, 3.0" })
  end
  if dc_table._transform == nil then
    dc_table._transform = true
  end
  local plugins = loaded_plugins()
  unnest(dc_table)
  for _, row in ipairs(type(dc_table.services) == "table" and dc_table.services or {}) do
    if type(row) == "table" then
      expand_url(row)
    end
  end
  local entities, meta = {}, {}
  local now = ngx.time()
  for key, value in pairs(dc_table) do
    if key:sub(1, 1) == "_" then
      meta[key] = value
    else
      local schema = schemas.get(key)
      if not schema or schema.db_export == false then
        return invalid({ [key] = "unknown field" })
      end
      if type(value) ~= "table" then
        return invalid({ [key] = "expected an array" })
      end
      entities[key] = entities[key] or {}
      for i, row in ipairs(value) do
        if type(row) ~= "table" then
          return invalid({ [key] = { [tostring(i)] = "expected a record" } })
        end
        if key == "services" and not row.host and not row.url then
          return invalid({ services = { [tostring(i)] = { host = "required field missing" } } })
        end
        if key == "plugins" and not plugins[row.name] then
          -- kong/db/schema/entities/plugins.lua: the subschema error
          return invalid({ plugins = { [tostring(i)] = {
            name = "plugin '" .. tostring(row.name) .. "' not enabled; add it to the 'plugins' configuration property" } } })
        end
        local flat = flatten_row(schema, row, now)
        entities[key][flat.id] = flat
      end
    end
  end
  -- declarative_config.lua insert_default_workspace_if_not_given
  if not entities.workspaces or next(entities.workspaces) == nil then
    entities.workspaces = { [DEFAULT_WS_ID] = flatten_row(schemas.get("workspaces"),
      { id = DEFAULT_WS_ID, name = "default" }, now) }
  end
  hash = hash or ngx.md5(cjson.encode({ entities, meta }))
  return entities, nil, nil, meta, hash
end

_M.DEFAULT_WS_ID = DEFAULT_WS_ID

return _M

-- kong.db.plugins:each(size, options), as the plugin reads its own global
-- config with it: rows without nulls, foreign keys as {id = ...}, and vault
-- references in referenceable fields resolved, except on a control plane and
-- except with `nulls` (kong/db/schema/init.lua process_auto_fields resolves
-- only `if is_select and not nulls`, and only when
-- kong.configuration.role ~= "control_plane"). Which fields are referenceable
-- comes from the plugin's own schema, as in Kong.
local _M = {}

local function referenceable_fields(plugin_name)
  local ok, schema = pcall(require, "kong.plugins." .. plugin_name .. ".schema")
  local out = {}
  if not ok then
    return out
  end
  for _, f in ipairs(schema.fields) do
    if f.config then
      for _, cf in ipairs(f.config.fields) do
        local name, def = next(cf)
        if def.referenceable or (def.values and def.values.referenceable) then
          out[name] = def
        end
      end
    end
  end
  return out
end

local function resolve(row)
  if kong.configuration.role == "control_plane" or type(row.config) ~= "table" then
    return row
  end
  for name, def in pairs(referenceable_fields(row.name)) do
    local v = row.config[name]
    if def.type == "string" and kong.vault.is_reference(v) then
      row.config[name] = kong.vault.get(v)
    elseif def.type == "map" and type(v) == "table" then
      for k, x in pairs(v) do
        if kong.vault.is_reference(x) then
          v[k] = kong.vault.get(x)
        end
      end
    end
  end
  return row
end

function _M.wrap(dao)
  local wrapped = setmetatable({}, { __index = dao })
  function wrapped:each(size, options)
    if options ~= nil and type(options) ~= "table" then
      error("options must be a table", 2)
    end
    ngx.shared.kong_harness:incr("stats:plugins_each", 1, 0) -- what a push_config storm costs
    local iter, err = dao:each(size, options)
    if not iter then
      return nil, err
    end
    -- With nulls (an export) nothing is resolved: schema/init.lua resolves
    -- only `if is_select and not nulls`.
    local resolving = not (options and options.nulls)
    return function()
      local row, row_err = iter()
      if row and resolving then
        return resolve(row)
      end
      return row, row_err
    end
  end
  return wrapped
end

return _M

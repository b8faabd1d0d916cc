-- kong.db.declarative_config: parse_table checks a declarative configuration
-- the way the tests need (Kong's own check is the full schema).
local cjson = require("cjson.safe")

local ENTITIES = {
  services = true, routes = true, consumers = true, plugins = true, upstreams = true,
  targets = true, certificates = true, ca_certificates = true, snis = true,
  consumer_groups = true, vaults = true, keys = true, key_sets = true,
}
local FORMATS = { ["1.1"] = true, ["2.1"] = true, ["3.0"] = true }

local _M = {}

local function invalid(err_t)
  return nil, "declarative config is invalid: " .. cjson.encode(err_t), err_t
end

--- Returns entities, nil, nil, meta, hash; or nil, err, err_t.
function _M:parse_table(dc_table, hash)
  if type(dc_table) ~= "table" then
    error("expected a table as input", 2)
  end
  if not FORMATS[dc_table._format_version] then
    return invalid({ _format_version = "expected one of: 1.1, 2.1, 3.0" })
  end
  local entities, meta = {}, {}
  for key, value in pairs(dc_table) do
    if key:sub(1, 1) == "_" then
      meta[key] = value
    elseif not ENTITIES[key] then
      return invalid({ [key] = "unknown field" })
    elseif type(value) ~= "table" then
      return invalid({ [key] = "expected an array" })
    else
      for i, row in ipairs(value) do
        if type(row) ~= "table" then
          return invalid({ [key] = { [tostring(i)] = "expected a record" } })
        end
        if key == "services" and not row.host and not row.url then
          return invalid({ services = { [tostring(i)] = { host = "required field missing" } } })
        end
      end
      entities[key] = value
    end
  end
  hash = hash or ngx.md5(cjson.encode({ entities, meta }))
  return entities, nil, nil, meta, hash
end

return _M

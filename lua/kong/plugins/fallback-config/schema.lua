-- The plugin's declarative config: the settings every node shares (storage,
-- export delay, import grace, S3 PutObject parameters), the rows of the
-- library's table of settings that have a plugin config field. Which node
-- exports or imports, and the credentials, come from each node's
-- environment, which also wins over these fields. Global only: no service,
-- route or consumer. Limits, descriptions and checks come from the table, so
-- the Admin API refuses what the plugin would.

local typedefs = require("kong.db.schema.typedefs")
local native = require("kong.plugins.fallback-config.native")
local settings = require("kong.plugins.fallback-config.settings")

local ROWS = {}
for _, row in ipairs(native.settings_table()) do
  if row.plugin_field then
    ROWS[row.plugin_field] = row
  end
end

local function description(row)
  return row.help .. ". " .. row.variables[1] .. " wins over it" .. (row.default and ("; default " .. row.default) or "") .. "."
end

-- The library's own check of a value, with Kong's wording: the field is named
-- by Kong, so the message starts after it.
local function library_check(row)
  return function(value)
    local s = assert(native.new_settings())
    local ok, err = s:set(row.name, settings.plugin_value_text(value), "value")
    s:free()
    if ok then
      return true
    end
    return nil, (err:gsub("^value:? ", ""))
  end
end

-- Numbers are checked by the library too: Kong's own `between` would word a
-- 0.001 minimum as "between 0 and ..." (it formats with %d).
local function seconds(row)
  return { description = description(row), type = "number", required = false, custom_validator = library_check(row) }
end

-- The map's values are strings a vault may hold; the SSE-C key has a field of
-- its own, because Kong EE's keyring encrypts string fields only (never a
-- map's values), and it is a secret.
local function put_params_check(map)
  if map.SSECustomerKey ~= nil then
    return nil, "SSECustomerKey goes in s3_sse_customer_key (encrypted at rest), not in this map"
  end
  -- Kong validates a write with vault references unresolved: a referenced
  -- value is checked once resolved, when the plugin reads its config.
  local concrete = {}
  for k, v in pairs(map) do
    if not (kong and kong.vault and kong.vault.is_reference(v)) and not (type(v) == "string" and v:match("^{vault://")) then
      concrete[k] = v
    end
  end
  return library_check(ROWS.s3_put_params)(concrete)
end

-- Global only: no route, service or consumer, nor (Kong Enterprise only, its
-- typedefs) consumer group.
local fields = {
  { consumer = typedefs.no_consumer },
  { service = typedefs.no_service },
  { route = typedefs.no_route },
}
if typedefs.no_consumer_group then
  fields[#fields + 1] = { consumer_group = typedefs.no_consumer_group }
end
fields[#fields + 1] = { protocols = typedefs.protocols_http }
fields[#fields + 1] = {
  config = {
    type = "record",
    fields = {
      { storage = { description = description(ROWS.storage), type = "string", required = false,
          referenceable = true, custom_validator = library_check(ROWS.storage) } },
      { export_delay = seconds(ROWS.export_delay) },
      { import_grace = seconds(ROWS.import_grace) },
      { s3_put_params = { description = description(ROWS.s3_put_params), type = "map", required = false,
          keys = { type = "string" },
          values = { type = "string", referenceable = true },
          custom_validator = put_params_check } },
      { s3_sse_customer_key = { description = "SSECustomerKey of the S3 parameters: the base64 key of SSE-C "
            .. "encryption. A secret: encrypted at rest where Kong's keyring is on, or a vault reference.",
          type = "string", required = false, encrypted = true, referenceable = true,
          custom_validator = function(key)
            return library_check(ROWS.s3_put_params)({ SSECustomerKey = key })
          end } },
    },
  },
}

return {
  name = "fallback-config",
  fields = fields,
}

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

local function seconds(row)
  return { description = description(row), type = "number", required = false, between = { row.min, row.max } }
end

return {
  name = "fallback-config",
  fields = {
    { consumer = typedefs.no_consumer },
    { service = typedefs.no_service },
    { route = typedefs.no_route },
    { protocols = typedefs.protocols_http },
    { config = {
        type = "record",
        fields = {
          { storage = { description = description(ROWS.storage), type = "string", required = false,
              referenceable = true, custom_validator = library_check(ROWS.storage) } },
          { export_delay = seconds(ROWS.export_delay) },
          { import_grace = seconds(ROWS.import_grace) },
          -- Values can hold a secret (SSECustomerKey): vault references, and
          -- encrypted at rest where Kong's keyring is on.
          { s3_put_params = { description = description(ROWS.s3_put_params), type = "map", required = false,
              keys = { type = "string" },
              values = { type = "string", referenceable = true, encrypted = true },
              custom_validator = library_check(ROWS.s3_put_params) } },
        },
      },
    },
  },
}

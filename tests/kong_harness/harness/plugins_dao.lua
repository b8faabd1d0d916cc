-- kong.db.plugins: iterates the plugins of the running configuration.
local declarative = require("kong.db.declarative")

local _M = {}

function _M:each(_, opts) -- luacheck: ignore 212
  assert(opts == nil or type(opts) == "table", "options must be a table")
  local config = declarative.export_config() or {}
  local rows = config.plugins or {}
  local i = 0
  return function()
    i = i + 1
    local row = rows[i]
    if row == nil then
      return nil
    end
    return row, nil, 1
  end
end

return _M

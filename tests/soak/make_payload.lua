-- Writes a declarative configuration serialized by the plugin's own
-- serializer (the bytes fc_client_put_async_serialized receives from the
-- exporter) to stdout. Usage: luajit make_payload.lua [SERVICES]
-- (package.path must reach lua/, as export_soak.sh sets it).
local serializer = require("kong.plugins.fallback-config.serializer")

local n = tonumber(arg[1]) or 50
local config = { _format_version = "3.0", _transform = true, services = {}, routes = {}, plugins = {} }
for i = 1, n do
  local id = string.format("00000000-0000-4000-8000-%012d", i)
  config.services[i] = {
    id = id, name = "service-" .. i, host = "upstream-" .. i .. ".internal", port = 8000 + i % 100,
    protocol = "http", path = "/v" .. (i % 3), retries = 5, connect_timeout = 60000,
    write_timeout = 60000, read_timeout = 60000, enabled = true, tags = { "soak", "team-" .. (i % 7) },
  }
  config.routes[i] = {
    id = string.format("10000000-0000-4000-8000-%012d", i), name = "route-" .. i, service = { id = id },
    paths = { "/api/" .. i, "/alt/" .. i }, methods = { "GET", "POST" }, strip_path = true,
    preserve_host = false, regex_priority = 0, https_redirect_status_code = 426, protocols = { "http", "https" },
  }
  if i % 5 == 0 then
    config.plugins[#config.plugins + 1] = {
      id = string.format("20000000-0000-4000-8000-%012d", i), name = "rate-limiting", service = { id = id },
      config = { minute = 60 + i, policy = "local", fault_tolerant = true, hide_client_headers = false },
      enabled = true, protocols = { "http", "https" },
    }
  end
end

local buf = assert(serializer.serialize(config))
io.stdout:write(buf:tostring())
buf:free()

-- luajit bench/make_config.lua MEGABYTES > config.json
-- A realistic declarative configuration of about MEGABYTES: services, each with
-- a route, some with plugins, consumers with credentials.
local cjson = require("cjson")
local target = tonumber(arg[1] or "16") * 1024 * 1024

local services, routes, plugins, consumers = {}, {}, {}, {}
local size, i = 0, 0
local function uuid(kind, n)
  return string.format("%08x-%04x-4%03x-8%03x-%012x", n, kind, n % 4096, (n * 7) % 4096, n * 2654435761 % 2 ^ 48)
end
while size < target do
  i = i + 1
  local sid = uuid(1, i)
  services[#services + 1] = { id = sid, name = "svc-" .. i, protocol = "http", host = "upstream-" .. i .. ".svc.cluster.local",
    port = 8000 + i % 1000, path = "/api/v" .. (i % 3 + 1), retries = 5, connect_timeout = 60000,
    read_timeout = 60000, write_timeout = 60000, enabled = true, tags = { "team-" .. i % 40, "tier-" .. i % 3 } }
  routes[#routes + 1] = { id = uuid(2, i), name = "route-" .. i, service = { id = sid },
    paths = { "/svc-" .. i, "/v2/svc-" .. i }, methods = { "GET", "POST", "PUT" }, hosts = { "api-" .. i % 50 .. ".example.com" },
    protocols = { "http", "https" }, strip_path = true, preserve_host = false, regex_priority = 0,
    https_redirect_status_code = 426, request_buffering = true, response_buffering = true }
  size = size + #cjson.encode(services[#services]) + #cjson.encode(routes[#routes]) + 2
  if i % 5 == 0 then
    plugins[#plugins + 1] = { id = uuid(3, i), name = "rate-limiting", service = { id = sid }, enabled = true,
      protocols = { "http", "https" }, config = { minute = 600, hour = 20000, policy = "local", limit_by = "consumer",
        fault_tolerant = true, hide_client_headers = false } }
    consumers[#consumers + 1] = { id = uuid(4, i), username = "consumer-" .. i, custom_id = "c-" .. i,
      tags = { "partner" }, keyauth_credentials = { { key = string.format("k%031x", i * 2654435761) } } }
    size = size + #cjson.encode(plugins[#plugins]) + #cjson.encode(consumers[#consumers]) + 2
  end
end
io.write(cjson.encode({ _format_version = "3.0", _transform = true, services = services, routes = routes,
  plugins = plugins, consumers = consumers }))

-- The test's hand on the node: what a control plane would send, and a look
-- at what the node runs.
local cjson = require("cjson.safe")
local declarative = require("kong.db.declarative")

local ngx = ngx

local function reply(status, body)
  ngx.status = status
  ngx.header["Content-Type"] = "application/json"
  ngx.say(cjson.encode(body))
  return ngx.exit(status)
end

local function deliver_config()
  ngx.req.read_body()
  local body = ngx.req.get_body_data()
  if not body then
    local file = ngx.req.get_body_file()
    if file then
      local f = assert(io.open(file, "rb"))
      body = f:read("*a")
      f:close()
    end
  end
  local t = cjson.decode(body or "")
  if type(t) ~= "table" then
    return reply(400, { message = "not JSON" })
  end
  if kong.configuration.role == "control_plane" then
    -- The database changed; the control plane's event loop posts this.
    declarative.store(body, nil)
    kong.worker_events.post("clustering", "push_config")
    return reply(201, {})
  end
  -- A data plane applying its control plane's configuration
  -- (kong.clustering.config_helper.update).
  local entities, err, _, meta, hash = kong.db.declarative_config:parse_table(t)
  if not entities then
    return reply(400, { message = err })
  end
  local ok, load_err, retry_after = declarative.load_into_cache_with_events(entities, meta, hash)
  if not ok then
    return reply(503, { message = load_err, retry_after = retry_after })
  end
  return reply(201, { hash = hash })
end

local routes = {
  ["POST /_harness/config"] = deliver_config,
  ["GET /_harness/config"] = function()
    local hash = declarative.get_current_hash()
    ngx.header["X-Config-Hash"] = hash or ""
    ngx.header["Content-Type"] = "application/json"
    ngx.print(cjson.encode(declarative.export_config()))
  end,
  -- A new configuration hash with the same content (the benchmark's change:
  -- what Kong's hash says changed, without the harness decoding anything).
  ["POST /_harness/touch"] = function()
    local n = ngx.shared.kong_harness:incr("touch", 1, 0)
    local hash = ngx.md5("touch " .. n)
    ngx.shared.kong_harness:set("declarative:hash", hash)
    kong.worker_events.post("declarative", "reconfigure", { "default", hash, hash, hash })
    return reply(201, { hash = hash })
  end,
  ["POST /_harness/lock"] = function()
    local ttl = tonumber(ngx.var.arg_ttl) or 5
    return reply(declarative.hold_lock(ttl) and 201 or 409, {})
  end,
}

return function()
  local handler = routes[ngx.req.get_method() .. " " .. ngx.var.uri]
  if not handler then
    return reply(404, { message = "no such harness endpoint" })
  end
  return handler()
end

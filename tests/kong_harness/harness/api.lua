-- The test's hand on a node: what a control plane sends, and a look at what
-- the node runs.
local cjson = require("cjson.safe")
local declarative = require("kong.db.declarative")
local clustering = require("harness.clustering")
local store = require("harness.store")

local ngx = ngx

local function reply(status, body)
  local json = cjson.encode(body) .. "\n"
  ngx.status = status
  ngx.header["Content-Type"] = "application/json"
  ngx.header["Content-Length"] = #json -- the data plane's client reads by length
  ngx.print(json)
  return ngx.exit(status)
end

local function read_body()
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
  return body
end

-- A DB-less node's POST /config (api/routes/config.lua): parsed and loaded
-- with no hashes, so every worker rebuilds everything, the same
-- configuration included.
local LOAD_REFUSED = { busy = 429, locked = 429, timeout = 504, exiting = 503, ["map full"] = 413 }

local function load_config(t)
  local entities, err, _, meta, new_hash = kong.db.declarative_config:parse_table(t)
  if not entities then
    return reply(400, { message = err })
  end
  local ok
  ok, err = declarative.load_into_cache_with_events(entities, meta, new_hash)
  if not ok then
    return reply(LOAD_REFUSED[err] or 500, { message = err })
  end
  return reply(201, { hash = declarative.get_current_hash() })
end

-- POST /_harness/config: on a control plane, the Admin API changed the
-- database; on a DB-less node, its Admin API's /config; on a data plane, a
-- reconfigure frame from its control plane, applied as data_plane.lua does
-- (config_helper.update; a refusal is logged and the frame dropped).
local function deliver_config()
  local t = cjson.decode(read_body() or "")
  if type(t) ~= "table" then
    return reply(400, { message = "not JSON" })
  end
  if kong.configuration.role == "control_plane" then
    local changed, err = clustering.admin_change(t)
    if not changed then
      return reply(400, { message = err })
    end
    return reply(201, { changed = changed })
  end
  if kong.configuration.role == "traditional" and kong.configuration.database == "off" then
    return load_config(t)
  end
  local ok, err = clustering.apply(t)
  if not ok then
    ngx.log(ngx.ERR, "[clustering] unable to update running config: ", err)
    return reply(503, { message = err })
  end
  return reply(201, { hash = declarative.get_current_hash() })
end

local routes = {
  ["POST /_harness/config"] = deliver_config,
  ["GET /_harness/config"] = function()
    local hash = declarative.get_current_hash()
    ngx.header["X-Config-Hash"] = hash or ""
    ngx.header["Content-Type"] = "application/json"
    ngx.print(cjson.encode(declarative.export_config()))
  end,
  -- What this worker's http proxy runs.
  ["GET /_harness/router"] = function()
    return reply(200, { hash = require("harness.router").hash(), stored = store.hash() })
  end,
  -- The benchmark's change: a control plane's update that changed the routes
  -- only (a new configuration hash and router hash; the plugins' and the
  -- balancer's as before). Kong writes LMDB in the privileged agent, a process
  -- that proxies nothing; the proxying worker that serves this request must
  -- not pay for it, so only the hash moves.
  ["POST /_harness/touch"] = function()
    local d = ngx.shared.kong_harness
    local n = d:incr("touch", 1, 0)
    local hash = ngx.md5("touch " .. n)
    store.set_hash(hash)
    declarative.post_reconfigure(require("harness.declarative_config").DEFAULT_WS_ID, ngx.md5("router " .. n),
      d:get("reconfigure:plugins_hash"), d:get("reconfigure:balancer_hash"))
    return reply(201, { hash = hash })
  end,
  ["POST /_harness/lock"] = function()
    local ttl = tonumber(ngx.var.arg_ttl) or 5
    return reply(declarative.hold_lock(ttl) and 201 or 409, {})
  end,
  ["GET /_harness/stats"] = function()
    local d = ngx.shared.kong_harness
    return reply(200, { pages = d:get("stats:pages") or 0, max_page_services = d:get("stats:max_page:services") or 0,
                        plugins_each = d:get("stats:plugins_each") or 0 })
  end,
  -- Another process commits this configuration once the node has read this
  -- many more pages of one entity type (an export in progress sees it land
  -- mid-read): ?type=services&after_pages=1.
  ["POST /_harness/commit_during_read"] = function()
    local d = ngx.shared.kong_harness
    local name = ngx.var.arg_type or "services"
    d:set("inject:config", read_body())
    d:set("inject:hash", ngx.md5("injected " .. ngx.now()))
    d:set("inject:type", name)
    d:set("inject:after_pages", (d:get("stats:pages:" .. name) or 0) + (tonumber(ngx.var.arg_after_pages) or 1))
    return reply(201, {})
  end,
  ["GET /_harness/cp/config"] = function()
    local msg = clustering.serve_config()
    if not msg then
      return ngx.exit(204)
    end
    return reply(200, msg)
  end,
  ["GET /_harness/cp/delta"] = function()
    return reply(200, clustering.serve_delta())
  end,
}

return function()
  local handler = routes[ngx.req.get_method() .. " " .. ngx.var.uri]
  if not handler then
    return reply(404, { message = "no such harness endpoint" })
  end
  return handler()
end

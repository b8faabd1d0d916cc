-- Kong's stream subsystem. With stream_listen set, Kong runs Kong.init() and
-- Kong.init_worker() a second time, in the stream module's Lua VM, in the
-- same worker processes (kong/templates/nginx_kong_stream.lua): every
-- plugin's handler is loaded and its init_worker runs there too, with
-- ngx.config.subsystem == "stream", ngx.shared proxied to the stream_-prefixed
-- dicts (so its own events and its own declarative lock), and the same LMDB.
-- After an http DB-less load, the http side relays declarative/reconfigure to
-- the stream side (runloop/events.lua declarative_reconfigure_notify over
-- stream_config.sock); nothing goes the other way.
--
-- Debian has no stream Lua module, so the stream side here is an isolated Lua
-- environment in the http VM: its own globals (kong, ngx), its own module
-- instances (package.loaded), its own shared dicts; the LMDB stand-in and the
-- native library are shared, as in Kong.
local _M = {}

local real_ngx = ngx
local env -- the stream side's globals, when stream_listen is set

-- Modules the stream side shares with the http side: C and core modules, and
-- the LMDB stand-in (one LMDB per node).
local SHARED = {
  ffi = true, jit = true, bit = true, ["string.buffer"] = true, ["cjson"] = true, ["cjson.safe"] = true,
  ["harness.store"] = true, ["harness.profile"] = true, ["harness.schemas"] = true,
}

local function stream_ngx()
  local shared = setmetatable({}, {
    __index = function(_, k)
      return real_ngx.shared["stream_" .. k]
    end,
  })
  local config = setmetatable({ subsystem = "stream" }, { __index = real_ngx.config })
  return setmetatable({ shared = shared, config = config }, { __index = real_ngx })
end

local function sandbox()
  local g = setmetatable({}, { __index = _G })
  local loaded = {}
  g._G = g
  g.ngx = stream_ngx()
  g.package = setmetatable({ loaded = loaded }, { __index = package })
  g.require = function(name)
    if SHARED[name] or name:match("^resty%.") or name:match("^ngx%.") then
      return require(name)
    end
    if loaded[name] ~= nil then
      return loaded[name]
    end
    local path = assert(package.searchpath(name, package.path))
    local chunk = assert(loadfile(path))
    setfenv(chunk, g)
    local result = chunk(name)
    if result == nil then
      result = true
    end
    loaded[name] = result
    return result
  end
  return g
end

--- Kong.init() in the stream VM, when the node has stream listeners.
function _M.init(build_kong)
  if #kong.configuration.stream_listeners == 0 then
    return
  end
  env = sandbox()
  env.kong = build_kong(env)
  env.kong.db.declarative_config = kong.db.declarative_config and env.require("harness.declarative_config") or nil
  env.plugin = env.require("kong.plugins.fallback-config.handler")
end

--- Kong.init_worker() in the stream VM: the events, then every plugin's init_worker.
function _M.init_worker()
  if not env then
    return
  end
  env.kong.worker_events.start()
  local ok, err = pcall(env.plugin.init_worker, env.plugin)
  if not ok then
    real_ngx.log(real_ngx.ERR, "[kong] stream: failed to run init_worker of fallback-config: ", err)
  end
end

--- The http side's relay of a DB-less load to the stream side.
function _M.relay_reconfigure(default_ws)
  if not env then -- no stream listeners, or this is the stream side's own load
    return
  end
  env.kong.worker_events.broadcast("declarative", "reconfigure", { default_ws })
end

return _M

-- Builds the `kong` global with the parts of Kong's PDK the plugin uses, and
-- runs the plugin's handler the way Kong does: the module is loaded in the
-- init phase (master process), init_worker runs in every worker.
local ngx = ngx

local _M = {}

local function logger(level)
  return function(...)
    local parts = { ... }
    for i = 1, select("#", ...) do
      parts[i] = tostring(parts[i])
    end
    -- Kong's core logger writes "[kong] file:line message"; the file and line
    -- are not worth faking.
    ngx.log(level, "[kong] ", table.concat(parts))
  end
end

local function env(name, default)
  local v = os.getenv(name)
  return (v and v ~= "") and v or default
end

function _M.init()
  local declarative = require("kong.db.declarative")
  -- Read in the master: workers see only the variables `env` directives name.
  local node_id = env("KONG_HARNESS_NODE_ID", "00000000-0000-4000-8000-00000000000a")
  _G.kong = {
    version = env("KONG_HARNESS_VERSION", "3.9.1"),
    configuration = {
      role = env("KONG_ROLE", "data_plane"),
      database = env("KONG_DATABASE", "off"),
    },
    node = {
      get_id = function()
        return node_id
      end,
    },
    log = {
      err = logger(ngx.ERR), warn = logger(ngx.WARN), notice = logger(ngx.NOTICE),
      info = logger(ngx.INFO), debug = logger(ngx.DEBUG),
    },
    worker_events = require("harness.worker_events"),
    db = {
      plugins = require("harness.plugins_dao"),
    },
  }
  if kong.configuration.database == "off" then
    kong.db.declarative_config = require("harness.declarative_config")
    -- A DB-less node starts on the empty configuration (no events), unless
    -- one was kept on disk: KONG_HARNESS_INITIAL_CONFIG plays that part.
    local initial = env("KONG_HARNESS_INITIAL_CONFIG")
    if initial then
      local f = assert(io.open(initial, "rb"))
      declarative.store(f:read("*a"), ngx.md5(initial))
      f:close()
    elseif not declarative.get_current_hash() then
      declarative.store('{"_format_version":"3.0"}', nil)
    end
  end
  -- Kong loads every enabled plugin's handler here, in the master process.
  _M.plugin = require("kong.plugins.fallback-config.handler")
end

function _M.init_worker()
  kong.worker_events.start()
  local ok, err = pcall(_M.plugin.init_worker, _M.plugin)
  if not ok then
    ngx.log(ngx.ERR, "[kong] failed to run init_worker of fallback-config: ", err)
  end
end

return _M

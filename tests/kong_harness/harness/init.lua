-- Builds the `kong` global with the parts of Kong the plugin uses, and runs
-- the plugin the way Kong does (kong/init.lua): the handler module is loaded
-- in the init phase, in the master process, after the PDK; init_worker runs
-- in every worker for every loaded plugin, but never in the privileged agent;
-- the stream subsystem does all of it again (harness/stream.lua).
local ngx = ngx

local _M = {}

local function env(name, default)
  local v = os.getenv(name)
  return (v and v ~= "") and v or default
end

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

-- constants.lua BUNDLED_PLUGINS (enough of it for the tests' configurations).
local BUNDLED = { "acl", "basic-auth", "correlation-id", "cors", "file-log", "http-log", "ip-restriction",
                  "jwt", "key-auth", "prometheus", "rate-limiting", "request-transformer",
                  "response-transformer", "tcp-log" }

local function loaded_plugins(list)
  local out = {}
  for name in list:gmatch("[^,%s]+") do
    if name == "bundled" then
      for _, b in ipairs(BUNDLED) do
        out[#out + 1] = b
      end
    else
      out[#out + 1] = name
    end
  end
  return out
end

-- Read in the master: workers see only the variables `env` directives name.
local NODE_ID = env("KONG_HARNESS_NODE_ID", "00000000-0000-4000-8000-00000000000a")
local PROFILE_NAME = env("KONG_HARNESS_PROFILE", "3.9")
local PLUGINS = env("KONG_PLUGINS", "bundled,fallback-config")
local INITIAL_CONFIG = env("KONG_HARNESS_INITIAL_CONFIG")
local VERSION = env("KONG_HARNESS_VERSION")

-- The kong global for one VM; `req` is that VM's require.
local function build_kong(g)
  local req = g and g.require or require
  local profile = req("harness.profile").get(PROFILE_NAME)
  local configuration = req("harness.configuration").new(profile)
  local k = {
    version = VERSION or profile.version,
    configuration = configuration,
    node = {
      get_id = function()
        return NODE_ID
      end,
    },
    log = {
      err = logger(ngx.ERR), warn = logger(ngx.WARN), notice = logger(ngx.NOTICE),
      info = logger(ngx.INFO), debug = logger(ngx.DEBUG),
    },
    worker_events = req("harness.worker_events"),
    vault = req("harness.vault"),
    harness = { profile = profile, loaded_plugins = loaded_plugins(PLUGINS) },
  }
  return k
end

function _M.init()
  _G.kong = build_kong()
  require("harness.clustering") -- reads its test controls from the environment, here
  local db = require("harness.db")
  kong.db = db.new()
  kong.db.plugins = require("harness.plugins_dao").wrap(kong.db.plugins)
  require("harness.vault").capture()
  local conf = kong.configuration
  -- A DB-less node starts on what LMDB kept (KONG_HARNESS_INITIAL_CONFIG
  -- plays a persisted configuration), else on the empty one: the default
  -- workspace, hash 32 zeros (init.lua parse_declarative_config,
  -- load_declarative_config); no event either way. A DB-backed node's
  -- database (the same store here) holds the default workspace.
  local declarative_config = require("harness.declarative_config")
  local store = require("harness.store")
  local t = { _format_version = "3.0" }
  local hash = store.EMPTY_HASH
  if INITIAL_CONFIG and conf.database == "off" then
    local f = assert(io.open(INITIAL_CONFIG, "rb"))
    t = assert(require("cjson.safe").decode(f:read("*a")))
    f:close()
    hash = ngx.md5(INITIAL_CONFIG)
  end
  store.commit(assert(declarative_config:parse_table(t)), hash)
  -- kong/init.lua: kong.db.declarative_config is created after the plugins'
  -- schemas and handlers are loaded (nil while the handler module loads),
  -- on DB-less nodes only.
  if conf.database == "off" then
    _M.declarative_config = declarative_config
  end
  -- Kong loads every enabled plugin's handler here, in the master process.
  _M.plugin = require("kong.plugins.fallback-config.handler")
  kong.db.declarative_config = _M.declarative_config
  require("harness.stream").init(function(g)
    local k = build_kong(g)
    k.db = g.require("harness.db").new()
    k.db.plugins = g.require("harness.plugins_dao").wrap(k.db.plugins)
    return k
  end)
  store.close() -- the workers open their own (LMDB is not used across fork)
end

-- Which process applies a data plane's configuration. Kong: the privileged
-- agent when dedicated_config_processing is on (3.5+ default, sync v1 only),
-- else worker 0 (clustering/utils.lua is_dp_worker_process). Debian's nginx
-- lacks OpenResty's privileged-agent patch, so the harness's stand-in for the
-- agent is the last worker: another process than worker 0, as the agent is,
-- whose commits can land while worker 0 reads.
local function applies_here(clustering)
  local conf = kong.configuration
  if conf.role ~= "data_plane" then
    return false
  end
  if conf.dedicated_config_processing and not clustering.sync_v2() then
    return ngx.worker.id() == ngx.worker.count() - 1
  end
  return ngx.worker.id() == 0
end

function _M.init_worker()
  kong.worker_events.start()
  local clustering = require("harness.clustering")
  if applies_here(clustering) then
    clustering.start_data_plane()
  end
  require("harness.router").init_worker()
  local ok, err = pcall(_M.plugin.init_worker, _M.plugin)
  if not ok then
    ngx.log(ngx.ERR, "[kong] failed to run init_worker of fallback-config: ", err)
  end
  require("harness.stream").init_worker()
end

return _M

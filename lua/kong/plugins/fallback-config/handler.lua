-- fallback-config: Kong Enterprise's cluster fallback configuration as an
-- open plugin. The backup node uploads every new configuration to object
-- storage; a new data plane that cannot reach its control plane downloads it
-- and starts proxying. All the work happens in worker 0, in timers; all
-- storage I/O runs on the native library's worker thread.

local settings = require("kong.plugins.fallback-config.settings")
local native = require("kong.plugins.fallback-config.native")
local exporter = require("kong.plugins.fallback-config.exporter")
local importer = require("kong.plugins.fallback-config.importer")

local ngx = ngx
local kong = kong

-- Read now, in the init phase: the master process still has the whole
-- environment; nginx workers only keep what `env` directives name, and Kong
-- drops unknown KONG_* variables from kong.configuration.
local ENV = settings.read_env()

local FallbackConfig = {
  PRIORITY = 5, -- no request phases: the number only has to be unique
  VERSION = native._VERSION,
}

local PLUGIN_NAME = "fallback-config"
local ALL_WORKSPACES = { workspace = ngx.null }

local function log(level, fmt, ...)
  kong.log[level]("[" .. PLUGIN_NAME .. "] " .. string.format(fmt, ...))
end

-- The global fallback-config plugin's config, if the running configuration
-- has one (only the shared settings come from there; the environment wins).
local function plugin_conf()
  local dao = kong.db and kong.db.plugins
  if not dao then
    return nil
  end
  for row, err in dao:each(nil, ALL_WORKSPACES) do
    if not row then
      log("warn", "cannot read the plugin's config, using the environment only: %s", tostring(err))
      return nil
    end
    if row.name == PLUGIN_NAME and row.enabled ~= false then
      return row.config
    end
  end
  return nil
end

-- Worker 0's state.
local state = {
  client_key = nil, -- the settings the current client was built with
  client = nil,
  exporter = nil,
  disabled_reason = nil,
}

-- Builds (or keeps) the client for the resolved settings.
local function client_for(s)
  local node_id = kong.node.get_id()
  local key = s.key .. "\nuploader=" .. node_id
  if key ~= state.client_key then
    local ok, err = s.settings:set("uploader", node_id, "the node id (kong.node.get_id())")
    if not ok then
      return nil, err
    end
    local client
    client, err = s.settings:new_client()
    if not client then
      return nil, err
    end
    state.client, state.client_key = client, key
  end
  return state.client
end

local function disable(reason)
  if reason ~= state.disabled_reason then
    log("err", "disabled: %s", reason)
  end
  state.disabled_reason = reason
end

-- Resolves the settings again (the plugin's config may have changed with the
-- configuration) and brings the exporter in line. Returns the settings, or nil.
local function refresh()
  local conf = plugin_conf()
  local s, err, reason = settings.resolve(ENV, conf)
  if not s then
    if not conf and reason == "no_storage" and not importer.node_has_config() then
      -- A backup node may take its storage from the plugin's config, which
      -- comes with the first configuration: not an error yet.
      if state.disabled_reason == nil then
        log("notice", "waiting for the first configuration: %s", err)
        state.disabled_reason = err
      end
      return nil
    end
    disable(err)
    return nil
  end
  if not s.export and not s.import then
    s.settings:free()
    return s
  end
  local client
  client, err = client_for(s)
  s.settings:free() -- it holds the credentials: not a moment longer than needed
  if not client then
    disable(err)
    return nil
  end
  state.disabled_reason = nil
  if s.export then
    local url = client:config_url(kong.version)
    if state.exporter then
      state.exporter:reconfigure(client, url, s.export_delay, s.insecure_warning)
    else
      state.exporter = exporter.new({ client = client, version = kong.version, url = url,
        delay = s.export_delay, log = log, insecure_warning = s.insecure_warning })
    end
  end
  return s
end

local function on_configuration_change()
  local ok, err = ngx.timer.at(0, function(premature)
    if premature then
      return
    end
    local s = refresh()
    if s and s.export then
      state.exporter:configuration_changed()
    end
  end)
  if not ok then
    log("err", "cannot schedule the export: %s", err)
  end
end

local function start(premature)
  if premature then
    return
  end
  local s = refresh()
  if not s then
    return
  end
  local conf = kong.configuration or {}
  if s.export then
    -- Make sure storage holds what this node runs (a restart keeps no memory
    -- of what was uploaded); later changes arrive as events.
    if conf.role == "control_plane" or importer.node_has_config() then
      state.exporter:configuration_changed()
    end
  end
  if s.import then
    if conf.role ~= "data_plane" and conf.database ~= "off" then
      return disable("KONG_CLUSTER_FALLBACK_CONFIG_IMPORT needs a data plane or a DB-less node")
    end
    local client = state.client
    importer.new({ client = client, version = kong.version, url = client:config_url(kong.version),
      grace = s.import_grace, log = log, declarative_config = kong.db.declarative_config,
      insecure_warning = s.insecure_warning }):start()
  end
end

function FallbackConfig:init_worker()
  if ngx.worker.id() ~= 0 then
    return
  end
  -- Event handlers are registered here; they only schedule work.
  kong.worker_events.register(on_configuration_change, "declarative", "reconfigure")
  if (kong.configuration or {}).role == "control_plane" then
    kong.worker_events.register(on_configuration_change, "clustering", "push_config")
  end
  -- The plugin's config may need the database: read it in a timer.
  local ok, err = ngx.timer.at(0, start)
  if not ok then
    log("err", "cannot start: %s", err)
  end
end

return FallbackConfig

-- fallback-config: Kong Enterprise's cluster fallback configuration as an
-- open plugin. The backup node uploads every new configuration to object
-- storage; a new data plane that cannot reach its control plane downloads it
-- and starts proxying. All the work happens in worker 0 of the http
-- subsystem, in timers; all storage I/O runs on the native library's worker
-- thread.

local settings = require("kong.plugins.fallback-config.settings")
local native = require("kong.plugins.fallback-config.native")
local edition = require("kong.plugins.fallback-config.edition")
local exporter = require("kong.plugins.fallback-config.exporter")
local importer = require("kong.plugins.fallback-config.importer")
local lease_watch = require("kong.plugins.fallback-config.lease_watch")
local current_hash = require("kong.plugins.fallback-config.config_reader").current_hash

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
-- Seconds between two looks at Kong's hash, which catch a change no event
-- announced (a sync path that posts none): one read of one LMDB key.
local HASH_POLL = 2
local CP_SETTLE = 0.5 -- seconds a control plane's burst of push_config may take before the settings are read
local YIELD_EVERY = 100 -- plugins read between two yields while looking for the plugin's own config
local LEASE_POLL = 1 -- seconds between two looks at the export lease's state (in memory: no request)
local LEASE_RELEASE_WAIT = 1 -- seconds an exiting worker gives its lease's release, so another node takes over at once

local function log(level, fmt, ...)
  kong.log[level]("[" .. PLUGIN_NAME .. "] " .. string.format(fmt, ...))
end

-- Vault references in the plugin's own config are resolved here, on every
-- role: Kong resolves them for kong.db.plugins:each on data planes, never on
-- a control plane (kong/db/schema/init.lua), and its schema validation skips
-- them, so the values are checked after (settings.resolve).
local function resolved(value, field)
  if kong.vault and kong.vault.is_reference(value) then
    local v, err = kong.vault.get(value)
    if v == nil then
      return nil, "config." .. field .. " (plugin config): cannot resolve its vault reference: " .. tostring(err)
    end
    return v
  end
  return value
end

-- Returns the resolved config, and whether it held a reference.
local function resolve_references(conf)
  local out = {}
  local referenced = false
  local function resolve(value, field)
    referenced = referenced or (kong.vault ~= nil and kong.vault.is_reference(value))
    return resolved(value, field)
  end
  for field, value in pairs(conf) do
    local err
    if type(value) == "table" then
      local map = {}
      for k, v in pairs(value) do
        map[k], err = resolve(v, field .. "." .. k)
        if err then
          return nil, err
        end
      end
      out[field] = map
    else
      out[field], err = resolve(value, field)
      if err then
        return nil, err
      end
    end
  end
  return out, nil, referenced
end

-- The global fallback-config plugin's config, if the running configuration
-- has one (only the shared settings come from there; the environment wins),
-- and whether it holds vault references. A walk over every plugin: it yields
-- now and then (it runs in timers), so the worker keeps proxying.
local function plugin_conf()
  local dao = kong.db and kong.db.plugins
  if not dao then
    return nil
  end
  local seen = 0
  for row, err in dao:each(nil, ALL_WORKSPACES) do
    if not row then
      log("warn", "cannot read the plugin's config, using the environment only: %s", tostring(err))
      return nil
    end
    if row.name == PLUGIN_NAME and row.enabled ~= false and row.consumer_group == nil then
      return resolve_references(row.config or {})
    end
    seen = seen + 1
    if seen % YIELD_EVERY == 0 then
      ngx.sleep(0)
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
  pending = false, -- a configuration changed since the last refresh
  settings_stale = true, -- a change may have changed the plugin's config: read the settings again
  resolved = nil, -- the settings of the last refresh (nil: none, or disabled)
  plugins_hash = nil, -- Kong's plugins hash of the last reconfigure
  referenced = false, -- the plugin's config holds vault references (resolved again on every change)
  refreshing = false,
  seen_hash = nil, -- Kong's hash the exporter last heard of
  lease = nil, -- the export lease this node competes for (native.lua)
  lease_key = nil, -- the client and lease settings it was started with
  lease_watch = nil,
  lease_allowed = nil, -- whether the node may compete now (false: it imports first); nil: not decided yet
  lease_polling = false,
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

local function stop_lease()
  if state.lease then
    state.lease:close() -- a held lease is released in the background
    state.lease, state.lease_key, state.lease_watch = nil, nil, nil
  end
end

local function poll_lease(premature)
  local lease = state.lease
  if not lease then
    return
  end
  if premature then
    -- The worker exits: release the lease, and give the release a moment,
    -- so that another backup node takes over now, not a lease duration later.
    lease:stop()
    local waited = 0
    while waited < LEASE_RELEASE_WAIT and not (lease:info() or { stopped = true }).stopped do
      if not pcall(ngx.sleep, 0.05) then
        break
      end
      waited = waited + 0.05
    end
    lease:close()
    return
  end
  local info, err = lease:info()
  if not info then
    log("err", "cannot read the export lease's state: %s", err)
    return
  end
  local lines, acquired = state.lease_watch:look(info)
  for _, line in ipairs(lines) do
    log(line[1], "%s", line[2])
  end
  if acquired then
    state.exporter:lease_acquired()
  end
end

-- Starts (or keeps) the export lease for the client and settings; with the
-- lease off, the exporter exports on its own, as Kong's backup nodes do.
local function ensure_lease(s, client)
  if not s.lease then
    stop_lease()
    state.exporter:set_lease(nil)
    return
  end
  local key = state.client_key .. "\nlease=" .. s.lease_duration .. "/" .. s.lease_renew .. "/" .. s.ee_election_interval
  if key == state.lease_key then
    return
  end
  stop_lease()
  local lease, err = client:lease_start(kong.version, s.lease_duration, s.lease_renew, s.ee_election_interval)
  if not lease then
    -- Never two writers: without its lease this node does not export.
    state.exporter:hold()
    log("err", "cannot start the export lease: %s; this node does not export", err)
    return
  end
  state.lease, state.lease_key = lease, key
  state.lease_watch = lease_watch.new({ url = (client:config_url(kong.version):gsub("config%.json$", "lease.json")) })
  state.exporter:set_lease(lease)
  if not state.lease_polling then
    local ok, timer_err = ngx.timer.every(LEASE_POLL, poll_lease)
    state.lease_polling = ok and true or false
    if not ok then
      log("err", "cannot watch the export lease: %s", timer_err)
    end
  end
end

local function disable(reason)
  if reason ~= state.disabled_reason then
    log("err", "disabled: %s", reason)
  end
  state.disabled_reason = reason
end

-- Resolves the settings again (the plugin's config may have changed with the
-- configuration) and brings the exporter in line. Returns the settings, or nil.
local function resolve_settings()
  local conf, conf_err, referenced = plugin_conf()
  state.referenced = referenced == true
  if conf_err then
    disable(conf_err)
    return nil
  end
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
      if s.lease then
        state.exporter:hold() -- until the lease has started (ensure_lease)
      end
    end
    if state.lease_allowed == nil then
      -- A node that also imports imports first (when it has no configuration
      -- and no control plane), then competes for the lease.
      state.lease_allowed = not (s.import and not importer.node_has_config())
    end
    if state.lease_allowed then
      ensure_lease(s, client)
    end
  end
  return s
end

local function refresh()
  state.settings_stale = false
  state.resolved = resolve_settings()
  return state.resolved
end

-- Whether a change may have changed the plugin's own config, which only a
-- walk over every plugin tells (about 250 ms of the worker for a 16 MB
-- configuration: bench/p99_bench.sh before this check). Kong names the
-- plugins' hash in declarative/reconfigure (db/declarative/import.lua, from
-- the control plane's hashes; nil after a DB-less /config or a full sync,
-- when Kong rebuilds everything), and a sync v2 delta its entity's schema
-- (db/dao/init.lua post_crud_event).
local function settings_may_change(data, source)
  if source == "declarative" then
    local plugins_hash = type(data) == "table" and data[3] or nil
    local same = plugins_hash ~= nil and plugins_hash == state.plugins_hash
    state.plugins_hash = plugins_hash
    return not same or state.referenced -- a referenced secret may rotate
  end
  if source == "dao:crud" then
    local schema = type(data) == "table" and data.schema or nil
    return type(schema) ~= "table" or schema.name == "plugins" or state.referenced
  end
  return true
end

-- Every change lands here, however many there are (a control plane posts
-- push_config once per entity changed: 10,000 for a large sync). One loop
-- runs at a time; changes during a refresh make it run once more. So a storm
-- costs one or two settings reads, not one per event, and no timer per event.
local function refresh_pending(premature)
  if kong.configuration.role == "control_plane" and not premature then
    -- A control plane's changes come in bursts (one push_config per entity):
    -- let the burst end, as Kong's own push loop does (db_update_frequency).
    ngx.sleep(CP_SETTLE)
  end
  while not premature and state.pending and not ngx.worker.exiting() do
    state.pending = false
    local ok, s = true, state.resolved
    if state.settings_stale or not s then
      ok, s = pcall(refresh)
    end
    if not ok then
      state.settings_stale = true
      log("err", "cannot refresh the settings: %s", tostring(s))
    elseif s and s.export then
      local hash = current_hash()
      state.seen_hash = hash
      state.exporter:configuration_changed(hash)
    end
  end
end

local function refresh_loop(premature)
  -- Whatever raises, the next change starts a loop again.
  local ok, err = pcall(refresh_pending, premature)
  state.refreshing = false
  if not ok then
    log("err", "cannot handle the configuration change: %s", tostring(err))
  end
end

local function on_configuration_change(data, _, source)
  state.pending = true
  if settings_may_change(data, source) then
    state.settings_stale = true
  end
  if state.refreshing then
    return
  end
  state.refreshing = true
  local ok, err = ngx.timer.at(0, refresh_loop)
  if not ok then
    state.refreshing = false
    log("err", "cannot schedule the export: %s", err)
  end
end

-- Catches what no event announced: Kong's hash moved since the exporter last
-- heard of it. Data planes and DB-less nodes only (a control plane has no hash).
local function poll_hash(premature)
  if premature then
    return
  end
  local hash = current_hash()
  if hash and hash ~= state.seen_hash then
    state.seen_hash = hash
    on_configuration_change()
  end
  ngx.timer.at(HASH_POLL, poll_hash)
end

local function start(premature)
  if premature then
    return
  end
  local conf = kong.configuration
  state.seen_hash = current_hash()
  local s = refresh()
  if not s then
    return
  end
  if s.export then
    if conf.role == "traditional" and conf.database ~= "off" then
      return disable(settings.variable("export") .. " needs a data plane, a control plane or a DB-less node: "
        .. "a DB-backed traditional node has no configuration events to export")
    end
    -- A control plane exports what its database holds at start, as Kong
    -- Enterprise does; a DB-less node what its declarative configuration
    -- gave it. A data plane exports only what its control plane delivers: the
    -- configuration it kept on disk may be older than a backup another node
    -- made during an outage.
    if conf.role == "control_plane" or (conf.role == "traditional" and importer.node_has_config()) then
      state.exporter:configuration_changed()
    end
    if conf.database == "off" then
      ngx.timer.at(HASH_POLL, poll_hash)
    end
  end
  if s.import then
    if conf.role ~= "data_plane" and conf.database ~= "off" then
      return disable(settings.variable("import") .. " needs a data plane or a DB-less node")
    end
    local client = state.client
    local done = nil
    if s.export and state.lease_allowed == false then
      done = function(imported_hash)
        if state.exporter then
          state.exporter:already_stored(imported_hash) -- storage holds it: not exported back
        end
        state.lease_allowed = true
        if state.resolved and state.resolved.export and state.client then
          ensure_lease(state.resolved, state.client)
        end
      end
    end
    importer.new({ client = client, version = kong.version, url = client:config_url(kong.version),
      grace = s.import_grace, log = log, declarative_config = kong.db.declarative_config,
      configuration = conf, insecure_warning = s.insecure_warning, done = done }):start()
  end
end

function FallbackConfig:init_worker()
  if ngx.config.subsystem ~= "http" then
    -- Kong runs every plugin's init_worker again in the stream subsystem,
    -- with its own events and lock but the same LMDB: working there would
    -- export twice, or import where the http router never sees it.
    log("debug", "the %s subsystem does nothing: the plugin works in the http subsystem only", ngx.config.subsystem)
    return
  end
  if ngx.worker.id() ~= 0 then
    return
  end
  local conf = kong.configuration
  if edition.enterprise(kong.version) then
    local on, setting = edition.builtin_feature_on(conf)
    if on then
      log("notice", "Kong Enterprise's own cluster fallback configuration is on (%s): fallback-config stands "
        .. "down; turn EE's off (unset KONG_CLUSTER_FALLBACK_CONFIG_EXPORT/_IMPORT) to use the plugin instead", setting)
      return
    end
  end
  -- Event handlers only note the change; the work runs in one loop.
  kong.worker_events.register(on_configuration_change, "declarative", "reconfigure")
  if conf.role == "control_plane" then
    kong.worker_events.register(on_configuration_change, "clustering", "push_config")
  elseif conf.cluster_incremental_sync or conf.cluster_rpc_sync then
    -- Sync v2 deltas post dao:crud in worker 0, no reconfigure
    -- (clustering/services/sync/rpc.lua).
    kong.worker_events.register(on_configuration_change, "dao:crud")
  end
  -- The plugin's config may need the database: read it in a timer.
  local ok, err = ngx.timer.at(0, start)
  if not ok then
    log("err", "cannot start: %s", err)
  end
end

return FallbackConfig

-- A new data plane's side: when the node has no configuration once the grace
-- period is over and its control plane cannot be reached (as Kong Enterprise
-- decides: it imports when connecting to the control plane fails), download
-- the stored configuration, check it, and apply it the way Kong applies its
-- control plane's (kong.clustering.config_helper.update, so that the same
-- configuration arriving later from the control plane is recognised by its
-- hash). Unlike Kong, which tries once, a failure is retried with back-off
-- until a configuration applies or the control plane answers; each attempt
-- is protected on its own, so an error raised inside Kong is one failed
-- attempt, never the end of the loop. Nothing that fails a check is applied.
-- Runs in one timer, in worker 0.

local cjson = require("cjson.safe")
local declarative = require("kong.db.declarative")
local backoff = require("kong.plugins.fallback-config.backoff")
local control_plane = require("kong.plugins.fallback-config.control_plane")
local edition = require("kong.plugins.fallback-config.edition")

local ngx = ngx

local _M = {}
local mt = { __index = _M }

local EMPTY_CONFIG_HASH = string.rep("0", 32)
local MAX_ERROR_LENGTH = 300
local BUSY_WAIT = 0.5 -- seconds between two tries while Kong's declarative lock is held
local PROBE_INTERVAL = 5 -- seconds between two looks at a control plane that answers
-- config_helper.update's err_t.name for a configuration that does not parse
-- (kong/constants.lua CLUSTERING_DATA_PLANE_ERROR.CONFIG_PARSE, 3.6+).
local PARSE_FAILURE = "declarative configuration parse failure"

local function now()
  ngx.update_time()
  return ngx.now()
end

--- Whether Kong runs a configuration (from the control plane, or the one a
-- data plane keeps on disk across restarts).
function _M.node_has_config()
  local hash = declarative.get_current_hash()
  return hash ~= nil and hash ~= "" and hash ~= EMPTY_CONFIG_HASH
end

-- Kong's schema errors span lines and can be long: keep log lines one line.
local function one_line(s)
  s = tostring(s):gsub("%s+", " ")
  if #s > MAX_ERROR_LENGTH then
    s = s:sub(1, MAX_ERROR_LENGTH) .. "..."
  end
  return s
end

--- opts: client, version, url, grace (seconds), log (function(level, fmt, ...)),
-- done (optional: function(imported_hash), called once the node has a
-- configuration or has imported one; not when the worker exits first),
-- declarative_config (Kong's), configuration (kong.configuration), backoff
-- (options), insecure_warning (logged before every download when TLS
-- verification is off).
function _M.new(opts)
  return setmetatable({
    client = opts.client,
    version = opts.version,
    url = opts.url,
    grace = opts.grace,
    log = opts.log,
    insecure_warning = opts.insecure_warning,
    declarative_config = opts.declarative_config,
    configuration = opts.configuration,
    backoff = backoff.new(opts.backoff),
    done = opts.done,
  }, mt)
end

function _M:start()
  local ok, err = ngx.timer.at(0, function(premature)
    if premature then
      return
    end
    local ran, loop_err = pcall(self.loop, self)
    if not ran then
      self.log("err", "import stopped by an error: %s", tostring(loop_err))
    end
    if self.done and not ngx.worker.exiting() then
      self.done(self.imported_hash)
    end
  end)
  if not ok then
    self.log("err", "cannot start the import timer: %s", err)
  end
end

-- Sleeps in steps of at most a second; false when the worker is shutting down.
local function sleep(seconds)
  local deadline = now() + seconds
  while not ngx.worker.exiting() do
    local left = deadline - now()
    if left <= 0 then
      return true
    end
    ngx.sleep(math.max(0.001, math.min(left, 1)))
  end
  return false
end

-- Whether a configuration from the control plane is on its way: a data
-- plane's control plane answers. A DB-less node without one has none.
function _M:control_plane_answers()
  if self.configuration.role ~= "data_plane" then
    return false
  end
  local reachable = control_plane.reachable(self.configuration)
  return reachable
end

function _M:loop()
  if not sleep(self.grace) then
    return
  end
  local announced, waiting_logged = false, false
  while true do
    if _M.node_has_config() then -- from the control plane, or kept on disk
      self.log("notice", "the node has a configuration; no import needed")
      return
    end
    if self:control_plane_answers() then
      if not waiting_logged then
        self.log("notice", "the control plane at %s answers: waiting for its configuration instead of importing",
          self.configuration.cluster_control_plane)
        waiting_logged = true
      end
      if not sleep(PROBE_INTERVAL) then
        return
      end
      goto continue
    end
    waiting_logged = false
    if not announced then
      self.log("notice", "no configuration and no control plane after %s s; importing from %s", self.grace, self.url)
      announced = true
    end
    do
      local ran, ok, err, status = pcall(self.import_once, self)
      if not ran then
        ok, err, status = nil, "an error inside Kong: " .. tostring(ok), "EINTERNAL"
      end
      if ok or status == "EXITING" then
        return
      end
      if status == "ECONTROLPLANE" then
        goto continue -- not a failure: wait for the control plane's configuration
      end
      local delay = self.backoff:next()
      self.log("err", "import from %s failed: %s (%s); retrying in %.1f s", self.url, one_line(err), status, delay)
      if not sleep(delay) then
        return
      end
    end
    ::continue::
  end
end

-- config_helper.update, in the signature of this Kong's version: (dc,
-- config_table) before 3.6, (dc, msg) from 3.6 on.
local function apply(declarative_config, config)
  local config_helper = require("kong.clustering.config_helper")
  local major, minor = edition.version(kong.version)
  if major == 3 and minor < 6 then
    return config_helper.update(declarative_config, config)
  end
  return config_helper.update(declarative_config, { config_table = config })
end

--- One attempt. Returns true once the node has a configuration (imported, or
-- from the control plane meanwhile), or when the control plane now answers;
-- or nil, err, status.
function _M:import_once()
  local started = now()
  if self.insecure_warning then
    self.log("warn", "%s", self.insecure_warning)
  end
  local job, err, status = self.client:get_async(self.version)
  if not job then
    return nil, err, status
  end
  local ok, data, sha256
  ok, err, status = job:wait(ngx.sleep)
  if ok then
    sha256, err, status = job:sha256()
    if sha256 then
      data, err, status = job:data()
    end
  end
  job:close()
  if not data then
    return nil, err, status
  end
  if data == "" then
    return nil, "the stored configuration is empty", "EINVAL"
  end
  local config, decode_err = cjson.decode(data)
  data = nil -- the downloaded string may go before the parse
  if type(config) ~= "table" then
    return nil, "the stored configuration is not JSON (" .. tostring(decode_err) .. ")", "EINVAL"
  end

  local busy_logged = false
  while true do
    -- The control plane may have delivered, or come back, while we
    -- downloaded: its configuration always wins.
    if _M.node_has_config() then
      self.log("notice", "the node has a configuration; no import needed")
      return true
    end
    if self:control_plane_answers() then
      self.log("notice", "the control plane answers now: its configuration wins; not importing")
      return nil, "the control plane answers", "ECONTROLPLANE"
    end
    local loaded, load_err, err_t = apply(self.declarative_config, config)
    if loaded then
      local imported_hash = declarative.get_current_hash()
      self.imported_hash = imported_hash
      self.log("notice", "imported config sha256:%s (Kong hash %s) from %s in %d ms", sha256,
        tostring(imported_hash), self.url, math.floor((now() - started) * 1000 + 0.5))
      -- Kong refuses a control plane's configuration that arrives while a
      -- load holds its lock, and does not ask again until the next change or
      -- reconnection (clustering/data_plane.lua): say so when it may have.
      if self:control_plane_answers() and declarative.get_current_hash() == imported_hash then
        self.log("warn", "the control plane answered while the import was applied: if Kong refused its "
          .. "configuration meanwhile (busy), the node runs the imported one until the control plane's next "
          .. "change or reconnection")
      end
      return true
    end
    if load_err == "exiting" then
      return nil, "the worker is exiting", "EXITING"
    end
    if type(err_t) == "table" and err_t.name == PARSE_FAILURE then
      return nil, "the stored configuration is not a valid declarative configuration: "
        .. tostring(err_t.message or load_err), "EINVAL"
    end
    if load_err ~= "busy" then
      return nil, "Kong could not apply the stored configuration: " .. tostring(load_err), "EINVAL"
    end
    if not busy_logged then
      self.log("notice", "Kong is busy loading a configuration; applying the import when it is done")
      busy_logged = true
    end
    if not sleep(BUSY_WAIT) then
      return nil, "the worker is exiting", "EXITING"
    end
  end
end

return _M

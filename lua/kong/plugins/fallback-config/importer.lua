-- A new data plane's side: when the node has no configuration once the grace
-- period for the control plane is over, download the stored configuration,
-- check it the way Kong checks a declarative configuration, and apply it.
-- Unlike Kong, which tries once, a failure is retried with back-off until a
-- configuration applies or one arrives from the control plane. Nothing that
-- fails a check is ever applied. Runs in one timer, in worker 0.

local cjson = require("cjson.safe")
local declarative = require("kong.db.declarative")
local backoff = require("kong.plugins.fallback-config.backoff")

local ngx = ngx

local _M = {}
local mt = { __index = _M }

local EMPTY_CONFIG_HASH = string.rep("0", 32)
local MAX_ERROR_LENGTH = 300
local MIN_BUSY_WAIT = 0.1 -- seconds

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
-- declarative_config (Kong's, with parse_table), backoff (options).
function _M.new(opts)
  return setmetatable({
    client = opts.client,
    version = opts.version,
    url = opts.url,
    grace = opts.grace,
    log = opts.log,
    insecure_warning = opts.insecure_warning, -- logged before every download when TLS verification is off
    declarative_config = opts.declarative_config,
    backoff = backoff.new(opts.backoff),
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
    ngx.sleep(math.min(left, 1))
  end
  return false
end

function _M:loop()
  if not sleep(self.grace) then
    return
  end
  local announced = false
  while true do
    if _M.node_has_config() then -- from the control plane, or kept on disk
      self.log("notice", "the node has a configuration; no import needed")
      return
    end
    if not announced then
      self.log("notice", "no configuration from the control plane after %s s; importing from %s", self.grace, self.url)
      announced = true
    end
    local ok, err, status = self:import_once()
    if ok or status == "EXITING" then
      return
    end
    local delay = self.backoff:next()
    self.log("err", "import from %s failed: %s (%s); retrying in %.1f s", self.url, one_line(err), status, delay)
    if not sleep(delay) then
      return
    end
  end
end

--- One attempt. Returns true once the node has a configuration (imported, or
-- from the control plane meanwhile); or nil, err, status.
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
  local entities, parse_err, _, meta, hash = self.declarative_config:parse_table(config)
  if not entities then
    return nil, "the stored configuration is not a valid declarative configuration: " .. tostring(parse_err), "EINVAL"
  end

  local busy_logged = false
  while true do
    -- The control plane may have delivered while we downloaded: its
    -- configuration always wins.
    if _M.node_has_config() then
      self.log("notice", "the node has a configuration; no import needed")
      return true
    end
    local loaded, load_err, retry_after = declarative.load_into_cache_with_events(entities, meta, hash)
    if loaded then
      self.log("notice", "imported config sha256:%s (Kong hash %s) from %s in %d ms", sha256, hash, self.url,
        math.floor((now() - started) * 1000 + 0.5))
      return true
    end
    if load_err == "exiting" then
      return nil, "the worker is exiting", "EXITING"
    end
    if load_err ~= "busy" then
      return nil, "Kong could not load the configuration: " .. tostring(load_err), "EINTERNAL"
    end
    -- Kong's hint is the lock's remaining time, which may round to zero.
    retry_after = math.max(tonumber(retry_after) or 1, MIN_BUSY_WAIT)
    if not busy_logged then
      self.log("notice", "Kong is busy loading a configuration; applying the import in %.1f s", retry_after)
      busy_logged = true
    end
    if not sleep(retry_after) then
      return nil, "the worker is exiting", "EXITING"
    end
  end
end

return _M

-- The backup node's side: every new configuration is offered to the export
-- schedule; when an upload is due, the current configuration is read from
-- Kong as a consistent snapshot (config_reader.lua, yielding between pages),
-- encoded in yielding steps and uploaded on the native worker thread.
-- Runs in one timer at a time, in worker 0.

local declarative = require("kong.db.declarative")
local reader = require("kong.plugins.fallback-config.config_reader")
local serializer = require("kong.plugins.fallback-config.serializer")
local schedule = require("kong.plugins.fallback-config.export_schedule")

local ngx = ngx

local _M = {}
local mt = { __index = _M }

local function now()
  ngx.update_time()
  return ngx.now()
end

-- Between two steps (a page read, 16 KB serialized): let the event loop
-- serve what is waiting. Sleeping a timer tick, not ngx.sleep(0), on
-- purpose: the work then spreads over a second or so in steps of hundreds of
-- microseconds, instead of crowding the loop's turns until it is done
-- (bench/p99_bench.sh measured both). Also, without OpenResty's
-- delayed-events patch (Debian's nginx), ngx.sleep(0) logs a warning on
-- every call.
local function yield()
  ngx.sleep(0.001)
end

--- opts: client, version (Kong's), url (for log lines), delay (seconds),
-- log (function(level, fmt, ...)), insecure_warning (logged before every
-- upload when TLS verification is off).
function _M.new(opts)
  return setmetatable({
    insecure_warning = opts.insecure_warning,
    client = opts.client,
    version = opts.version,
    url = opts.url,
    log = opts.log,
    schedule = schedule.new({ delay = opts.delay, now = now }),
    running = false,
  }, mt)
end

--- Settings changed (plugin config): the next upload uses the new client.
function _M:reconfigure(client, url, delay, insecure_warning)
  self.client, self.url, self.insecure_warning = client, url, insecure_warning
  self.schedule.delay = delay
end

-- Kong's hash of the configuration it runs (nil on a control plane).
local function kong_hash()
  local hash = declarative.get_current_hash()
  if hash == "" then
    return nil
  end
  return hash
end

--- A new configuration is in place: upload it when the schedule says.
-- `hash` is Kong's hash of it when the caller knows it.
function _M:configuration_changed(hash)
  if hash == nil then
    hash = kong_hash()
  end
  self.schedule:offer(hash)
  self:run()
end

function _M:run()
  if self.running then
    return
  end
  self.running = true
  local ok, err = ngx.timer.at(0, function(premature)
    local ran, loop_err = pcall(self.loop, self, premature)
    self.running = false
    if not ran then
      self.log("err", "export stopped by an error: %s", tostring(loop_err))
    end
  end)
  if not ok then
    self.running = false
    self.log("err", "cannot start the export timer: %s", err)
  end
end

function _M:loop(premature)
  while not premature and not ngx.worker.exiting() do
    local action, wait = self.schedule:next_action()
    if action == "idle" then
      return
    elseif action == "wait" then
      ngx.sleep(math.max(0.001, math.min(wait, 1))) -- wake at least every second to notice a shutdown
    else
      self:upload()
    end
  end
end

function _M:fail(hash, err, status)
  if status == "EXITING" then
    -- The worker is going away: the next worker (or node) exports again.
    self.log("notice", "export of config %s to %s abandoned: the nginx worker is exiting", hash or "(unknown)", self.url)
    return
  end
  local retry_in = self.schedule:upload_failed() - now()
  self.log("err", "export of config %s to %s failed: %s (%s); retrying in %.1f s",
    hash or "(unknown)", self.url, err, status or "EINTERNAL", retry_in)
end

function _M:upload()
  local started = now()
  if self.schedule:is_uploaded(kong_hash()) then
    self.schedule:upload_succeeded(kong_hash()) -- storage already holds it: not even read
    return
  end
  local config, hash, reason = reader.read(yield)
  if not config then
    local read_err = hash
    -- A configuration that keeps changing is read again after a back-off:
    -- by then it has settled, or a newer one is on its way.
    return self:fail(nil, read_err, reason == "changing" and "ECHANGING" or "EINTERNAL")
  end
  if self.schedule:is_uploaded(hash) then
    self.schedule:upload_succeeded(hash) -- storage already holds it
    return
  end
  if reader.is_empty(config) then
    -- Kong's empty (nothing but workspaces): a node or a database starting
    -- empty must never replace a backup with nothing.
    self.log("notice", "not exporting config %s: it is empty", hash or "(unknown)")
    self.schedule:upload_skipped()
    return
  end
  local buf, err = serializer.serialize(config, { yield = yield, size_hint = self.last_size })
  config = nil -- the GC may take the table during the upload
  if not buf then
    return self:fail(hash, err, "EINVAL")
  end
  self.last_size = #buf + #buf / 16 -- room to grow without a copy next time

  if self.insecure_warning then
    self.log("warn", "%s", self.insecure_warning)
  end
  local job, status, sha256
  job, err, status = self.client:put_async_serialized(self.version, buf)
  local ok = job and true
  if job then
    ok, err, status = job:wait(ngx.sleep)
    if ok then
      sha256, err, status = job:sha256()
      ok = sha256 ~= nil
    end
    job:close()
  end
  buf:free()
  if not ok then
    return self:fail(hash, err, status)
  end
  self.schedule:upload_succeeded(hash)
  -- The stored bytes' SHA-256 names the configuration on every node (the
  -- importer logs the same); Kong's hash is this node's own.
  self.log("notice", "exported config sha256:%s (Kong hash %s) to %s in %d ms", sha256, hash or "none", self.url,
    math.floor((now() - started) * 1000 + 0.5))
end

return _M

-- The backup node's side: every new configuration is offered to the export
-- schedule; when an upload is due, the current configuration is read as a
-- consistent snapshot and uploaded on the native worker thread. Runs in one
-- timer at a time, in worker 0.
--
-- On a DB-less node the library reads Kong's LMDB itself, in a helper
-- process: no page of the configuration is read, decoded or encoded on the
-- event loop that proxies (bench/p99_bench.sh: reading 16 MB through Kong's
-- DAO here, even in yielding steps, cost the proxy's P99 more than the
-- targets allow; docs/benchmarks.md). Where that cannot run (a control plane,
-- EE's keyring, a helper or LMDB the library cannot use), Kong's DAO is read
-- page by page (config_reader.lua) and encoded in yielding steps.

local reader = require("kong.plugins.fallback-config.config_reader")
local lease_watch = require("kong.plugins.fallback-config.lease_watch")
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

--- The export lease this node competes for (nil: none, every backup node
-- exports). Uploads wait while another node holds it.
function _M:set_lease(lease)
  self.lease, self.held = lease, false
end

--- Nothing is exported until set_lease: a node with the lease on never
-- uploads before it competes for it (or while it imports first).
function _M:hold()
  self.held = true
end

--- This node took the lease: what waited is exported now.
function _M:lease_acquired()
  self:run()
end

function _M:may_export()
  if self.held then
    return false
  end
  return self.lease == nil or lease_watch.may_export(self.lease:info())
end

--- Storage holds the configuration with this hash already (the node
-- imported it): it is not exported back.
function _M:already_stored(hash)
  self.schedule:already_stored(hash)
end

--- Settings changed (plugin config): the next upload uses the new client.
function _M:reconfigure(client, url, delay, insecure_warning)
  self.client, self.url, self.insecure_warning = client, url, insecure_warning
  self.schedule.delay = delay
end

local kong_hash = reader.current_hash -- nil on a control plane

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
    if not self:may_export() then
      return -- waits for the lease (lease_acquired)
    end
    local action, wait = self.schedule:next_action()
    if action == "idle" then
      return
    elseif action == "wait" then
      ngx.sleep(math.max(0.001, math.min(wait, 1))) -- wake at least every second to notice a shutdown
    else
      local ok, err = pcall(self.upload, self)
      if not ok and self.schedule.uploading then
        -- A raise inside an upload (Kong's, or a bug) is a failed attempt,
        -- retried: never the end of exports.
        self:fail(nil, tostring(err), "EINTERNAL")
      end
    end
  end
end

function _M:fail(hash, err, status)
  if status == "ELEASE" then
    -- Another node leads (the handler logs the loss): the configuration
    -- waits for this node to hold the lease again.
    self.schedule:upload_deferred()
    self.log("notice", "export of config %s to %s not written: %s", hash or "(unknown)", self.url, err)
    return
  end
  if status == "EXITING" then
    -- The worker is going away: the next worker (or node) exports again.
    self.log("notice", "export of config %s to %s abandoned: the nginx worker is exiting", hash or "(unknown)", self.url)
    return
  end
  local retry_in = self.schedule:upload_failed() - now()
  self.log("err", "export of config %s to %s failed: %s (%s); retrying in %.1f s",
    hash or "(unknown)", self.url, err, status or "EINTERNAL", retry_in)
end

-- Logs `message` as a warning unless it was the last one logged this way:
-- a helper that cannot run says so once, not at every export.
function _M:warn_once(message)
  if self.last_warning ~= message then
    self.last_warning = message
    self.log("warn", "%s", message)
  end
end

-- The export through the library's LMDB reader. Returns false when it could
-- not read the snapshot (the caller then reads through Kong's DAO), true
-- when the export is over, whatever its outcome.
function _M:upload_from_lmdb(plan, started)
  local job, err, status = self.client:export_kong_lmdb_async(self.version, plan, self.schedule:last_uploaded())
  if not job then
    self:warn_once("cannot export from Kong's LMDB (" .. err .. "); reading Kong's configuration through its DAO")
    return false
  end
  local ok
  ok, err, status = job:wait(ngx.sleep)
  if status == "EXITING" then
    job:close()
    self:fail(nil, err, status)
    return true
  end
  local info = assert(job:kong_export())
  local sha256 = ok and info.outcome == "uploaded" and job:sha256()
  job:close()
  if not ok then
    if not info.read then
      self:warn_once("cannot read Kong's LMDB (" .. err .. "); reading Kong's configuration through its DAO")
      return false
    end
    self:fail(info.kong_hash, err, status)
    return true
  end
  self.last_warning = nil
  local hash = info.kong_hash
  if info.outcome == "empty" then
    self.log("notice", "not exporting config %s: it is empty", hash or "(unknown)")
    self.schedule:upload_skipped()
  elseif info.outcome == "unchanged" then
    self.schedule:upload_succeeded(hash) -- storage already holds it
  else
    self.schedule:upload_succeeded(hash)
    self.log("notice", "exported config sha256:%s (Kong hash %s) to %s in %d ms (%d entities read from LMDB)",
      sha256, hash or "none", self.url, math.floor((now() - started) * 1000 + 0.5), info.entities)
  end
  return true
end

function _M:upload()
  local started = now()
  local current = kong_hash()
  if self.schedule:is_uploaded(current) then
    self.schedule:upload_succeeded(current) -- storage already holds it: not even read
    return
  end
  if self.insecure_warning then
    self.log("warn", "%s", self.insecure_warning)
  end
  local plan = reader.lmdb_plan()
  if plan and self:upload_from_lmdb(plan, started) then
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

-- When the backup node uploads (pure logic, clock injected). As Kong
-- Enterprise does (kong/clustering/config_sync_backup/init.lua on FTI-6378):
--  * leading edge: a configuration arriving after a quiet `delay` is uploaded
--    at once;
--  * then at most one upload per `delay`: configurations arriving sooner are
--    coalesced and the latest is uploaded when the delay since the last
--    upload has passed;
-- and, where Kong gives up until the next change:
--  * a configuration identical to the last one uploaded is not uploaded again;
--  * a failed upload is retried with back-off until it succeeds or a newer
--    configuration takes its place.
--
-- Configurations are known by their hash only: the exporter takes the current
-- configuration from Kong when an upload is due, so coalesced ones are never
-- even read. A nil hash means "changed, hash unknown" (a control plane).

local backoff = require("kong.plugins.fallback-config.backoff")

local _M = {}
local mt = { __index = _M }

function _M.new(opts)
  return setmetatable({
    delay = assert(opts.delay, "delay"),
    now = assert(opts.now, "now"),
    backoff = backoff.new(opts.backoff),
    pending = false, -- a configuration waits to be uploaded
    pending_hash = nil,
    quiet_until = nil, -- no upload may start before this (the last one's start + delay)
    retry_at = nil,
    uploaded_hash = nil,
    uploading = false,
  }, mt)
end

--- A new configuration, known by its hash (nil: unknown).
function _M:offer(hash)
  if hash ~= nil and hash == self.uploaded_hash and not self.uploading then
    self.pending, self.pending_hash = false, nil -- back to what storage already holds
    return
  end
  self.pending, self.pending_hash = true, hash
end

--- What to do now: "upload"; or "wait", seconds; or "idle".
function _M:next_action()
  if self.uploading or not self.pending then
    return "idle"
  end
  local now = self.now()
  -- A retry keeps its own back-off; anything else waits out the delay.
  local due = self.retry_at or self.quiet_until or now
  if now < due then
    return "wait", due - now
  end
  self.uploading = true
  self.pending, self.pending_hash = false, nil
  if not self.retry_at then
    self.quiet_until = now + self.delay -- a retry does not open a new window
  end
  return "upload"
end

--- Kong's hash of the last configuration uploaded (nil before the first).
function _M:last_uploaded()
  return self.uploaded_hash
end

--- Whether storage already holds the configuration with this hash.
function _M:is_uploaded(hash)
  return hash ~= nil and hash == self.uploaded_hash
end

--- The upload (of the configuration with `hash`, as found when it was due) is stored.
function _M:upload_succeeded(hash)
  self.uploading = false
  self.uploaded_hash = hash
  self.retry_at = nil
  self.backoff:reset()
  if self.pending and self:is_uploaded(self.pending_hash) then
    self.pending, self.pending_hash = false, nil -- arrived during the upload, and already stored
  end
end

--- Nothing was uploaded after all (the configuration was empty, or storage
-- already held it): the window stays as it was.
function _M:upload_skipped()
  self.uploading = false
  self.retry_at = nil
end

--- The upload was not this node's to make (it does not hold the export
-- lease): the configuration waits, with no back-off, until the node may
-- upload again.
function _M:upload_deferred()
  self.uploading = false
  self.pending = true
  self.retry_at = nil
end

--- Storage holds the configuration with this hash without this node having
-- uploaded it (it imported it): not uploaded again.
function _M:already_stored(hash)
  if hash == nil or self.uploading then
    return
  end
  self.uploaded_hash = hash
  if self.pending and self.pending_hash == hash then
    self.pending, self.pending_hash = false, nil
  end
end

--- The upload failed: it is retried after a back-off, with the newest
-- configuration at that time. Returns when.
function _M:upload_failed()
  self.uploading = false
  self.pending = true
  self.retry_at = self.now() + self.backoff:next()
  return self.retry_at
end

return _M

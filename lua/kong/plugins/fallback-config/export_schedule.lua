-- When the backup node uploads (pure logic, clock injected):
--  * a configuration starts a window of `delay` seconds; every configuration
--    arriving inside it replaces the pending one; the latest is uploaded when
--    the window ends, so there is at most one upload per window;
--  * a configuration identical to the last one uploaded is not uploaded again;
--  * a failed upload is retried with back-off until it succeeds or a newer
--    configuration takes its place (Kong gives up until the next change).
--
-- Configurations are known by their hash only: the exporter takes the current
-- configuration from Kong when an upload is due, so coalesced ones are never
-- even encoded. A nil hash means "changed, hash unknown" (a control plane).

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
    window_end = nil,
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
  if not self.window_end then
    self.window_end = self.now() + self.delay
  end
end

--- What to do now: "upload"; or "wait", seconds; or "idle".
function _M:next_action()
  if self.uploading or not self.pending then
    return "idle"
  end
  local due = math.max(self.window_end or 0, self.retry_at or 0)
  local now = self.now()
  if now < due then
    return "wait", due - now
  end
  self.uploading = true
  self.pending, self.pending_hash = false, nil
  self.window_end = nil -- a configuration arriving from now on opens the next window
  return "upload"
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
    self.window_end = nil
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

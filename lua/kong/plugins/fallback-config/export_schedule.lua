-- When the backup node uploads (pure logic, clock injected):
--  * a configuration starts a window of `delay` seconds; every configuration
--    arriving inside it replaces the pending one; the latest is uploaded when
--    the window ends, so there is at most one upload per window;
--  * a configuration identical to the last one uploaded is not uploaded again;
--  * a failed upload is retried with back-off until it succeeds or a newer
--    configuration takes its place (Kong gives up until the next change).

local backoff = require("kong.plugins.fallback-config.backoff")

local _M = {}
local mt = { __index = _M }

function _M.new(opts)
  return setmetatable({
    delay = assert(opts.delay, "delay"),
    now = assert(opts.now, "now"),
    backoff = backoff.new(opts.backoff),
    pending = nil, -- { config = string, hash = string }
    window_end = nil,
    retry_at = nil,
    uploaded_hash = nil,
    uploading = false,
  }, mt)
end

--- A new configuration (encoded) and its hash.
function _M:offer(config, hash)
  if hash == self.uploaded_hash and not self.uploading then
    self.pending = nil -- back to what storage already holds
    return
  end
  self.pending = { config = config, hash = hash }
  if not self.window_end then
    self.window_end = self.now() + self.delay
  end
end

--- What to do now: "upload", config, hash; or "wait", seconds; or "idle".
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
  local p = self.pending
  self.pending = nil
  self.in_flight = p
  self.window_end = nil -- a configuration arriving from now on opens the next window
  return "upload", p.config, p.hash
end

function _M:upload_succeeded()
  self.uploading = false
  self.uploaded_hash = self.in_flight.hash
  self.in_flight = nil
  self.retry_at = nil
  self.backoff:reset()
  if self.pending and self.pending.hash == self.uploaded_hash then
    self.pending = nil -- arrived during the upload, and already stored
    self.window_end = nil
  end
end

function _M:upload_failed()
  self.uploading = false
  -- Retry the failed one, unless a newer configuration has taken its place.
  self.pending = self.pending or self.in_flight
  self.in_flight = nil
  self.retry_at = self.now() + self.backoff:next()
  return self.retry_at
end

return _M

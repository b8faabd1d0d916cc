-- Exponential back-off with equal jitter: the n-th delay is between half and
-- all of min(cap, base * 2^n), so retries spread out but keep growing.

local _M = {}
local mt = { __index = _M }

function _M.new(opts)
  opts = opts or {}
  return setmetatable({
    base = opts.base or 1,
    cap = opts.cap or 60,
    random = opts.random or math.random,
    attempt = 0,
  }, mt)
end

--- The delay before the next retry, in seconds.
function _M:next()
  local ceiling = math.min(self.cap, self.base * 2 ^ self.attempt)
  self.attempt = self.attempt + 1
  return ceiling / 2 + self.random() * ceiling / 2
end

function _M:reset()
  self.attempt = 0
end

return _M

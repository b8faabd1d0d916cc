-- What the http proxy of each worker runs: Kong rebuilds a worker's router,
-- plugins iterator and balancer when that worker gets declarative/reconfigure
-- (runloop/handler.lua). A configuration that reaches LMDB without that event
-- in the http VM (a stream-side import) is not what the proxy serves.
local store = require("harness.store")

local _M = {}

local running = { hash = nil }

function _M.init_worker()
  running.hash = store.hash() -- built from LMDB at start
  local function rebuild()
    running.hash = store.hash()
  end
  kong.worker_events.register(rebuild, "declarative", "reconfigure")
  -- Sync v2 deltas rebuild through cache invalidation; worker 0 sees crud.
  kong.worker_events.register(rebuild, "crud")
end

function _M.hash()
  return running.hash
end

return _M

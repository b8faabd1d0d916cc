-- kong.worker_events: a broadcast to every worker through a shared dict,
-- polled by one timer per worker (how lua-resty-worker-events worked; Kong
-- 3.x's resty.events uses a broker socket, with the same API).
local cjson = require("cjson.safe")

local ngx = ngx
local dict = ngx.shared.kong_harness
local POLL = 0.01

local _M = {}
local handlers = {} -- "source\0event" -> { callbacks }
local seen = 0

function _M.register(callback, source, event)
  local key = source .. "\0" .. (event or "")
  handlers[key] = handlers[key] or {}
  table.insert(handlers[key], callback)
end

local function deliver(source, event, data, wid)
  for _, key in ipairs({ source .. "\0" .. event, source .. "\0" }) do
    for _, callback in ipairs(handlers[key] or {}) do
      local ok, err = xpcall(callback, debug.traceback, data, event, source, wid)
      if not ok then
        ngx.log(ngx.ERR, "worker-events: event callback failed; source=", source, ", event=", event, ": ", err)
      end
    end
  end
end

function _M.post(source, event, data)
  local seq = dict:incr("events:seq", 1, 0)
  local ok, err = dict:set("events:" .. seq, cjson.encode({ source, event, data, ngx.worker.id() }), 60)
  if not ok then
    return nil, err
  end
  return "done"
end

function _M.post_local(source, event, data)
  deliver(source, event, data, ngx.worker.id())
  return true
end

local function poll()
  local last = dict:get("events:seq") or 0
  for seq = seen + 1, last do
    local msg = cjson.decode(dict:get("events:" .. seq) or "null")
    if msg then
      deliver(msg[1], msg[2], msg[3] ~= cjson.null and msg[3] or nil, msg[4])
    end
  end
  seen = last
end

--- Starts this worker's delivery loop (init_worker).
function _M.start()
  seen = dict:get("events:seq") or 0
  local function loop(premature)
    while not premature and not ngx.worker.exiting() do
      poll()
      ngx.sleep(POLL)
    end
  end
  assert(ngx.timer.at(0, loop))
end

return _M

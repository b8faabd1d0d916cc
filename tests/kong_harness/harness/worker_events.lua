-- kong.worker_events, with resty.events' semantics (Kong/lua-resty-events
-- lualib/resty/events/{compat/init,worker,callback}.lua): Kong's broker runs
-- in worker 0 and relays over a unix socket; here a shared dict plays the
-- broker. What the plugin can observe is the same:
--   register(cb, source, event, ...)  a nil event: every event of the source
--   post(source, event, data)          to every worker of this VM, the sender
--                                      included, data serialized; "done", or
--                                      nil, "not initialized yet" before the
--                                      worker has connected (init_worker)
--   post_local(source, event, data)    to this worker only, the same table
-- Callbacks run as cb(data, event, source, pid), the sender's pid, one after
-- another in the worker's events thread, never from inside post.
local cjson = require("cjson.safe")

local ngx = ngx
local dict = ngx.shared.kong_harness_events -- stream: stream_kong_harness_events (its own broker)
local POLL = 0.005

local _M = {}
local handlers = {} -- "source\0event" -> { callbacks }, event "*" for all
local seen = 0
local started = false
local local_queue = {}
local missing_since -- when the next event was first found numbered but not stored

function _M.register(callback, source, ...)
  local events = { ... }
  if #events == 0 then
    events = { "*" }
  end
  for _, event in ipairs(events) do
    local key = source .. "\0" .. event
    handlers[key] = handlers[key] or {}
    table.insert(handlers[key], callback)
  end
end

local function deliver(source, event, data, pid)
  for _, key in ipairs({ source .. "\0" .. event, source .. "\0*" }) do
    for _, callback in ipairs(handlers[key] or {}) do
      local ok, err = xpcall(callback, debug.traceback, data, event, source, pid)
      if not ok then
        ngx.log(ngx.ERR, "worker-events: event callback failed; source=", source, ", event=", event, ": ", err)
      end
    end
  end
end

--- To every worker of this VM, from anywhere (the http side's relay to the
-- stream side: no connection of this VM's is needed).
function _M.broadcast(source, event, data)
  local seq = dict:incr("events:seq", 1, 0)
  local ok, err = dict:set("events:" .. seq, cjson.encode({ source, event, data == nil and cjson.null or data,
    ngx.worker.pid() }), 60)
  if not ok then
    return nil, err
  end
  return "done"
end

function _M.post(source, event, data)
  if not started then
    return nil, "not initialized yet"
  end
  return _M.broadcast(source, event, data)
end

function _M.post_local(source, event, data)
  if not started then
    return nil, "not initialized yet"
  end
  local_queue[#local_queue + 1] = { source, event, data, ngx.worker.pid() }
  return "done"
end

local function poll()
  while #local_queue > 0 do
    local msg = table.remove(local_queue, 1)
    deliver(msg[1], msg[2], msg[3], msg[4])
  end
  local last = dict:get("events:seq") or 0
  for seq = seen + 1, last do
    local raw = dict:get("events:" .. seq)
    if raw == nil then
      -- Numbered by another worker but not stored yet (broadcast's incr,
      -- then set): wait for it, in order, unless it never comes (set failed).
      missing_since = missing_since or ngx.now()
      if ngx.now() - missing_since < 1 then
        return
      end
    else
      local msg = cjson.decode(raw)
      deliver(msg[1], msg[2], msg[3] ~= cjson.null and msg[3] or nil, msg[4])
    end
    missing_since = nil
    seen = seq
  end
end

--- Starts this worker's events thread (Kong: in init_worker, before plugins').
function _M.start()
  seen = dict:get("events:seq") or 0
  started = true
  local function loop(premature)
    while not premature and not ngx.worker.exiting() do
      poll()
      ngx.sleep(POLL)
    end
  end
  assert(ngx.timer.at(0, loop))
end

return _M

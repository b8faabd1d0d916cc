-- Hybrid mode between harness nodes, as the plugin meets it.
--
-- Data plane, sync v1 (kong/clustering/data_plane.lua communicate): in the
-- privileged agent when dedicated_config_processing is on (3.5+ default),
-- else in worker 0. It connects to cluster_control_plane; the control plane
-- sends its configuration on every new connection and on every change, never
-- because the data plane runs another one (control_plane.lua: a ping's hash is
-- only recorded). A configuration is applied with config_helper.update; one
-- refused (busy, invalid) is logged "unable to update running config" and
-- dropped. A broken connection is retried after 5 to 10 s. On master,
-- ngx.shared.kong "control_plane_connected" says whether it is connected
-- (45 s TTL).
--
-- Data plane, sync v2 (3.9 cluster_incremental_sync, master cluster_rpc_sync;
-- clustering/services/sync/rpc.lua): worker 0 asks for deltas every 30 s.
-- A full sync is stored and posts declarative/reconfigure; deltas are stored
-- and post dao:crud locally in worker 0 for each entity (then crud events,
-- runloop/events.lua), no reconfigure. The hash becomes the version. Master's
-- control plane always answers with a full sync. Neither takes the
-- declarative lock.
--
-- Control plane (clustering/events.lua): every entity changed posts
-- clustering/push_config to every worker (the storm the plugin must coalesce).
-- The wire is plain HTTP long polling between nginx nodes instead of
-- websockets; what is sent when is Kong's.
local cjson = require("cjson.safe")
local config_helper = require("kong.clustering.config_helper")
local declarative = require("kong.db.declarative")
local store = require("harness.store")

local ngx = ngx

local _M = {}

local PING_WAIT = 45
local HISTORY = 512 -- rpc.lua FULL_SYNC_THRESHOLD

local function env_number(name, default)
  return tonumber(os.getenv(name) or "") or default
end
-- Read in init (workers see no environment).
local RECONNECT = env_number("KONG_HARNESS_RECONNECT_DELAY", nil)
local SYNC_INTERVAL = env_number("KONG_HARNESS_SYNC_INTERVAL", 30)
local CP_POLL = env_number("KONG_HARNESS_CP_POLL", 30)
-- Test control: seconds a control plane takes before it sends its
-- configuration on a new connection (a large one being prepared).
local CP_DELAY = env_number("KONG_HARNESS_CP_DELAY", 0)

local function set_control_plane_connected(v)
  if kong.harness.profile.control_plane_connected then
    ngx.shared.kong:safe_set("control_plane_connected", v, PING_WAIT)
  end
end

function _M.sync_v2()
  local conf = kong.configuration
  return conf.cluster_incremental_sync == true or conf.cluster_rpc_sync == true
end

-- One request to the control plane over an open connection.
local function request(sock, path)
  local ok, err = sock:send("GET " .. path .. " HTTP/1.1\r\nHost: cp\r\n\r\n")
  if not ok then
    return nil, err
  end
  local status_line
  status_line, err = sock:receive("*l")
  if not status_line then
    return nil, err
  end
  local status = tonumber(status_line:match("^HTTP/1%.1 (%d+)"))
  local length = 0
  while true do
    local line
    line, err = sock:receive("*l")
    if not line then
      return nil, err
    end
    if line == "" then
      break
    end
    local n = line:lower():match("^content%-length:%s*(%d+)")
    if n then
      length = tonumber(n)
    end
  end
  local body = ""
  if length > 0 then
    body, err = sock:receive(length)
    if not body then
      return nil, err
    end
  end
  return status, body
end

local function connect()
  local host, port = kong.configuration.cluster_control_plane:match("^(.*):(%d+)$")
  local sock = ngx.socket.tcp()
  sock:settimeouts(5000, 5000, (CP_POLL + 10) * 1000) -- clustering/utils.lua connect_cp: 5 s
  local ok, err = sock:connect(host, tonumber(port))
  if not ok then
    return nil, err
  end
  return sock
end

--- data_plane.lua's call of config_helper.update with a control plane's
-- configuration, in the version's form: (dc, config_table) unprotected
-- before 3.6 (a raise is caught by the caller's pcall), (dc, msg) after.
function _M.apply(config_table)
  if kong.harness.profile.config_helper == "3.4" then
    local pok, ok, err = pcall(config_helper.update, kong.db.declarative_config, config_table)
    if not pok then
      return nil, ok
    end
    return ok, err
  end
  return config_helper.update(kong.db.declarative_config, { config_table = config_table })
end

local function communicate(premature)
  if premature or ngx.worker.exiting() then
    return
  end
  local delay = RECONNECT or math.random(5, 10)
  local sock, err = connect()
  if not sock then
    set_control_plane_connected(false)
    ngx.log(ngx.WARN, "[clustering] connection to control plane ", kong.configuration.cluster_control_plane,
      " broken: ", err, " (retrying after ", delay, " seconds)")
    assert(ngx.timer.at(delay, communicate))
    return
  end
  set_control_plane_connected(true)
  local version = -1 -- a new connection: the control plane sends what it has
  while not ngx.worker.exiting() do
    local status, body = request(sock, "/_harness/cp/config?version=" .. version)
    if not status then
      set_control_plane_connected(false)
      ngx.log(ngx.WARN, "[clustering] connection to control plane broken: ", body, " (retrying after ", delay,
        " seconds)")
      sock:close()
      assert(ngx.timer.at(delay, communicate))
      return
    end
    set_control_plane_connected(true)
    if status == 200 then
      local msg = cjson.decode(body)
      version = msg.version
      local ok, update_err = _M.apply(msg.config)
      if not ok then
        ngx.log(ngx.ERR, "[clustering] unable to update running config: ", update_err)
      end
    end
  end
end

local function sync_version_hash(version)
  return string.format(kong.harness.profile.sync_version_format, version)
end

-- rpc.lua do_sync: a full sync or deltas, in worker 0.
local function sync_once()
  local sock, err = connect()
  if not sock then
    return nil, err
  end
  local current = tonumber(declarative.get_current_hash() or "") or 0
  local status, body = request(sock, "/_harness/cp/delta?version=" .. current)
  sock:close()
  if status ~= 200 then
    return nil, body
  end
  local msg = cjson.decode(body)
  if msg.full then
    local entities, perr = kong.db.declarative_config:parse_table(msg.config)
    if not entities then
      return nil, perr
    end
    store.commit(entities, sync_version_hash(msg.version))
    kong.worker_events.post("declarative", "reconfigure", { require("harness.declarative_config").DEFAULT_WS_ID })
    return true
  end
  if #msg.deltas == 0 then
    return true
  end
  local entities = {}
  for _, name in ipairs(store.types()) do
    entities[name] = store.rows_by_id(name)
  end
  local crud = {}
  for _, delta in ipairs(msg.deltas) do
    local rows = entities[delta.type] or {}
    entities[delta.type] = rows
    local parsed = delta.entity and kong.db.declarative_config:parse_table({ _format_version = "3.0",
      [delta.type] = { delta.entity } })
    local row = parsed and select(2, next(parsed[delta.type]))
    if delta.op == "delete" then
      rows[delta.old_entity.id] = nil
    else
      rows[row.id] = row
    end
    crud[#crud + 1] = { delta.op, { operation = delta.op, schema = { name = delta.type }, entity = row,
      old_entity = delta.old_entity } }
  end
  store.commit(entities, sync_version_hash(msg.version))
  for _, c in ipairs(crud) do
    kong.worker_events.post_local("dao:crud", c[1], c[2])
    kong.worker_events.post_local("crud", c[2].schema.name, c[2])
    kong.worker_events.post_local("crud", c[2].schema.name .. ":" .. c[1], c[2])
  end
  return true
end

local function sync_loop(premature)
  while not premature and not ngx.worker.exiting() do
    local ok, err = sync_once()
    set_control_plane_connected(ok == true)
    if not ok then
      ngx.log(ngx.WARN, "[clustering] sync failed: ", tostring(err))
    end
    ngx.sleep(SYNC_INTERVAL)
  end
end

--- Starts the data plane's side in this process (see above for which).
function _M.start_data_plane()
  set_control_plane_connected(false) -- data_plane.lua init_worker
  if _M.sync_v2() then
    assert(ngx.timer.at(0.2, sync_loop)) -- sync/init.lua: sync_once(0.2), then every 30 s
  else
    assert(ngx.timer.at(0, communicate))
  end
end

-- ---- control plane -----------------------------------------------------

local cp = ngx.shared.kong_harness

local function equal(a, b)
  if type(a) ~= "table" or type(b) ~= "table" then
    return a == b
  end
  for k, v in pairs(a) do
    if not equal(v, b[k]) then
      return false
    end
  end
  for k in pairs(b) do
    if a[k] == nil then
      return false
    end
  end
  return true
end

local function diff(old, new)
  local deltas = {}
  for name, rows in pairs(new) do
    local before = old[name] or {}
    for id, row in pairs(rows) do
      if before[id] == nil then
        deltas[#deltas + 1] = { type = name, op = "create", entity = row }
      elseif not equal(before[id], row) then
        deltas[#deltas + 1] = { type = name, op = "update", entity = row, old_entity = before[id] }
      end
    end
  end
  for name, rows in pairs(old) do
    for id, row in pairs(rows) do
      if not (new[name] and new[name][id]) then
        deltas[#deltas + 1] = { type = name, op = "delete", old_entity = row }
      end
    end
  end
  return deltas
end

--- The control plane's database changed (the Admin API): stores it, and
-- posts clustering/push_config once per entity created, updated or deleted.
function _M.admin_change(config_table)
  local entities, err = require("harness.declarative_config"):parse_table(config_table)
  if not entities then
    return nil, err
  end
  local old = {}
  for _, name in ipairs(store.types()) do
    old[name] = store.rows_by_id(name)
  end
  local deltas = diff(old, entities)
  store.commit(entities, nil)
  local version = cp:incr("cp:version", 1, 0)
  cp:set("cp:history:" .. version, cjson.encode(declarative.export_config()))
  cp:delete("cp:history:" .. (version - HISTORY))
  for _ = 1, #deltas do
    kong.worker_events.post("clustering", "push_config")
  end
  return #deltas
end

--- GET /_harness/cp/config?version=N: the configuration at once on a new
-- connection (N = -1) or after a change; 204 after CP_POLL seconds without one.
function _M.serve_config()
  local since = tonumber(ngx.var.arg_version) or -1
  if since < 0 and CP_DELAY > 0 then
    ngx.sleep(CP_DELAY)
  end
  local deadline = ngx.now() + CP_POLL
  while ngx.now() < deadline do
    local version = cp:get("cp:version") or 0
    if since < 0 or version > since then
      return { version = version, config = declarative.export_config() }
    end
    ngx.sleep(0.05)
    ngx.update_time()
  end
  return nil
end

--- GET /_harness/cp/delta?version=N: rpc.lua get_delta.
function _M.serve_delta()
  local since = tonumber(ngx.var.arg_version) or 0
  local version = cp:get("cp:version") or 0
  local old = since > 0 and cp:get("cp:history:" .. since)
  if kong.harness.profile.version == "3.10.0" or not old or version - since > HISTORY then
    return { full = version ~= since or since == 0, version = version, config = declarative.export_config(),
             deltas = {} }
  end
  local dc = require("harness.declarative_config")
  local before = dc:parse_table(cjson.decode(old))
  local now = dc:parse_table(declarative.export_config())
  return { full = false, version = version, deltas = diff(before, now) }
end

return _M

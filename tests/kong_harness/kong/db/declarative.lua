-- kong.db.declarative, as far as the plugin uses it, following Kong's
-- kong/db/declarative/{init,export,import}.lua. On a DB-backed node (a
-- control plane) the configuration is read from kong.db the same way; there
-- is no LMDB there, so get_current_hash() has nothing to say.
local store = require("harness.store")

local ngx = ngx
local null = ngx.null

local _M = {}

local EMPTY = store.EMPTY_HASH
local LOCK = "declarative:lock"
local GLOBAL_QUERY_OPTS = { nulls = true, workspace = null } -- export.lua

local function profile()
  return kong.harness.profile
end

--- import.lua get_current_hash(): LMDB's hash; 32 zeros for the empty
-- configuration, which a DB-less node holds from init_worker on. A DB-backed
-- node has no LMDB: nil and the error lua-resty-lmdb gives.
function _M.get_current_hash()
  if kong.configuration.database ~= "off" then
    return nil, "no LMDB environment"
  end
  return store.hash()
end

-- export.lua export_from_db_impl with the table emitter: every exported
-- entity type in topological order, page by page (the strategy's page size),
-- disabled services, their routes and plugins skipped, foreign keys
-- flattened to the id, unset fields ngx.null.
local function export_from_db(skip_ws, skip_disabled_entities)
  local db = kong.db
  local out = { _format_version = "3.0", _transform = false }
  local disabled_services, disabled_routes = {}, {}
  for _, name in ipairs(require("harness.schemas").EXPORT_ORDER) do
    local dao = db[name]
    local schema = dao.schema
    if schema.db_export == false or (skip_ws and name == "workspaces") then
      goto continue
    end
    local fks = {}
    for _, field in ipairs(schema.fields) do
      if field.reference then
        fks[#fks + 1] = field.name
      end
    end
    local each = dao.each_for_export or dao.each
    for row, err in each(dao, dao.pagination.max_page_size, GLOBAL_QUERY_OPTS) do
      if not row then
        kong.log.err(err)
        return nil, err
      end
      if skip_disabled_entities and name == "services" and not row.enabled then
        disabled_services[row.id] = true
      elseif skip_disabled_entities and name == "routes" and row.service ~= null and row.service
        and disabled_services[row.service.id] then
        disabled_routes[row.id] = true
      elseif skip_disabled_entities and name == "plugins" and not row.enabled then
        goto skip
      else
        for _, fk in ipairs(fks) do
          if type(row[fk]) == "table" then
            local id = row[fk].id
            if id ~= nil then
              if disabled_services[id] or disabled_routes[id] then
                goto skip
              end
              row[fk] = id
            end
          end
        end
        out[name] = out[name] or {}
        out[name][#out[name] + 1] = row
      end
      ::skip::
    end
    ::continue::
  end
  return out
end

--- export.lua export_config(skip_ws = false, skip_disabled_entities = true).
function _M.export_config(skip_ws, skip_disabled_entities)
  if skip_ws == nil then
    skip_ws = false
  end
  if skip_disabled_entities == nil then
    skip_disabled_entities = true
  end
  return export_from_db(skip_ws, skip_disabled_entities)
end

-- import.lua config_is_empty: only the workspaces.
local function config_is_empty(entities)
  local n = 0
  for _ in pairs(entities) do
    n = n + 1
  end
  return entities.workspaces ~= nil and n == 1
end

local function find_default_ws(entities)
  for id, ws in pairs(entities.workspaces or {}) do
    if ws.name == "default" then
      return id
    end
  end
end

-- The load itself (import.lua load_into_cache and the notify of
-- runloop/events.lua declarative_reconfigure_notify). Raises where Kong
-- raises: `assert(find_default_ws(entities))`, `meta._transform` of a nil meta.
-- Test controls, read in init: KONG_HARNESS_LOAD_DELAY holds the lock that
-- long inside each load (a large configuration's write); KONG_HARNESS_LOAD_THROW
-- makes that many loads raise inside (as Kong's asserts and transformations can).
local LOAD_DELAY = tonumber(os.getenv("KONG_HARNESS_LOAD_DELAY") or "")
local LOAD_THROW = tonumber(os.getenv("KONG_HARNESS_LOAD_THROW") or "")

--- import.lua load_into_cache_with_events_no_lock: the router, plugins and
-- balancer hashes a reconfigure names, derived from a control plane's
-- `hashes` (config_helper.lua calculate_config_hash); all nil without them
-- (a DB-less /config), when every worker rebuilds everything
-- (runloop/handler.lua reconfigure_handler).
function _M.reconfigure_hashes(hashes)
  if not hashes then
    return nil, nil, nil
  end
  local router_hash = hashes.routes ~= EMPTY and ngx.md5(hashes.services .. hashes.routes) or EMPTY
  local balancer_hash = EMPTY
  if hashes.upstreams ~= EMPTY or hashes.targets ~= EMPTY then
    balancer_hash = ngx.md5(hashes.upstreams .. hashes.targets)
  end
  return router_hash, hashes.plugins, balancer_hash
end

--- Posts { default_ws, router_hash, plugins_hash, balancer_hash } to every
-- worker, and relays it to the stream side; the hashes are kept for the
-- benchmark's touch (harness/api.lua).
function _M.post_reconfigure(default_ws, router_hash, plugins_hash, balancer_hash)
  local d = ngx.shared.kong_harness
  d:set("reconfigure:plugins_hash", plugins_hash)
  d:set("reconfigure:balancer_hash", balancer_hash)
  local posted, err = kong.worker_events.post("declarative", "reconfigure",
    { default_ws, router_hash, plugins_hash, balancer_hash })
  if not posted then
    return nil, err
  end
  require("harness.stream").relay_reconfigure(default_ws)
  return true
end

local function load(entities, meta, hash, hashes)
  if LOAD_THROW and ngx.shared.kong_harness:incr("stats:load_throws", 1, 0) <= LOAD_THROW then
    error("attempt to index local 'meta' (a nil value)") -- what meta._transform raises on a nil meta
  end
  if LOAD_DELAY then
    ngx.sleep(LOAD_DELAY)
  end
  local default_ws = assert(find_default_ws(entities))
  local _ = meta._transform
  if not hash or hash == "" or config_is_empty(entities) then
    hash = EMPTY
  end
  local ok, err = store.commit(entities, hash)
  if not ok then
    return nil, err
  end
  if ngx.worker.exiting() then
    return nil, "exiting"
  end
  local posted
  posted, err = _M.post_reconfigure(default_ws, _M.reconfigure_hashes(hashes))
  if not posted then
    return nil, "failed to broadcast reconfigure event: " .. tostring(err)
  end
  return true
end

--- import.lua load_into_cache_with_events(entities, meta, hash, hashes):
-- true; or nil, "busy", retry_after (at most 10 s, possibly 0); or nil,
-- "exiting"; or nil, "map full"; or nil, another error.
-- 3.4 to 3.8: an shm lock (ngx.shared.kong, 60 s); an error raised inside
-- the load escapes and leaves the lock held until it expires.
-- 3.9+: a worker mutex on kong_locks (concurrency.with_worker_mutex,
-- timeout 0, exptime 60): the load runs under pcall and the lock is always
-- released.
function _M.load_into_cache_with_events(entities, meta, hash, hashes)
  if ngx.worker.exiting() then
    return nil, "exiting"
  end
  if profile().lock == "shm" then
    local shm = ngx.shared.kong
    local ok, err = shm:add(LOCK, 0, 60)
    if not ok then
      if err == "exists" then
        local ttl = shm:ttl(LOCK)
        return nil, "busy", math.min(ttl, 10) -- raises if the lock expired in between, as Kong's does
      end
      shm:delete(LOCK)
      return nil, err
    end
    local loaded, load_err = load(entities, meta, hash, hashes)
    shm:delete(LOCK)
    return loaded, load_err
  end
  local locks = ngx.shared.kong_locks
  local ok, err = locks:add(LOCK, 0, 60)
  if not ok then
    if err == "exists" then
      return nil, "busy", math.min(locks:ttl(LOCK) or 10, 10)
    end
    return nil, "failed to acquire worker lock: " .. tostring(err)
  end
  local pok, loaded, load_err = pcall(load, entities, meta, hash, hashes)
  locks:delete(LOCK)
  if not pok then
    return nil, tostring(loaded)
  end
  return loaded, load_err
end

--- Test control: hold the lock another load would take, for `ttl` seconds.
function _M.hold_lock(ttl)
  local dict = profile().lock == "shm" and ngx.shared.kong or ngx.shared.kong_locks
  return dict:add(LOCK, 0, ttl)
end


return _M

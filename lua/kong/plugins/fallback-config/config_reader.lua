-- Reads the node's configuration as kong.db.declarative.export_config()
-- returns it, but page by page, yielding to the event loop between pages, and
-- as a consistent snapshot.
--
-- Kong's export (kong/db/declarative/export.lua export_from_db_impl) reads a
-- DB-less node's LMDB with pages of 2048 rows and never yields from 3.9 on:
-- for a large configuration one uninterrupted burst of CPU on the worker that
-- also proxies. Here the same walk (entity types in topological order, rows
-- with nulls, disabled services, their routes and plugins skipped, foreign
-- keys flattened to their id) takes small pages and lets the loop serve
-- requests after each. Pages are separate reads, so a configuration committed
-- meanwhile (by the privileged agent, another process) could be mixed in:
-- Kong's hash is taken before and after, and a read it changed across is
-- done again.
--
-- On a DB-less node the exporter first asks the native library to read
-- LMDB itself, in a helper process (lmdb_plan below): one read transaction,
-- nothing on the event loop. This reader is the fallback when that cannot
-- run. A DB-backed node (a control plane) reads its database inside Kong's
-- own export, which holds one repeatable-read transaction: there the export
-- is Kong's, unchanged.

local cjson = require("cjson.safe")
local declarative = require("kong.db.declarative")
local edition = require("kong.plugins.fallback-config.edition")

local ngx = ngx
local null = ngx.null

local _M = {}

_M.PAGE_SIZE = 256 -- rows between two yields: a few hundred microseconds of work
_M.MAX_READS = 5   -- reads a changing configuration may take before the exporter waits for it to settle

local GLOBAL_QUERY_OPTS = { nulls = true, workspace = null }

-- The exported entity types, in the order export.lua walks them.
local function sorted_schemas()
  local schemas = {}
  for _, dao in pairs(kong.db.daos) do
    schemas[#schemas + 1] = dao.schema
  end
  return require("kong.db.schema.topological_sort")(schemas)
end

local function read_once(yield)
  local sorted, err = sorted_schemas()
  if not sorted then
    return nil, err
  end
  local out = { _format_version = "3.0", _transform = false }
  local disabled_services, disabled_routes = {}, {}
  for _, schema in ipairs(sorted) do
    if schema.db_export == false then
      goto continue
    end
    local name = schema.name
    local fks = {}
    for field_name, field in schema:each_field() do
      if field.type == "foreign" then
        fks[#fks + 1] = field_name
      end
    end
    local dao = kong.db[name]
    local each = dao.each_for_export or dao.each -- each_for_export is 3.6+
    local page = math.min(_M.PAGE_SIZE, dao.pagination and dao.pagination.max_page_size or _M.PAGE_SIZE)
    local rows, n = nil, 0
    for row, row_err in each(dao, page, GLOBAL_QUERY_OPTS) do
      if not row then
        return nil, "cannot read the " .. name .. " of the configuration: " .. tostring(row_err)
      end
      if name == "services" and not row.enabled then
        disabled_services[row.id] = true
      elseif name == "routes" and row.service ~= null and row.service and disabled_services[row.service.id] then
        disabled_routes[row.id] = true
      elseif name == "plugins" and not row.enabled then
        goto skip
      else
        for _, fk in ipairs(fks) do
          local ref = row[fk]
          if type(ref) == "table" and ref.id ~= nil then
            if disabled_services[ref.id] or disabled_routes[ref.id] then
              goto skip
            end
            row[fk] = ref.id
          end
        end
        rows = rows or {}
        rows[#rows + 1] = row
      end
      ::skip::
      n = n + 1
      if n % page == 0 then
        yield()
      end
    end
    out[name] = rows
    yield()
    ::continue::
  end
  return out
end

--- Kong's hash of the configuration it runs; nil where there is none (a
-- DB-backed node answers "").
function _M.current_hash()
  local hash = declarative.get_current_hash()
  return hash ~= "" and hash or nil
end
local current_hash = _M.current_hash

--- The configuration and Kong's hash of it, read while nothing changed it;
-- or nil, an error, and "changing" when it kept changing under the reads.
-- `yield` is called between pages.
function _M.read(yield)
  if kong.configuration.database ~= "off" then
    local config, err = declarative.export_config()
    if not config then
      return nil, "cannot export the configuration from Kong: " .. tostring(err)
    end
    return config, nil
  end
  for _ = 1, _M.MAX_READS do
    local before = current_hash()
    local config, err = read_once(yield)
    local after = current_hash()
    if before == after then
      if not config then
        return nil, err
      end
      return config, after
    end
    -- Changed under the read: read again. 3.4 to 3.8 may say so themselves,
    -- "stale data detected while paginating" (db/strategies/off/init.lua).
  end
  return nil, "the configuration changed during each of " .. _M.MAX_READS .. " reads", "changing"
end

--- The plan for the native library's LMDB export
-- (native/src/config/kong_export_plan.h), as JSON: where this node's LMDB
-- is and, for each exported entity type in export order, what
-- export_config() acts on. Or nil and why there is none.
local function build_lmdb_plan()
  local conf = kong.configuration
  if conf.database ~= "off" then
    return nil, "the node is not DB-less"
  end
  local enterprise = edition.enterprise(kong.version)
  if enterprise and conf.keyring_enabled then
    -- EE's keyring encrypts fields as they are stored; Kong's DAO decrypts them.
    return nil, "Kong Enterprise's keyring is on"
  end
  local path = conf.lmdb_environment_path
  if type(path) ~= "string" or path == "" then
    return nil, "lmdb_environment_path is not set"
  end
  if path:sub(1, 1) ~= "/" then
    path = conf.prefix .. "/" .. path -- nginx resolves it against the prefix
  end
  local sorted, err = sorted_schemas()
  if not sorted then
    return nil, err
  end
  local entities = {}
  for _, schema in ipairs(sorted) do
    if schema.db_export ~= false then
      local fks = {} -- none: cjson writes {}, which the plan reads as no keys
      for field_name, field in schema:each_field() do
        if field.type == "foreign" then
          fks[#fks + 1] = field_name
        end
      end
      entities[#entities + 1] = { name = schema.name, workspaceable = schema.workspaceable == true,
                                  ttl = schema.ttl == true, foreign_keys = fks }
    end
  end
  -- EE's export_config shows ws_id (its GLOBAL_QUERY_OPTS has show_ws_id).
  return cjson.encode({ lmdb_environment_path = path, entities = entities, keep_ws_id = enterprise })
end

-- Built once per worker: the node's configuration and Kong's schemas do
-- not change while it runs.
local plan_cache
function _M.lmdb_plan()
  if not plan_cache then
    local plan, why = build_lmdb_plan()
    plan_cache = { plan, why }
  end
  return plan_cache[1], plan_cache[2]
end

--- Kong's definition of empty (import.lua config_is_empty): nothing but the
-- workspaces, whatever the `_` keys say.
function _M.is_empty(config)
  for key, value in pairs(config) do
    if type(key) == "string" and key:sub(1, 1) ~= "_" and key ~= "workspaces"
       and type(value) == "table" and next(value) ~= nil then
      return false
    end
  end
  return true
end

return _M

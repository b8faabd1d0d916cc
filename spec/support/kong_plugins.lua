-- What Kong does with a plugin's schema when it loads the plugin, restated for
-- the specs, for Kong OSS 3.9.1 ("oss") and Kong Enterprise 3.10 (the
-- FTI-6378 snapshot, "ee"):
--   1. MetaSubSchema:validate (kong_metaschema.lua);
--   2. Entity.new_subschema: the schema becomes a subschema of the plugins
--      entity, each top-level field specializing one of that entity's;
--   3. the dao marks the handler no_consumer etc. from `eq = ngx.null`;
--   4. (EE) the keyring encrypts the fields marked `encrypted`.
-- Plus the loading of a plugin schema module against an edition's typedefs.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local V = dofile(here .. "kong_validate.lua")
local typedefs = dofile(here .. "kong_typedefs.lua")
local metaschema = dofile(here .. "kong_metaschema.lua")

local M = {}

M.EDITIONS = { "oss", "ee" }
M.KONG_REF = { oss = "3.9.1", ee = "FTI-6378" }
M.null = V.null
-- Kong's validation of a value against a field (as on an Admin API write).
M.validate = V.field

local TYPEDEFS = "kong.db.schema.typedefs"

--- Requires `module` afresh against the typedefs of `edition`, with ngx.null
-- defined as Kong's code sees it; restores package.loaded, package.preload
-- and the global ngx afterwards, so editions never leak into each other.
function M.load(edition, module)
  local saved = { loaded = package.loaded[module], typedefs = package.loaded[TYPEDEFS],
    preload = package.preload[TYPEDEFS], ngx = rawget(_G, "ngx") }
  package.loaded[module] = nil
  package.loaded[TYPEDEFS] = nil
  package.preload[TYPEDEFS] = typedefs.preload(edition)
  -- Outside nginx there is no ngx: a stand-in with the NULL value that
  -- OpenResty's ngx.null is.
  rawset(_G, "ngx", { null = M.null })
  local ok, result = pcall(require, module)
  package.loaded[module] = saved.loaded
  package.loaded[TYPEDEFS] = saved.typedefs
  package.preload[TYPEDEFS] = saved.preload
  rawset(_G, "ngx", saved.ngx)
  if not ok then
    error(result, 0)
  end
  return result
end

--- The typedefs of an edition, as a plugin schema sees them.
function M.typedefs(edition)
  return typedefs.build(edition, M.null)
end

-- The plugins entity a plugin schema specializes: kong/db/schema/entities/
-- plugins.lua 3.9.1:16-29; Enterprise adds consumer_group and ordering
-- (FTI-6378:23-38). Kept to what new_subschema compares: names and types.
local function plugins_entity(edition)
  local t = M.typedefs(edition)
  local fields = {
    { id = t.uuid },
    { name = { type = "string", required = true } },
    { instance_name = t.utf8_name },
    { created_at = t.auto_timestamp_s },
    { updated_at = t.auto_timestamp_s },
    { route = { type = "foreign", reference = "routes", default = M.null, on_delete = "cascade" } },
    { service = { type = "foreign", reference = "services", default = M.null, on_delete = "cascade" } },
    { consumer = { type = "foreign", reference = "consumers", default = M.null, on_delete = "cascade" } },
  }
  if edition == "ee" then
    fields[#fields + 1] = { consumer_group = { type = "foreign", reference = "consumer_groups", on_delete = "cascade" } }
  end
  -- config is abstract, and Entity.new leaves abstract fields alone, so it is
  -- not made required (kong/db/schema/entity.lua 3.9.1:41-61).
  fields[#fields + 1] = { config = { type = "record", abstract = true } }
  fields[#fields + 1] = { protocols = t.protocols }
  fields[#fields + 1] = { enabled = { type = "boolean", required = true, default = true } }
  fields[#fields + 1] = { tags = t.tags }
  if edition == "ee" then
    fields[#fields + 1] = { ordering = t.plugin_ordering }
  end
  return fields
end

--- The names of the plugins entity's fields, in order.
function M.plugins_entity_fields(edition)
  local names = {}
  for i, item in ipairs(plugins_entity(edition)) do
    names[i] = next(item)
  end
  return names
end

-- The entities loaded before plugins, a foreign key may point to: the core
-- ones (kong/constants.lua 3.9.1:137-155); Enterprise adds consumer_groups
-- ahead of plugins (FTI-6378 kong/enterprise_edition/constants.lua:39).
local ENTITIES = {
  oss = { workspaces = true, consumers = true, certificates = true, services = true, routes = true, snis = true,
    upstreams = true, targets = true, plugins = true, tags = true, ca_certificates = true,
    clustering_data_planes = true, parameters = true, vaults = true, key_sets = true, keys = true,
    filter_chains = true },
}
ENTITIES.ee = setmetatable({ consumer_groups = true, custom_plugins = true }, { __index = ENTITIES.oss })

local function deep_copy(v, seen)
  if type(v) ~= "table" then
    return v
  end
  seen = seen or {}
  if seen[v] then
    return seen[v]
  end
  local c = {}
  seen[v] = c
  for k, x in pairs(v) do
    c[deep_copy(k, seen)] = deep_copy(x, seen)
  end
  return setmetatable(c, getmetatable(v))
end

-- Records are made required unless they say otherwise, nested ones too
-- (make_records_required, kong/db/schema/entity.lua 3.9.1:15-24).
local function make_records_required(field)
  if field.required == nil then
    field.required = true
  end
  for _, item in ipairs(field.fields or {}) do
    local _, f = next(item)
    if type(f) == "table" and f.type == "record" then
      make_records_required(f)
    end
  end
end

-- Can the subschema's field replace the parent's? (compatible_fields,
-- kong/db/schema/init.lua 3.9.1:1078-1096, FTI-6378:1089-1107).
local function compatible(parent, field)
  if parent.type == "record" and field.type == "json" then
    return true
  end
  if parent.type ~= field.type then
    return false
  end
  if parent.type == "array" or parent.type == "set" then
    return (parent.elements or {}).type == (field.elements or {}).type
  end
  if parent.type == "map" then
    return (parent.keys or {}).type == (field.keys or {}).type and (parent.values or {}).type == (field.values or {}).type
  end
  return true
end

--- Entity.new_subschema of the plugin schema under the plugins entity
-- (kong/db/schema/entity.lua 3.9.1:27-31, Schema.new_subschema init.lua
-- 3.9.1:2605-2645; FTI-6378 entity.lua:143-158, init.lua:2528-2561): true, or
-- nil and the list of errors, worded as Kong's (init.lua 3.9.1:129-131).
-- Runs on a copy: Kong's make_records_required changes the definition it
-- is given.
function M.new_subschema(edition, schema)
  local def = deep_copy(schema)
  local name = tostring(def.name)
  make_records_required(def)
  def.required = nil
  local errors = {}
  local function add(msg)
    errors[#errors + 1] = msg
  end

  local parent = {}
  for _, item in ipairs(plugins_entity(edition)) do
    local k, f = next(item)
    parent[k] = f
  end
  local own = {}
  for _, item in ipairs(def.fields or {}) do
    local fname, field = next(item)
    own[fname] = field
    -- Schema.new: a foreign key must point to a loaded entity (init.lua
    -- 3.9.1:2538-2543, 2326-2335).
    if type(field) == "table" and field.type == "foreign" and not ENTITIES[edition][field.reference] then
      add(("schema refers to an invalid foreign entity: %s"):format(tostring(field.reference)))
    end
    local base = parent[fname]
    if not base then
      add(("error in definition of '%s': %s: cannot create a new field"):format(name, fname))
    elseif type(field) == "table" and not compatible(base, field) then
      add(("error in definition of '%s': %s: cannot change type in a specialized field"):format(name, fname))
    end
  end
  for fname, field in pairs(parent) do
    if not own[fname] then
      if field.abstract and field.required then
        -- Kong's own rule (init.lua 3.9.1:2634-2638); it never fires for
        -- plugins, their config not being required (see plugins_entity).
        add(("error in definition of '%s': %s: abstract field was not specialized"):format(name, fname))
      elseif field.abstract then
        -- So a plugin without config loads, but Kong then refuses every
        -- config given to it (validate_field, init.lua 3.9.1:894-896).
        add(("error in definition of '%s': %s: abstract field was not specialized "
          .. "(Kong loads the plugin, then refuses any %s)"):format(name, fname, fname))
      end
    end
  end
  if #errors > 0 then
    table.sort(errors)
    return nil, errors
  end
  return true
end

--- Everything Kong checks when it loads the plugin: the metaschema, then the
-- subschema (plugin_loader.load_subschema, kong/db/schema/plugin_loader.lua
-- 3.9.1:16-43). Note that FTI-6378's load_subschema ignores new_subschema's
-- error (it tests the metaschema's `ok`, plugin_loader.lua:66-69): EE loads
-- such a plugin, then refuses every instance of it as a plugin that is not
-- enabled, having no subschema for it. Either way the schema is wrong.
function M.check(edition, schema)
  local ok, errors = metaschema.check(edition, schema)
  if not ok then
    return nil, errors
  end
  return M.new_subschema(edition, schema)
end

--- The handler flags Kong sets from the schema: a consumer, route or service
-- (EE: consumer group) field whose eq is ngx.null (kong/db/dao/plugins.lua
-- 3.9.1:286-298; FTI-6378:379-397).
function M.handler_flags(edition, schema)
  local flags = {}
  local fields = { "consumer", "route", "service" }
  if edition == "ee" then
    fields[#fields + 1] = "consumer_group"
  end
  for _, item in ipairs(schema.fields) do
    for _, name in ipairs(fields) do
      if item[name] and item[name].eq == M.null then
        flags["no_" .. name] = true
      end
    end
  end
  return flags
end

--- Kong EE's keyring on a schema: the dotted paths it encrypts, and those
-- of the `encrypted` flags it ignores. It acts on a flag on a string field or
-- an array of strings, looking into records only (find_encrypted_fields and
-- add_encryption_transformations, FTI-6378 kong/db/schema/entity.lua:64-117):
-- a flag on a map's values or an array's elements, or on a field of another
-- type, does nothing.
function M.keyring(schema)
  local encrypted, ignored = {}, {}
  local function walk(def, path, reachable)
    for _, item in ipairs(def.fields or {}) do
      local name, field = next(item)
      local fpath = path .. name
      local acts = reachable and field.encrypted
        and (field.type == "string" or (field.type == "array" and (field.elements or {}).type == "string"))
      if acts then
        encrypted[#encrypted + 1] = fpath
      elseif field.encrypted then
        ignored[#ignored + 1] = fpath
      end
      -- The keyring goes into a record only when the record itself is not
      -- flagged (entity.lua:109-114).
      local into = reachable and not field.encrypted and field.type == "record"
      for _, attr in ipairs({ "elements", "keys", "values" }) do
        local nested = field[attr]
        if type(nested) == "table" then
          if nested.encrypted then
            ignored[#ignored + 1] = fpath .. "." .. attr
          end
          walk(nested, fpath .. "." .. attr .. ".", false)
        end
      end
      walk(field, fpath .. ".", into)
    end
  end
  walk(schema, "", true)
  table.sort(encrypted)
  table.sort(ignored)
  return encrypted, ignored
end

return M

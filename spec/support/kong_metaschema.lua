-- Kong's MetaSubSchema, restated: what `MetaSchema.MetaSubSchema:validate`
-- refuses in a plugin schema before Kong loads it (kong/db/schema/
-- plugin_loader.lua 3.9.1:31-34; FTI-6378:61-64). Line numbers are of
-- kong/db/schema/metaschema.lua at 3.9.1 unless said otherwise; Enterprise
-- (FTI-6378) differs only where noted.
--
-- Kong validates a plugin schema twice over: as a value of the metaschema
-- (its field definitions are records of known attributes, each typed), and by
-- the metaschema's own `check` (check_fields / check_field: per-type
-- attributes, required sub-attributes, nesting). Both are done here, in one
-- walk, with errors named by the field's path ("config.storage.between")
-- rather than filed under the bare field name as Kong does (check_field,
-- 621-689), and worded as Kong words them.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local V = dofile(here .. "kong_validate.lua")

local M = {}

local function quoted(list)
  return "'" .. table.concat(list, "', '") .. "'"
end

-- The messages of the `check` function (418-435).
local META = {
  ATTRIBUTE = "field of type '%s' cannot have attribute '%s'",
  REQUIRED = "field of type '%s' must declare '%s'",
  TABLE = "'%s' must be a table",
  TYPE = "missing type declaration",
  FIELD_EMPTY = "field entry table is empty",
  FIELDS_ARRAY = "each entry in fields must be a sub-table",
  JSON_PARENT_KEY = "value must be a field name of the parent schema",
  JSON_PARENT_KEY_TYPE = "value must be a string field of the parent schema",
}

-- The field types (kong/db/schema/init.lua 3.9.1:144-156, the same in
-- FTI-6378): `type` must be one of these (178).
M.TYPES = { "array", "boolean", "foreign", "function", "integer", "json", "map", "number", "record", "set", "string" }

-- Entity-check helpers, for the records of the metaschema that carry entity
-- checks (kong/db/schema/init.lua 3.9.1 Schema.entity_checkers, 590-822).
local function nonempty(v)
  return v ~= nil and v ~= V.null
end

local function at_least_one_of(names)
  return function(rec)
    for _, n in ipairs(names) do
      if nonempty(rec[n]) then
        return true
      end
    end
    return nil, "at least one of these fields must be non-empty: " .. quoted(names)
  end
end

local function all_of(...)
  local checks = { ... }
  return function(rec)
    for _, check in ipairs(checks) do
      local ok, err = check(rec)
      if not ok then
        return nil, err
      end
    end
    return true
  end
end

local boolean, str, int, num = { type = "boolean" }, { type = "string" }, { type = "integer" }, { type = "number" }
local any, fn = { type = "any" }, { type = "function" }
local strings = { type = "array", elements = { type = "string" } }

-- The validator attributes (47-69), also allowed in the `if_match` and
-- `then_match` of a conditional check (315-323).
local function validator_attributes()
  local match_list = { type = "array", elements = { type = "record", fields = {
    { pattern = { type = "string", required = true } }, { err = str } } } }
  return {
    between = { type = "array", elements = num, len_eq = 2 },
    eq = any, ne = any, gt = num, len_eq = int, len_min = int, len_max = int,
    match = str, not_match = str, match_all = match_list, match_none = match_list,
    match_any = { type = "record", fields = { { patterns = { type = "array", elements = str, required = true } },
      { err = str } } },
    starts_with = str, one_of = { type = "array", elements = any }, not_one_of = { type = "array", elements = any },
    contains = any, is_regex = boolean, timestamp = boolean, uuid = boolean, custom_validator = fn,
    mutually_exclusive_subsets = { type = "array", elements = { type = "array", elements = str } },
  }
end

-- Sentinels for the attributes the walk below handles itself.
local NESTED, FIELDS, SHORTHANDS = {}, {}, {}

-- The rules of one edition: the attributes a field definition may carry, and
-- the per-type restrictions.
function M.rules(edition)
  local r = { edition = edition }

  -- The attributes that are not validators (177-220); `default` is checked
  -- against the field itself (type "self", 187); elements/keys/values are
  -- field definitions and `fields` a fields array (308-312);
  -- entity_checks/shorthand_fields (414-415).
  local a = validator_attributes()
  a.type = { type = "string", one_of = M.TYPES, required = true }
  for _, name in ipairs({ "required", "auto", "unique", "unique_across_ws", "abstract", "generate_admin_api",
    "immutable", "encrypted", "referenceable", "transient" }) do
    a[name] = boolean
  end
  a.reference = str
  a.err = str
  a.description = { type = "string", len_min = 10, len_max = 500 } -- 181
  a.examples = { type = "array", elements = any } -- 182
  a.on_delete = { type = "string", one_of = { "restrict", "cascade", "null" } } -- 186
  a.default = { type = "self" }
  -- json_schema (155-173): its entity checks as a validator of the record.
  a.json_schema = { type = "record",
    fields = { { namespace = { type = "string", one_of = { "proxy-wasm-filters" } } }, -- constants.lua 3.9.1:271-273
      { parent_subschema_key = str }, { optional = boolean }, { inline = any }, { default = any } },
    custom_validator = all_of(at_least_one_of({ "inline", "namespace", "parent_subschema_key" }),
      function(rec)
        if nonempty(rec.namespace) ~= nonempty(rec.parent_subschema_key) then
          return nil, "all or none of these fields must be set: 'namespace', 'parent_subschema_key'"
        end
        if nonempty(rec.inline) and (nonempty(rec.namespace) or nonempty(rec.parent_subschema_key)
            or nonempty(rec.optional)) then
          return nil, "these sets are mutually exclusive: ('inline'), ('namespace', 'parent_subschema_key', 'optional')"
        end
        return true
      end) }
  a.deprecation = { type = "record", fields = { -- 203-219
    { message = { type = "string", required = true } },
    { removal_in_version = { type = "string", required = true } },
    { old_default = any },
    { replaced_with = { type = "array", elements = { type = "record", fields = {
      { path = { type = "array", len_min = 1, required = true, elements = str } },
      { reverse_mapping_function = fn } } } } },
  } }
  if edition == "ee" then
    -- Enterprise's extra attributes (FTI-6378 metaschema.lua:201-203).
    a.prefix_ws, a.db_export, a.indexed = boolean, boolean, boolean
  end
  a.elements, a.keys, a.values = NESTED, NESTED, NESTED
  a.fields = FIELDS
  a.shorthand_fields = SHORTHANDS
  r.attributes = a

  -- The same, as a generic field list, for the places where Kong nests a
  -- field definition inside another metaschema record (if_match.elements...).
  -- Filled in below, once entity_checks is known.
  local list = {}
  r.field_record = { type = "record", fields = list }

  -- entity_checks (326-398): an array of checks, each exactly one of the
  -- checkers (only_one_of over Schema.entity_checkers, 394), each checker's
  -- argument typed.
  local conditional_match = { type = "record", fields = { { required = boolean }, { elements = r.field_record },
    { keys = r.field_record }, { values = r.field_record } } }
  for name, spec in pairs(validator_attributes()) do
    table.insert(conditional_match.fields, { [name] = spec })
  end
  local checkers = {
    { at_least_one_of = strings },
    { conditional_at_least_one_of = { type = "record", fields = {
      { if_field = str }, { if_match = conditional_match }, { then_at_least_one_of = strings }, { then_err = str },
      { else_match = conditional_match }, { else_then_at_least_one_of = strings }, { else_then_err = str } } } },
    { only_one_of = strings },
    { distinct = strings },
    { conditional = { type = "record", fields = { { if_field = str }, { if_match = conditional_match },
      { then_field = str }, { then_match = conditional_match }, { then_err = str } } } },
    { custom_entity_check = { type = "record", fields = { { field_sources = strings }, { fn = fn },
      { run_with_missing_fields = boolean }, { run_with_invalid_fields = boolean } } } },
    { mutually_required = strings },
    { mutually_exclusive = strings },
    { mutually_exclusive_sets = { type = "record", fields = { { set1 = strings }, { set2 = strings } } } },
  }
  local checker_names = {}
  for i, c in ipairs(checkers) do
    checker_names[i] = next(c)
  end
  r.entity_checks = { type = "array", elements = { type = "record", fields = checkers,
    custom_validator = function(rec)
      local n = 0
      for _, name in ipairs(checker_names) do
        if nonempty(rec[name]) then
          n = n + 1
        end
      end
      return n == 1 or nil, "exactly one of these fields must be non-empty: " .. quoted(checker_names)
    end } }
  a.entity_checks = r.entity_checks

  local fields_array = { type = "array", elements = { type = "map", keys = str, values = r.field_record, len_eq = 1 } }
  for name, spec in pairs(a) do
    if spec == NESTED then
      spec = r.field_record
    elseif spec == FIELDS or spec == SHORTHANDS then
      spec = fields_array
    end
    list[#list + 1] = { [name] = spec }
  end

  -- A shorthand field cannot be a record, a foreign key or a function
  -- (694-716).
  local shorthand_types = {}
  for _, t in ipairs(M.TYPES) do
    if t ~= "record" and t ~= "foreign" and t ~= "function" then
      shorthand_types[#shorthand_types + 1] = t
    end
  end
  r.shorthand_type = { type = "string", one_of = shorthand_types, required = true }

  -- transformations (259-305): at least one of on_write/on_read each.
  r.transformations = { type = "array", elements = { type = "record",
    fields = { { input = strings }, { needs = strings }, { on_write = fn }, { on_read = fn } },
    custom_validator = at_least_one_of({ "on_write", "on_read" }) } }

  -- Required sub-attributes per type (438-444); an abstract record needs no
  -- fields (628-630).
  r.required_attributes = { array = { "elements" }, set = { "elements" }, map = { "keys", "values" },
    record = { "fields" }, json = { "json_schema" } }

  -- Each attribute listed here is allowed only on these types (447-512);
  -- Enterprise adds `indexed` (FTI-6378 metaschema.lua:511-518).
  local function set(...)
    local s = {}
    for _, t in ipairs({ ... }) do
      s[t] = true
    end
    return s
  end
  r.attribute_types = {
    between = set("integer", "number"),
    len_eq = set("array", "set", "string", "map"),
    match = set("string"),
    one_of = set("string", "number", "integer"),
    contains = set("array", "set"),
    is_regex = set("string"),
    timestamp = set("number", "integer"),
    uuid = set("string"),
    unique = set("string", "number", "integer", "foreign"),
    unique_across_ws = set("string", "number", "integer", "foreign"),
    abstract = set("string", "number", "integer", "record", "array", "set", "map"),
    json_schema = set("json"),
    transient = set("string", "number", "integer", "array", "set", "boolean"),
  }
  if edition == "ee" then
    r.attribute_types.indexed = set("string", "number", "integer", "array", "set", "boolean")
  end
  return r
end

-- Errors are "path: message" lines.
local function add(errors, path, msg)
  errors[#errors + 1] = path .. ": " .. msg
end

-- A nested error of kong_validate (a table for records and arrays) as lines.
local function add_nested(errors, path, err)
  if type(err) ~= "table" then
    add(errors, path, tostring(err))
    return
  end
  for k, v in pairs(err) do
    add_nested(errors, type(k) == "number" and (path .. "[" .. k .. "]") or (path .. "." .. k), v)
  end
end

local function validate(errors, path, spec, value)
  local ok, err = V.field(spec, value)
  if not ok then
    add_nested(errors, path, err)
  end
end

local check_fields

-- One field definition: its attributes as a metaschema record (validate_fields
-- over field_schema, kong/db/schema/init.lua 3.9.1:1195-1240), then the
-- `check` rules (check_field, 621-689). `kind` is "field" for an entry of a
-- fields array (which also gets field_entity_checks, 236-256), "nested" for
-- elements/keys/values (308-311: no entity checks), "shorthand" for a
-- shorthand field (694-727).
local function check_definition(r, path, def, errors, parent, kind)
  for attr, value in pairs(def) do
    local apath = path .. "." .. tostring(attr)
    local spec = r.attributes[attr]
    if kind == "shorthand" and attr == "func" then
      spec = fn -- 718
    elseif kind == "shorthand" and attr == "type" then
      spec = r.shorthand_type
    end
    if spec == nil then
      add(errors, apath, V.MSG.UNKNOWN) -- an unknown attribute (init.lua 3.9.1:1120-1124)
    elseif spec == NESTED then
      if type(value) == "table" then
        check_definition(r, apath, value, errors, def, "nested")
      else
        add(errors, apath, V.MSG.RECORD)
      end
    elseif spec == FIELDS then
      check_fields(r, apath, path .. ".", value, errors, "field")
    elseif spec == SHORTHANDS then
      check_fields(r, apath, apath .. ".", value, errors, "shorthand")
    elseif spec.type == "self" then
      -- The default must be a valid value of the field (init.lua 3.9.1:1213-1219).
      validate(errors, apath, def, value)
    else
      validate(errors, apath, spec, value)
    end
  end

  if def.type == nil then
    add(errors, path .. ".type", V.MSG.REQUIRED)
  end
  if kind == "shorthand" and def.func == nil then
    add(errors, path .. ".func", V.MSG.REQUIRED) -- 718
  end
  if kind ~= "nested" and def.unique_across_ws == true and def.unique ~= true then
    -- unique_across_ws needs unique = true (236-244).
    add(errors, path .. ".unique", def.unique == nil and V.MSG.REQUIRED or "value must be true")
  end
  if kind == "shorthand" then
    return -- the `check` function looks at `fields` only (565-618)
  end

  -- check_field (621-689).
  if def.type == nil then
    add(errors, path, META.TYPE)
    return
  end
  local required = r.required_attributes[def.type]
  if required and not (def.abstract and def.type == "record") then
    for _, attr in ipairs(required) do
      if not def[attr] then
        add(errors, path, META.REQUIRED:format(def.type, attr))
      end
    end
  end
  for attr in pairs(def) do
    local types = r.attribute_types[attr]
    if types and not types[def.type] then
      add(errors, path, META.ATTRIBUTE:format(tostring(def.type), attr))
    end
  end
  if def.type == "json" and type(def.json_schema) == "table" and def.json_schema.parent_subschema_key then
    -- The key must name a string field of the enclosing schema (653-684).
    local key, found = def.json_schema.parent_subschema_key, nil
    for _, item in ipairs(parent and parent.fields or {}) do
      local name, f = next(item)
      if name == key then
        found = f
      end
    end
    if not found then
      add(errors, path .. ".json_schema.parent_subschema_key", META.JSON_PARENT_KEY)
    elseif found.type ~= "string" then
      add(errors, path .. ".json_schema.parent_subschema_key", META.JSON_PARENT_KEY_TYPE)
    end
  end
end

-- A fields array (247-256, and check_fields 596-613): a sequence of one-key
-- maps, string keys, each value a field definition. `label` is the path of
-- the array, `base` the prefix of its fields' paths.
check_fields = function(r, label, base, fields, errors, kind)
  if not V.is_sequence(fields) then
    add(errors, label, V.MSG.ARRAY)
    return
  end
  local parent = { fields = fields }
  for i, item in ipairs(fields) do
    local where = label .. "[" .. i .. "]"
    if type(item) ~= "table" then
      add(errors, where, V.MSG.MAP .. "; " .. META.FIELDS_ARRAY)
    elseif next(item) == nil then
      add(errors, where, "length must be 1; " .. META.FIELD_EMPTY)
    else
      local count = 0
      for _ in pairs(item) do
        count = count + 1
      end
      if count ~= 1 then
        add(errors, where, "length must be 1") -- len_eq = 1 (254)
      end
      for name, def in pairs(item) do
        if type(name) ~= "string" then
          add(errors, where, V.MSG.STRING)
        elseif type(def) ~= "table" then
          add(errors, base .. name, V.MSG.RECORD .. "; " .. META.TABLE:format(name))
        else
          check_definition(r, base .. name, def, errors, parent, kind)
        end
      end
    end
  end
end

-- Does the schema have this (possibly dotted) field? A foreign field is
-- trusted for the rest of the path (525-563).
local function has_field(schema, name)
  if type(schema) ~= "table" or type(schema.fields) ~= "table" then
    return false
  end
  local head, tail = name:match("^([^.]+)%.(.+)$")
  for _, item in ipairs(schema.fields) do
    local k, f = next(type(item) == "table" and item or {})
    if k ~= nil and k == (head or name) then
      if not head then
        return true
      end
      return type(f) == "table" and (f.type == "foreign" or has_field(f, tail))
    end
  end
  return false
end

--- MetaSubSchema:validate of a plugin schema (998-1036): true, or nil and a
-- sorted list of "path: message" lines.
function M.check(edition, schema)
  local r = M.rules(edition)
  local errors = {}
  if type(schema) ~= "table" then
    return nil, { "expected an input table" } -- init.lua 3.9.1:1196
  end

  -- The top-level keys a plugin schema may have (998-1025); any other is an
  -- unknown field (init.lua 3.9.1:1120-1124).
  local top = {
    name = { type = "string", required = true },
    fields = FIELDS,
    entity_checks = r.entity_checks,
    shorthand_fields = SHORTHANDS,
    transformations = r.transformations,
    check = fn,
  }
  for k, v in pairs(schema) do
    local spec = top[k]
    if spec == nil then
      add(errors, tostring(k), V.MSG.UNKNOWN)
    elseif spec == FIELDS then
      check_fields(r, "fields", "", v, errors, "field")
    elseif spec == SHORTHANDS then
      check_fields(r, "shorthand_fields", "shorthand_fields.", v, errors, "shorthand")
    else
      validate(errors, k, spec, v)
    end
  end
  if schema.name == nil then
    add(errors, "name", V.MSG.REQUIRED)
  end
  if schema.fields == nil then
    add(errors, "fields", META.TABLE:format("fields")) -- 1029-1032
  end

  -- Transformations may only name fields of the schema (565-594).
  if type(schema.transformations) == "table" then
    for i, t in ipairs(schema.transformations) do
      for _, list in ipairs({ "input", "needs" }) do
        for j, name in ipairs(type(t) == "table" and type(t[list]) == "table" and t[list] or {}) do
          if type(name) == "string" and not has_field(schema, name) then
            add(errors, ("transformations[%d].%s[%d]"):format(i, list, j), "invalid field name: " .. name)
          end
        end
      end
    end
  end

  if #errors > 0 then
    table.sort(errors)
    return nil, errors
  end
  return true
end

return M

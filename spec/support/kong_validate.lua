-- How Kong validates one value against one field definition, restated from
-- kong/db/schema/init.lua (3.9.1; line numbers below are that tag's). The
-- metaschema checks of a plugin schema are themselves field definitions
-- validated this way, and `default = <value>` is validated against the very
-- field that declares it. Errors use Kong's wording; record and array errors
-- are tables keyed like Kong's (field name, element index).

local cjson = require("cjson")

local M = {}

-- ngx.null in OpenResty is the NULL lightuserdata, the same value as
-- cjson.null: this is the value Kong's `eq = null` and `== null` compare with.
M.null = cjson.null
local null = M.null

-- The messages (init.lua:65-133), the ones these checks produce.
local MSG = {
  ARRAY = "expected an array", SET = "expected a set", MAP = "expected a map", RECORD = "expected a record",
  STRING = "expected a string", NUMBER = "expected a number", BOOLEAN = "expected a boolean",
  INTEGER = "expected an integer", FUNCTION = "expected a function",
  EQ = "value must be %s", NE = "value must not be %s", GT = "value must be greater than %s",
  BETWEEN = "value should be between %d and %d", LEN_EQ = "length must be %d", LEN_MIN = "length must be at least %d",
  LEN_MAX = "length must be at most %d", MATCH = "invalid value: %s", NOT_MATCH = "invalid value: %s",
  STARTS_WITH = "should start with: %s", CONTAINS = "expected to contain: %s", ONE_OF = "expected one of: %s",
  NOT_ONE_OF = "must not be one of: %s", TIMESTAMP = "expected a valid timestamp", UUID = "expected a valid UUID",
  VALIDATION = "failed validating: %s", REQUIRED = "required field missing", UNKNOWN = "unknown field",
  MISSING_PK = "missing primary key", SCHEMA_TYPE = "invalid type: %s",
  ABSTRACT = "error in schema definition: abstract field was not specialized",
  MUTUALLY_EXCLUSIVE_SETS = "these sets are mutually exclusive: %s",
}
M.MSG = MSG

-- A sequence: its keys are exactly 1..n (init.lua:444-466).
local function is_sequence(t)
  if type(t) ~= "table" then
    return false
  end
  local count, max = 0, 0
  for k in pairs(t) do
    if type(k) ~= "number" or k ~= math.floor(k) or k < 1 then
      return false
    end
    count, max = count + 1, math.max(max, k)
  end
  return count == max
end
M.is_sequence = is_sequence

-- A vault reference: "{vault://...}" (kong/pdk/vault.lua 3.9.1:79-91).
local function is_reference(v)
  return type(v) == "string" and v:sub(1, 9) == "{vault://" and v:sub(-1) == "}"
end

local function join(list)
  local parts = {}
  for i = 1, #list do
    parts[i] = tostring(list[i])
  end
  return table.concat(parts, ", ")
end

-- Length counts bytes, and a map's pairs (init.lua:162-175).
local function length(value, field)
  local n = #value
  if field.type == "map" then
    for _ in pairs(value) do
      n = n + 1
    end
  end
  return n
end

-- The validators, in the order Kong runs them (init.lua:212-386, 388-420).
-- is_regex needs PCRE (ngx.re), which is not here: it is left out.
local VALIDATORS = {
  { "eq", function(v, want)
      return v == want or nil, MSG.EQ:format(want == null and "null" or tostring(want))
    end },
  { "ne", function(v, unwanted)
      return v ~= unwanted or nil, MSG.NE:format(unwanted == null and "null" or tostring(v))
    end },
  { "not_one_of", function(v, list)
      for i = 1, #list do
        if v == list[i] then
          return nil, MSG.NOT_ONE_OF:format(join(list))
        end
      end
      return true
    end },
  { "one_of", function(v, list)
      for i = 1, #list do
        if v == list[i] then
          return true
        end
      end
      return nil, MSG.ONE_OF:format(join(list))
    end },
  { "gt", function(v, limit) return v > limit or nil, MSG.GT:format(tostring(limit)) end },
  { "timestamp", function(v) return v > 0 or nil, MSG.TIMESTAMP end },
  { "uuid", function(v)
      local hex = "%x%x%x%x"
      local pattern = "^" .. hex .. hex .. "%-" .. hex .. "%-" .. hex .. "%-" .. hex .. "%-" .. hex .. hex .. hex .. "$"
      return (#v == 36 and v:find(pattern) ~= nil) or nil, MSG.UUID
    end },
  { "between", function(v, limits)
      return (v >= limits[1] and v <= limits[2]) or nil, MSG.BETWEEN:format(limits[1], limits[2])
    end },
  { "len_eq", function(v, n, f) return length(v, f) == n or nil, MSG.LEN_EQ:format(n) end },
  { "len_min", function(v, n, f) return length(v, f) >= n or nil, MSG.LEN_MIN:format(n) end },
  { "len_max", function(v, n, f) return length(v, f) <= n or nil, MSG.LEN_MAX:format(n) end },
  { "starts_with", function(v, prefix) return v:sub(1, #prefix) == prefix or nil, MSG.STARTS_WITH:format(prefix) end },
  { "not_match", function(v, p) return not v:match(p) or nil, MSG.NOT_MATCH:format(v) end },
  { "match_none", function(v, list)
      for i = 1, #list do
        if v:match(list[i].pattern) then
          return nil, list[i].err
        end
      end
      return true
    end },
  { "match", function(v, p) return v:match(p) ~= nil or nil, MSG.MATCH:format(v) end },
  { "match_all", function(v, list)
      for i = 1, #list do
        if not v:match(list[i].pattern) then
          return nil, list[i].err
        end
      end
      return true
    end },
  { "match_any", function(v, arg)
      for i = 1, #arg.patterns do
        if v:match(arg.patterns[i]) then
          return true
        end
      end
      return nil, arg.err
    end },
  { "contains", function(v, wanted)
      for i = 1, #v do
        if v[i] == wanted then
          return true
        end
      end
      return nil, MSG.CONTAINS:format(tostring(wanted))
    end },
  { "custom_validator", function(v, fn) return fn(v) end },
  { "mutually_exclusive_subsets", function(v, subsets)
      local owner, hit = {}, {}
      for _, subset in ipairs(subsets) do
        for _, name in ipairs(subset) do
          owner[name] = subset
        end
      end
      for _, x in ipairs(v) do
        local subset = owner[x]
        if subset and not hit[subset] then
          hit[subset] = true
          hit[#hit + 1] = subset
        end
      end
      if #hit <= 1 then
        return true
      end
      local quoted = {}
      for i, subset in ipairs(hit) do
        quoted[i] = "('" .. table.concat(subset, "', '") .. "')"
      end
      return nil, MSG.MUTUALLY_EXCLUSIVE_SETS:format(table.concat(quoted, ", "))
    end },
}

local validate_record

-- Elements of an array or a set are required (init.lua:838-855).
local function validate_elements(field, value)
  local element = setmetatable({ required = true }, { __index = field.elements })
  local errs, ok = {}, true
  for i = 1, #value do
    local good, err = M.field(element, value[i])
    if not good then
      errs[i], ok = err, false
    end
  end
  if ok then
    return true
  end
  return nil, errs
end

-- The type check of each type (init.lua:909-1012). Returns "done" when a
-- vault reference skips the validators (init.lua:995-997).
local function check_type(field, value)
  local t = field.type
  if t == "array" or t == "set" then
    if not is_sequence(value) then
      return nil, t == "array" and MSG.ARRAY or MSG.SET
    end
    return validate_elements(field, value)
  elseif t == "map" then
    if type(value) ~= "table" then
      return nil, MSG.MAP
    end
    local keys = setmetatable({ required = true }, { __index = field.keys })
    local values = setmetatable({ required = true }, { __index = field.values })
    for k, v in pairs(value) do
      local ok, err = M.field(keys, k)
      if not ok then
        return nil, err
      end
      ok, err = M.field(values, v)
      if not ok then
        return nil, err
      end
    end
    return true
  elseif t == "record" then
    if type(value) ~= "table" then
      return nil, MSG.RECORD
    end
    return validate_record(field.fields, value)
  elseif t == "foreign" then
    -- A foreign key is the other entity's primary key, {id = <uuid>} for the
    -- entities a plugin points to (init.lua:963-976).
    if type(value) ~= "table" or value.id == nil then
      return nil, MSG.MISSING_PK
    end
    return true
  elseif t == "integer" then
    if type(value) ~= "number" or value ~= math.floor(value) or value == math.huge or value == -math.huge then
      return nil, MSG.INTEGER
    end
    return true
  elseif t == "string" then
    if type(value) ~= "string" then
      return nil, MSG.STRING
    end
    if field.referenceable and is_reference(value) then
      return "done"
    end
    return true
  elseif t == "function" or t == "number" or t == "boolean" then
    if type(value) ~= t then
      return nil, MSG[t:upper()]
    end
    return true
  elseif t == "json" or t == "any" then
    -- json is validated by its JSON schema elsewhere (init.lua:1208-1211);
    -- "any" is an internal marker: validators only (init.lua:1009-1012).
    return true
  end
  return nil, MSG.SCHEMA_TYPE:format(tostring(t))
end

--- Schema:validate_field (init.lua:874-1030): true, or nil and an error
-- (a string, or a table for records and arrays).
function M.field(field, value)
  if value == null then
    if field.ne == null then
      return nil, field.err or MSG.NE:format("null")
    end
    if field.eq ~= nil and field.eq ~= null then
      return nil, MSG.EQ:format(tostring(field.eq))
    end
    if field.required then
      return nil, MSG.REQUIRED
    end
    return true
  end
  if field.eq == null then
    return nil, field.err or MSG.EQ:format("null")
  end
  if field.abstract then
    return nil, MSG.ABSTRACT
  end
  local ok, err = check_type(field, value)
  if ok == "done" then
    return true
  elseif not ok then
    return nil, err
  end
  -- An empty string is refused unless the field says otherwise (init.lua:990-993).
  local len_min = field.len_min
  if field.type == "string" and len_min == nil then
    len_min = 1
  end
  for _, v in ipairs(VALIDATORS) do
    local name, fn = v[1], v[2]
    local arg = name == "len_min" and len_min or field[name]
    if arg ~= nil then
      local good, verr = fn(value, arg, field)
      if not good then
        return nil, field.err or verr or MSG.VALIDATION:format(tostring(value))
      end
    end
  end
  return true
end

--- A record's fields (validate_fields, init.lua:1195-1240, and the required
-- check of Schema:validate, 2130-2136): an unknown key is an error; a field
-- of type "self" is validated against the record itself (init.lua:1213-1219,
-- how `default` is checked); a missing required field without a default is
-- an error (defaults are filled in first: init.lua:1037-1073).
validate_record = function(fields, value)
  local defs = {}
  for _, item in ipairs(fields) do
    local name, def = next(item)
    defs[name] = def
  end
  local errors = {}
  for k, v in pairs(value) do
    local def = defs[k]
    local ok, err
    if def == nil then
      ok, err = nil, MSG.UNKNOWN
    elseif def.type == "self" then
      ok, err = M.field(value, v)
    else
      ok, err = M.field(def, v)
    end
    if not ok then
      errors[k] = err
    end
  end
  for name, def in pairs(defs) do
    if def.required and def.default == nil and (value[name] == nil or value[name] == null) then
      errors[name] = MSG.REQUIRED
    end
  end
  if next(errors) then
    return nil, errors
  end
  return true
end
M.record = validate_record

return M

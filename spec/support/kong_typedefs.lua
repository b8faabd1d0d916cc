-- Kong's `kong.db.schema.typedefs`, restated for the specs: the typedefs a
-- plugin schema and the plugins entity use, for Kong OSS 3.9.1 ("oss") and Kong
-- Enterprise 3.10 (the FTI-6378 snapshot, "ee"). The real module needs the rest
-- of Kong (openssl, the PDK...). The plugin-facing typedefs are exact; the
-- entity-side ones (uuid, tags...) keep their shape but not their custom
-- validators, which the checks here never run.
--
-- Like Kong's (typedefs.lua 3.9.1:20, FTI-6378:20), the module reads `ngx.null`
-- when it loads: `eq = null` must be the very value Kong's dao compares with.

local M = {}

-- Schema.define (kong/db/schema/init.lua 3.9.1:2649-2661): a typedef is a
-- table that, called with a table of overrides, fills that table in with its
-- own attributes and returns it.
local define_mt = {
  __call = function(typedef, overrides)
    local out = overrides or {}
    for k, v in pairs(typedef) do
      if out[k] == nil then
        out[k] = v
      end
    end
    return out
  end,
}

local function define(t)
  return setmetatable(t, define_mt)
end

-- The protocols and their subsystems: kong/constants.lua 3.9.1:77-91; EE adds
-- ws and wss to the http subsystem (FTI-6378 constants.lua:118-136).
local SUBSYSTEMS = {
  oss = { http = "http", https = "http", tcp = "stream", tls = "stream", udp = "stream",
    tls_passthrough = "stream", grpc = "http", grpcs = "http" },
}
SUBSYSTEMS.ee = setmetatable({ ws = "http", wss = "http" }, { __index = SUBSYSTEMS.oss })

local function sorted_protocols(edition, keep)
  local list = {}
  for _, p in ipairs({ "grpc", "grpcs", "http", "https", "tcp", "tls", "tls_passthrough", "udp", "ws", "wss" }) do
    local subsystem = SUBSYSTEMS[edition][p]
    if subsystem and keep(p, subsystem) then
      list[#list + 1] = p
    end
  end
  table.sort(list)
  return list
end

--- The typedefs of `edition` ("oss" or "ee"), with `null` as ngx.null.
function M.build(edition, null)
  assert(SUBSYSTEMS[edition], "edition must be oss or ee")
  local t = {}

  -- The plugin-facing ones: a plugin says "global only" with these
  -- (typedefs.lua 3.9.1:383-405; FTI-6378:402-424, the same).
  t.no_route = define { type = "foreign", reference = "routes", eq = null,
    description = "A reference to the 'routes' table with a null value allowed." }
  t.no_service = define { type = "foreign", reference = "services", eq = null,
    description = "A reference to the 'services' table with a null value allowed." }
  t.no_consumer = define { type = "foreign", reference = "consumers", eq = null,
    description = "Custom type for representing a foreign key with a null value allowed." }
  if edition == "ee" then
    -- Enterprise only (FTI-6378 typedefs.lua:426-431); OSS has no consumer groups.
    t.no_consumer_group = define { type = "foreign", reference = "consumer_groups",
      description = "Custom type for representing a foreign key with a null value allowed.", eq = null }
  end

  -- The protocols a plugin may run on: every protocol of the http subsystem,
  -- sorted (typedefs.lua 3.9.1:466-472, 482-488); EE leaves ws/wss out of
  -- protocols_http (FTI-6378 typedefs.lua:506-523, 537-543).
  local all = sorted_protocols(edition, function() return true end)
  local http = sorted_protocols(edition, function(p, s) return s == "http" and p ~= "ws" and p ~= "wss" end)
  t.protocol = define { type = "string", one_of = all,
    description = "A string representing a protocol, such as HTTP or HTTPS." }
  t.protocols = define { type = "set", required = true, default = http, elements = t.protocol,
    description = "A set of strings representing protocols." }
  t.protocols_http = define { type = "set", required = true, default = http,
    elements = { type = "string", one_of = http },
    description = "A set of strings representing HTTP protocols." }

  -- Entity-side ones, for the plugins entity's own fields (typedefs.lua
  -- 3.9.1:359-372, 415-420, 448-459; FTI-6378:378-391, 449-454, 488-499).
  t.uuid = define { type = "string", uuid = true, auto = true,
    description = "A string representing a UUID (universally unique identifier)." }
  t.auto_timestamp_s = define { type = "integer", timestamp = true, auto = true,
    description = "An integer representing an automatic Unix timestamp in seconds." }
  t.utf8_name = define { type = "string", unique = true,
    description = "A unique string representing a UTF-8 encoded name." }
  t.tag = define { type = "string", required = true, description = "A string representing a tag." }
  t.tags = define { type = "set", elements = t.tag, description = "A set of strings representing tags." }
  if edition == "ee" then
    -- The plugin ordering map (FTI-6378 typedefs.lua:798-832).
    t.plugin_ordering = define { type = "map",
      keys = { type = "string", one_of = { "before", "after" } },
      values = { type = "map", keys = { type = "string", one_of = { "access" } },
        values = { type = "array", elements = { type = "string", unique = true } } } }
  end

  return t
end

--- A package.preload loader for "kong.db.schema.typedefs" of `edition`; like
-- Kong's, it takes ngx.null from the global ngx when it runs.
function M.preload(edition)
  return function()
    local ngx = assert(rawget(_G, "ngx"), "Kong's typedefs need ngx.null")
    return M.build(edition, ngx.null)
  end
end

return M

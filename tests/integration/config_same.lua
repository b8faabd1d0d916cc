-- luajit config_same.lua EXPECTED ACTUAL: exits 0 when ACTUAL, a declarative
-- configuration as Kong exports or runs it, is EXPECTED, the configuration a
-- test gave: the same entities of each type (matched by name, else by id,
-- else in order), each with every field EXPECTED gives and the same value;
-- what Kong adds (ids, timestamps, defaults, the default workspace,
-- _transform) is allowed. Else 1, naming the first difference.
local cjson = require("cjson.safe")

local function load(path)
  local f = assert(io.open(path, "rb"))
  local v, err = cjson.decode(f:read("*a"))
  f:close()
  if type(v) ~= "table" then
    io.stderr:write(path, ": ", tostring(err or "not a JSON object"), "\n")
    os.exit(1)
  end
  return v
end

local function same(a, b, where)
  if type(a) ~= type(b) then
    return where .. ": " .. type(a) .. " vs " .. type(b)
  end
  if type(a) ~= "table" then
    return a ~= b and (where .. ": " .. tostring(a) .. " vs " .. tostring(b)) or nil
  end
  for k, v in pairs(a) do
    local d = same(v, b[k], where .. "." .. tostring(k))
    if d then
      return d
    end
  end
end

local function find(rows, want, i)
  for _, row in ipairs(rows) do
    if (want.name ~= nil and row.name == want.name) or (want.name == nil and want.id ~= nil and row.id == want.id) then
      return row
    end
  end
  if want.name == nil and want.id == nil then
    return rows[i]
  end
end

-- What Kong makes of two shorthands before storing: entities nested in their
-- parent move to the top level, and a service's url becomes protocol, host,
-- port and path (the foreign key and the rest are what Kong adds).
local NESTED = { services = { "routes", "plugins" }, routes = { "plugins" }, consumers = { "plugins" },
                 upstreams = { "targets" }, certificates = { "snis" } }
local function normalize(config)
  local queue = { "services", "consumers", "upstreams", "certificates" }
  for _, parent_type in ipairs(queue) do
    for _, parent in ipairs(type(config[parent_type]) == "table" and config[parent_type] or {}) do
      for _, child_type in ipairs(NESTED[parent_type]) do
        if type(parent[child_type]) == "table" then
          config[child_type] = config[child_type] or {}
          for _, child in ipairs(parent[child_type]) do
            table.insert(config[child_type], child)
            for _, grandchild_type in ipairs(NESTED[child_type] or {}) do
              for _, g in ipairs(type(child[grandchild_type]) == "table" and child[grandchild_type] or {}) do
                config[grandchild_type] = config[grandchild_type] or {}
                table.insert(config[grandchild_type], g)
              end
              child[grandchild_type] = nil
            end
          end
          parent[child_type] = nil
        end
      end
    end
  end
  for _, service in ipairs(type(config.services) == "table" and config.services or {}) do
    local protocol, host, port, path = tostring(service.url or ""):match("^(%a+)://([^:/]+):?(%d*)(/?.*)$")
    if protocol then
      service.url, service.protocol, service.host = nil, protocol, host
      service.port = tonumber(port) or (protocol == "https" and 443 or 80)
      service.path = path ~= "" and path ~= "/" and path or nil
    end
  end
  return config
end

local expected, actual = normalize(load(arg[1])), load(arg[2])
for key, rows in pairs(expected) do
  if key:sub(1, 1) == "_" then
    if key == "_format_version" and actual[key] ~= rows then
      io.stderr:write("$._format_version: ", tostring(rows), " vs ", tostring(actual[key]), "\n")
      os.exit(1)
    end
  elseif type(rows) == "table" and #rows > 0 then
    local got = actual[key] or {}
    if #got ~= #rows then
      io.stderr:write("$.", key, ": ", #rows, " entities vs ", #got, "\n")
      os.exit(1)
    end
    for i, want in ipairs(rows) do
      local row = find(got, want, i)
      local d = "$." .. key .. "[" .. i .. "]: missing"
      if row then
        d = same(want, row, "$." .. key .. "[" .. i .. "]")
      end
      if d then
        io.stderr:write(d, "\n")
        os.exit(1)
      end
    end
  end
end
for key, rows in pairs(actual) do
  if key:sub(1, 1) ~= "_" and key ~= "workspaces" and type(rows) == "table" and #rows > 0 and expected[key] == nil then
    io.stderr:write("$.", key, ": ", #rows, " entities not in the expected configuration\n")
    os.exit(1)
  end
end

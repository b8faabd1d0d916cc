local cjson = require("cjson.safe")
local encoder = require("kong.plugins.fallback-config.config_encoder")

local function identity(s)
  return s
end

local function sample(n)
  local services, routes = {}, {}
  for i = 1, n do
    services[i] = { id = string.format("%08d-0000-4000-8000-000000000000", i), name = "svc-" .. i,
      host = "upstream-" .. i .. ".internal", port = 8000 + i % 100, tags = { "t" .. i % 7 } }
    routes[i] = { name = "route-" .. i, paths = { "/p/" .. i }, service = { id = services[i].id },
      strip_path = i % 2 == 0 }
  end
  return { _format_version = "3.0", _transform = false, services = services, routes = routes,
    consumers = setmetatable({}, cjson.array_mt), plugins = {} }
end

describe("config encoder", function()
  it("produces the JSON of the same table, in parts of about part_size", function()
    local config = sample(500)
    local parts, total = assert(encoder.encode(config, { part_size = 4096 }))
    local json = table.concat(parts)
    assert.equals(#json, total)
    assert.same(cjson.decode(cjson.encode(config)), cjson.decode(json))
    assert.is_true(#parts > 10)
    for i = 1, #parts - 1 do
      assert.is_true(#parts[i] >= 4096, "part " .. i .. " is short")
      -- an entity never straddles two calls of cjson; a part may end anywhere after one
      assert.is_true(#parts[i] < 4096 + 300, "part " .. i .. " is far above part_size")
    end
  end)

  it("writes _format_version first and the other keys in a stable order", function()
    local parts = assert(encoder.encode({ services = {}, _format_version = "3.0", a = 1 }))
    assert.equals('{"_format_version":"3.0","a":1,"services":{}}', table.concat(parts))
  end)

  it("keeps empty arrays, objects and nested arrays as cjson writes them", function()
    local t = { _format_version = "3.0", consumers = setmetatable({}, cjson.array_mt),
      upstreams = { { name = "u", targets = { { target = "a:1" }, { target = "b:2" } } } } }
    local json = table.concat(assert(encoder.encode(t)))
    -- OpenResty's cjson writes array_mt tables as []; Debian's has no array_mt.
    assert.matches('"consumers":' .. cjson.encode(t.consumers), json, 1, true)
    assert.same(cjson.decode(cjson.encode(t)), cjson.decode(json))
  end)

  it("yields between parts, never in the middle of one", function()
    local yields = 0
    local parts = assert(encoder.encode(sample(200), { part_size = 1024, yield = function() yields = yields + 1 end }))
    assert.equals(#parts, yields)
  end)

  it("fingerprints equal configurations equally and different ones differently", function()
    local _, _, a = encoder.encode(sample(50), { md5 = identity })
    local _, _, b = encoder.encode(sample(50), { md5 = identity })
    local changed = sample(50)
    changed.services[50].port = 1
    local _, _, c = encoder.encode(changed, { md5 = identity })
    assert.equals(a, b)
    assert.not_equals(a, c)
  end)

  it("refuses what is not a declarative table, naming the entity", function()
    local parts, err = encoder.encode("{}")
    assert.is_nil(parts)
    assert.equals("the configuration to export is a string, not a table", err)

    parts, err = encoder.encode({ _format_version = "3.0", services = { { name = "a" }, { name = print } } })
    assert.is_nil(parts)
    assert.matches("cannot encode services[2]", err, 1, true)

    parts, err = encoder.encode({ [1] = "x" })
    assert.is_nil(parts)
    assert.matches("only string keys", err, 1, true)
  end)
end)

-- The exporter's path for a configuration: string.buffer on the event loop,
-- JSON on the native worker thread. Checked against lua-cjson's own encoding
-- of the same tables, and the reported SHA-256 against sha256sum.
local cjson = require("cjson.safe")
local native = require("kong.plugins.fallback-config.native")
local serializer = require("kong.plugins.fallback-config.serializer")

local function sample(n)
  local services, routes = {}, {}
  for i = 1, n do
    services[i] = { id = string.format("%08d-0000-4000-8000-000000000000", i), name = "svc-" .. i,
      host = "upstream-" .. i .. ".internal", port = 8000 + i % 100, tags = { "t" .. i % 7, "ü-" .. i },
      connect_timeout = 60000, enabled = i % 2 == 0, ratio = i / 8, ca_certificates = cjson.null }
    routes[i] = { name = "route-" .. i, paths = { "/p/" .. i, "~/re/\\d+$" }, service = { id = services[i].id },
      headers = { ["x-version"] = { "v" .. i } }, strip_path = i % 2 == 0, description = 'quote " and \n newline' }
  end
  return { _format_version = "3.0", _transform = false, services = services, routes = routes,
    consumers = {}, plugins = { { name = "key-auth", config = { key_names = { "apikey" }, hide_credentials = true } } } }
end

local function sleep(s)
  os.execute("sleep " .. s)
end

local function read(path)
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  return data
end

describe("serializer", function()
  local dir

  before_each(function()
    dir = os.tmpname()
    os.remove(dir)
  end)

  after_each(function()
    os.execute("rm -rf " .. dir)
  end)

  it("uploads JSON equal to what cjson makes of the same table", function()
    local config = sample(300)
    local buf = assert(serializer.serialize(config, { step_bytes = 4096 }))
    local client = assert(native.new_client({ storage = "file://" .. dir }))
    local job = assert(client:put_async_serialized("3.9.1.0", buf))
    assert.is_true(job:wait(sleep))
    local sha256 = assert(job:sha256())
    job:close()
    local stored = read(dir .. "/3.9.1.0/config.json")
    assert.same(cjson.decode(cjson.encode(config)), cjson.decode(stored))
    assert.matches('^{"_format_version":"3.0",', stored) -- first, as Kong writes it
    local p = io.popen("sha256sum " .. dir .. "/3.9.1.0/config.json")
    local expected = p:read("*l"):match("^(%x+)")
    p:close()
    assert.equals(expected, sha256)
  end)

  it("writes odd table shapes exactly as lua-cjson does", function()
    local hashed = {}
    hashed[2] = "b"
    hashed[1] = "a" -- integer keys added out of order may live in the hash part
    local odd = {
      _format_version = "3.0",
      shapes = {
        { 1, nil, 3 }, { [2] = "b" }, { a = 1, [1] = 2 }, hashed, {}, { {}, { x = {} } },
        { n = cjson.null, f = false, z = 0, neg = -1.5, big = 2 ^ 40, tiny = 1e-7 },
        { [1.5] = "float key" }, { [3] = "c", [1] = "a" },
      },
    }
    local buf = assert(serializer.serialize(odd))
    local client = assert(native.new_client({ storage = "file://" .. dir }))
    local job = assert(client:put_async_serialized("3.9.1.0", buf))
    assert.is_true(job:wait(sleep))
    local ours = cjson.decode(read(dir .. "/3.9.1.0/config.json"))
    assert.same(cjson.decode(cjson.encode(odd)), ours)
  end)

  it("yields every step_bytes, never inside an entity", function()
    local yields = 0
    local buf = assert(serializer.serialize(sample(200), { step_bytes = 2048, yield = function() yields = yields + 1 end }))
    assert.is_true(yields >= math.floor(#buf / (2048 + 1024)))
    assert.is_true(yields <= math.ceil(#buf / 2048))
  end)

  it("refuses what cannot be serialized, and what is not a table", function()
    local buf, err = serializer.serialize({ _format_version = "3.0", services = { { name = print } } })
    assert.is_nil(buf)
    assert.matches("cannot serialize the configuration", err, 1, true)
    buf, err = serializer.serialize("{}")
    assert.is_nil(buf)
    assert.equals("the configuration to export is a string, not a table", err)
    buf, err = serializer.serialize({ [1] = "x" })
    assert.is_nil(buf)
    assert.matches("only string keys", err, 1, true)
  end)

  it("never stores what the library cannot turn into JSON", function()
    local client = assert(native.new_client({ storage = "file://" .. dir }))
    local good = assert(serializer.serialize(sample(2)))
    local job = assert(client:put_async_serialized("3.9.1.0", good))
    assert.is_true(job:wait(sleep))
    local before = read(dir .. "/3.9.1.0/config.json")
    -- NaN serializes fine in LuaJIT but has no JSON form.
    local bad = assert(serializer.serialize({ _format_version = "3.0", services = { { port = 0 / 0 } } }))
    job = assert(client:put_async_serialized("3.9.1.0", bad))
    local ok, err, status = job:wait(sleep)
    assert.is_nil(ok)
    assert.equals("EINVAL", status)
    assert.matches("NaN and infinities cannot be JSON", err, 1, true)
    assert.equals(before, read(dir .. "/3.9.1.0/config.json"))
  end)
end)

-- Exports straight from a DB-less Kong node's LMDB: the helper program
-- (native/helper/lmdb_export_main.cpp) against LMDB environments written in
-- Kong's two key layouts (tests/kong_harness/harness/lmdb_layout.lua, from
-- kong/db/declarative/import.lua), and the binding that runs it and uploads.
local source = debug.getinfo(1, "S").source:sub(2)
local root = source:match("^(.*)/spec/[^/]+$") or "."
package.path = root .. "/tests/kong_harness/?.lua;" .. package.path

local cjson = require("cjson.safe")
local lmdb = require("harness.lmdb")
local layout = require("harness.lmdb_layout")
local native = require("kong.plugins.fallback-config.native")

local null = cjson.null
local HELPER = assert(os.getenv("FC_LIB_DIR"), "FC_LIB_DIR: the build's native directory") ..
  "/fallback-config-lmdb-export"
local WS = "0dc6f45b-8f8d-40d2-a504-473544ee190b"
local MAP = 64 * 1024 * 1024

local SCHEMAS = {
  workspaces = { name = "workspaces", workspaceable = false },
  consumers = { name = "consumers", workspaceable = true },
  services = { name = "services", workspaceable = true },
  routes = { name = "routes", workspaceable = true },
  plugins = { name = "plugins", workspaceable = true },
  keyauth_credentials = { name = "keyauth_credentials", workspaceable = true },
}

-- The plan the plugin would send for these types (config_reader.lua builds it).
local function plan_for(path, extra)
  local plan = {
    lmdb_environment_path = path,
    entities = {
      { name = "workspaces", workspaceable = false, foreign_keys = {} },
      { name = "consumers", foreign_keys = {} },
      { name = "services", foreign_keys = { "client_certificate" } },
      { name = "routes", foreign_keys = { "service" } },
      { name = "keyauth_credentials", ttl = true, foreign_keys = { "consumer" } },
      { name = "plugins", foreign_keys = { "route", "service", "consumer" } },
    },
  }
  for k, v in pairs(extra or {}) do
    plan[k] = v
  end
  return cjson.encode(plan)
end

local files = dofile(root .. "/spec/support/files.lua")
local tmpdir, read_file = files.tmpdir, files.read

local function write_file(path, data)
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
end

-- Writes `entities` (type -> id -> row) in `kind` layout, with `hash`.
local function write_lmdb(path, kind, entities, hash)
  local env = lmdb.open(path, MAP)
  assert(env:write(function(t)
    t:drop()
    for name, rows in pairs(entities) do
      layout.write(t, kind, SCHEMAS[name], rows, WS)
    end
    if hash then
      t:put(layout.HASH_KEY, hash)
    end
  end))
  return env
end

-- Runs the helper: exit status, trailer (decoded), configuration (decoded),
-- stderr, and the configuration's bytes.
local function run_helper(dir, plan)
  write_file(dir .. "/plan.json", plan)
  local ok, _, code = os.execute(string.format("%s < %s/plan.json > %s/out 2> %s/err", HELPER, dir, dir, dir))
  code = type(ok) == "number" and ok / 256 or code -- Lua 5.1 returns the wait status
  local out, err = read_file(dir .. "/out") or "", read_file(dir .. "/err") or ""
  local body, tail = out:match("^(.*)\n([^\n]*)\n$")
  return code, tail and cjson.decode(tail), body and cjson.decode(body), err, body
end

local NOW = os.time()

local function sample()
  local svc_on, svc_off = "11111111-0000-0000-0000-000000000001", "11111111-0000-0000-0000-000000000002"
  local r_on, r_off = "22222222-0000-0000-0000-000000000001", "22222222-0000-0000-0000-000000000002"
  local consumer = "33333333-0000-0000-0000-000000000001"
  return {
    workspaces = { [WS] = { id = WS, name = "default", comment = null, config = {}, meta = {} } },
    consumers = { [consumer] = { id = consumer, username = "alice", custom_id = null, tags = null } },
    services = {
      [svc_on] = { id = svc_on, name = "on", host = "a", port = 80, enabled = true, client_certificate = null },
      [svc_off] = { id = svc_off, name = "off", host = "b", port = 80, enabled = false, client_certificate = null },
    },
    routes = {
      [r_on] = { id = r_on, name = "r-on", paths = { "/a" }, service = { id = svc_on } },
      [r_off] = { id = r_off, name = "r-off", paths = { "/b" }, service = { id = svc_off } },
    },
    keyauth_credentials = {
      ["44444444-0000-0000-0000-000000000001"] = { id = "44444444-0000-0000-0000-000000000001", key = "live",
        consumer = { id = consumer }, ttl = NOW + 1000 },
      ["44444444-0000-0000-0000-000000000002"] = { id = "44444444-0000-0000-0000-000000000002", key = "expired",
        consumer = { id = consumer }, ttl = NOW - 5 },
      ["44444444-0000-0000-0000-000000000003"] = { id = "44444444-0000-0000-0000-000000000003", key = "forever",
        consumer = { id = consumer }, ttl = null },
    },
    plugins = {
      ["55555555-0000-0000-0000-000000000001"] = { id = "55555555-0000-0000-0000-000000000001", name = "global",
        enabled = true, route = null, service = null, consumer = null, config = { a = 1 } },
      ["55555555-0000-0000-0000-000000000002"] = { id = "55555555-0000-0000-0000-000000000002", name = "disabled",
        enabled = false, route = null, service = null, consumer = null, config = {} },
      ["55555555-0000-0000-0000-000000000003"] = { id = "55555555-0000-0000-0000-000000000003", name = "on-off-route",
        enabled = true, route = { id = r_off }, service = null, consumer = null, config = {} },
      ["55555555-0000-0000-0000-000000000004"] = { id = "55555555-0000-0000-0000-000000000004", name = "on-route",
        enabled = true, route = { id = r_on }, service = null, consumer = { id = consumer }, config = {} },
    },
  }
end

local function names(rows)
  local out = {}
  for _, row in ipairs(rows or {}) do
    out[#out + 1] = row.name or row.username or row.key
  end
  return out
end

describe("the LMDB export helper", function()
  local dir

  before_each(function()
    dir = tmpdir()
  end)

  after_each(function()
    lmdb.close(dir .. "/lmdb")
    os.execute("rm -rf " .. dir)
  end)

  for _, kind in ipairs({ "item_key", "list" }) do
    describe("on Kong's " .. (kind == "item_key" and "3.9+" or "3.4 to 3.8") .. " layout", function()
      it("exports as export_config() does: disabled entities and their dependants left out, keys flattened", function()
        write_lmdb(dir .. "/lmdb", kind, sample(), "4f7865e750b01c5f4913835cb9d24e0e")
        local code, tail, config, err, bytes = run_helper(dir, plan_for(dir .. "/lmdb"))
        assert.equals(0, code, err)
        write_file(dir .. "/config.json", bytes)
        local sha = io.popen("sha256sum " .. dir .. "/config.json"):read("*l"):match("^(%x+)")
        assert.same({ hash = "4f7865e750b01c5f4913835cb9d24e0e", entities = 8, empty = false, bytes = #bytes,
          sha256 = sha }, tail)
        assert.equals("3.0", config._format_version)
        assert.is_false(config._transform)
        assert.same({ "default" }, names(config.workspaces))
        assert.same({ "alice" }, names(config.consumers))
        assert.same({ "on" }, names(config.services))
        assert.same({ "r-on" }, names(config.routes))
        assert.same({ "global", "on-route" }, names(config.plugins))
        assert.equals("11111111-0000-0000-0000-000000000001", config.routes[1].service)
        assert.equals("22222222-0000-0000-0000-000000000001", config.plugins[2].route)
        assert.equals("33333333-0000-0000-0000-000000000001", config.plugins[2].consumer)
        assert.equals(null, config.plugins[1].route) -- a null key stays null
        assert.same({ a = 1 }, config.plugins[1].config)
        for _, rows in pairs(config) do
          if type(rows) == "table" then
            for _, row in ipairs(rows) do
              assert.is_nil(row.ws_id) -- OSS's export drops it
            end
          end
        end
      end)

      it("leaves expired rows out and shows the seconds a live one has left", function()
        write_lmdb(dir .. "/lmdb", kind, sample(), "h")
        local code, _, config, err = run_helper(dir, plan_for(dir .. "/lmdb"))
        assert.equals(0, code, err)
        assert.same({ "live", "forever" }, names(config.keyauth_credentials))
        local left = config.keyauth_credentials[1].ttl
        assert.is_true(left > 990 and left <= 1000, "ttl left: " .. tostring(left))
        assert.equals(null, config.keyauth_credentials[2].ttl)
      end)

      it("keeps ws_id when asked (Kong Enterprise's export shows it)", function()
        write_lmdb(dir .. "/lmdb", kind, sample(), "h")
        local code, _, config, err = run_helper(dir, plan_for(dir .. "/lmdb", { keep_ws_id = true }))
        assert.equals(0, code, err)
        assert.equals(WS, config.services[1].ws_id)
      end)

      it("calls a configuration of nothing but workspaces empty", function()
        local only = { workspaces = sample().workspaces }
        write_lmdb(dir .. "/lmdb", kind, only, string.rep("0", 32))
        local code, head, config, err = run_helper(dir, plan_for(dir .. "/lmdb"))
        assert.equals(0, code, err)
        assert.is_true(head.empty)
        assert.equals(1, head.entities)
        assert.same({ "default" }, names(config.workspaces))
        assert.is_nil(config.services) -- Kong's export has no key for an empty type
      end)
    end)
  end

  it("reads the same configuration from both layouts", function()
    write_lmdb(dir .. "/lmdb", "item_key", sample(), "h")
    local _, _, _, _, from_new = run_helper(dir, plan_for(dir .. "/lmdb"))
    lmdb.close(dir .. "/lmdb")
    os.execute("rm -rf " .. dir .. "/lmdb")
    write_lmdb(dir .. "/lmdb", "list", sample(), "h")
    local _, _, _, _, from_old = run_helper(dir, plan_for(dir .. "/lmdb"))
    assert.is_string(from_new)
    assert.same(cjson.decode(from_new), cjson.decode(from_old))
  end)

  it("says which LMDB it cannot open", function()
    local code, head, _, err = run_helper(dir, plan_for(dir .. "/missing"))
    assert.equals(1, code)
    assert.is_nil(head)
    assert.equals("cannot open Kong's LMDB at " .. dir .. "/missing: No such file or directory\n", err)
  end)

  it("refuses a global key that points at nothing, instead of exporting a hole", function()
    local env = write_lmdb(dir .. "/lmdb", "item_key", sample(), "h")
    assert(env:write(function(t)
      t:put("services|*|*|99999999-0000-0000-0000-000000000000", "services|" .. WS .. "|*|99999999-gone")
    end))
    local code, _, _, err = run_helper(dir, plan_for(dir .. "/lmdb"))
    assert.equals(1, code)
    assert.equals("Kong's LMDB is not as Kong writes it: services|*|*|99999999-0000-0000-0000-000000000000 "
      .. "points at services|" .. WS .. "|*|99999999-gone, which is missing\n", err)
  end)

  it("refuses an item that is not what string.buffer writes, naming its type", function()
    local env = write_lmdb(dir .. "/lmdb", "item_key", sample(), "h")
    assert(env:write(function(t)
      t:put("routes|" .. WS .. "|*|22222222-0000-0000-0000-000000000001", "\x09\x05not a table")
    end))
    local code, _, _, err = run_helper(dir, plan_for(dir .. "/lmdb"))
    assert.equals(1, code)
    assert.matches("^an LMDB item of routes is malformed at byte %d+", err)
  end)

  it("names the field of the plan at fault", function()
    local code, _, _, err = run_helper(dir, '{"entities": []}')
    assert.equals(1, code)
    assert.equals("the export plan: lmdb_environment_path is missing\n", err)
    code, _, _, err = run_helper(dir, cjson.encode({ lmdb_environment_path = dir, entities = { { name = "a|b" } } }))
    assert.equals(1, code)
    assert.equals("the export plan: entities[0].name must not contain '|' or ':'\n", err)
  end)
end)

describe("client:export_kong_lmdb_async", function()
  local dir, client

  before_each(function()
    dir = tmpdir()
    client = assert(native.new_client({ storage = "file://" .. dir .. "/store", uploader = "node-1" }))
  end)

  after_each(function()
    lmdb.close(dir .. "/lmdb")
    os.execute("rm -rf " .. dir)
  end)

  local function finish(job)
    local ok, err, status = job:wait(function() os.execute("sleep 0.01") end)
    return ok, err, status, assert(job:kong_export())
  end

  it("uploads the snapshot the helper read, and names it by its SHA-256", function()
    write_lmdb(dir .. "/lmdb", "item_key", sample(), "4f7865e750b01c5f4913835cb9d24e0e")
    local job = assert(client:export_kong_lmdb_async("3.9.1.0", plan_for(dir .. "/lmdb")))
    local ok, err, _, info = finish(job)
    assert.is_true(ok, err)
    assert.same({ read = true, outcome = "uploaded", kong_hash = "4f7865e750b01c5f4913835cb9d24e0e", entities = 8,
      bytes = info.bytes }, info)
    local stored = assert(read_file(dir .. "/store/3.9.1.0/config.json"))
    assert.equals(#stored, info.bytes)
    local _, _, expected = run_helper(dir, plan_for(dir .. "/lmdb"))
    assert.same(expected, cjson.decode(stored))
    local sha = io.popen("sha256sum " .. dir .. "/store/3.9.1.0/config.json"):read("*l"):match("^(%x+)")
    assert.equals(sha, job:sha256())
    job:close()
  end)

  it("uploads nothing when the snapshot's hash is the one given", function()
    write_lmdb(dir .. "/lmdb", "item_key", sample(), "4f7865e750b01c5f4913835cb9d24e0e")
    local job = assert(client:export_kong_lmdb_async("3.9.1.0", plan_for(dir .. "/lmdb"),
      "4f7865e750b01c5f4913835cb9d24e0e"))
    local ok, err, _, info = finish(job)
    assert.is_true(ok, err)
    assert.equals("unchanged", info.outcome)
    assert.is_nil(read_file(dir .. "/store/3.9.1.0/config.json"))
  end)

  it("never uploads Kong's empty configuration", function()
    write_lmdb(dir .. "/lmdb", "list", { workspaces = sample().workspaces }, string.rep("0", 32))
    local ok, err, _, info = finish(assert(client:export_kong_lmdb_async("3.9.1.0", plan_for(dir .. "/lmdb"))))
    assert.is_true(ok, err)
    assert.equals("empty", info.outcome)
    assert.is_nil(read_file(dir .. "/store/3.9.1.0/config.json"))
  end)

  it("refuses a bad plan at once", function()
    local job, err, status = client:export_kong_lmdb_async("3.9.1.0", "[]")
    assert.is_nil(job)
    assert.equals("EINVAL", status)
    assert.equals("the export plan: must be a JSON object", err)
  end)

  it("tells a helper that cannot run from a failed upload", function()
    write_lmdb(dir .. "/lmdb", "item_key", sample(), "h")
    local job = assert(client:export_kong_lmdb_async("3.9.1.0", plan_for(dir .. "/lmdb"), nil, dir .. "/no-helper"))
    local ok, err, status, info = finish(job)
    assert.is_nil(ok)
    assert.equals("EIO", status)
    assert.equals("cannot run " .. dir .. "/no-helper: No such file or directory", err)
    assert.is_false(info.read)
  end)

  it("tells a failed upload after the read from a failed read", function()
    write_lmdb(dir .. "/lmdb", "item_key", sample(), "h")
    os.execute("mkdir -p " .. dir .. "/store && touch " .. dir .. "/store/3.9.1.0") -- a file where the version's directory goes
    local ok, _, status, info = finish(assert(client:export_kong_lmdb_async("3.9.1.0", plan_for(dir .. "/lmdb"))))
    assert.is_nil(ok)
    assert.equals("EIO", status)
    assert.is_true(info.read)
    assert.equals("h", info.kong_hash)
  end)

end)

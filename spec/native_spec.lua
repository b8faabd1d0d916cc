-- The FFI bindings against the real shared library (package.cpath must reach
-- it; spec/run.sh sets it to the build directory).
local native = require("kong.plugins.fallback-config.native")

local tmpdir = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "support/files.lua").tmpdir

describe("native bindings", function()
  local dir

  before_each(function()
    dir = tmpdir()
  end)

  after_each(function()
    os.execute("rm -rf " .. dir)
  end)

  it("report the library version", function()
    assert.matches("^%d+%.%d+%.%d+$", native.version())
  end)

  it("put, get and stat a configuration on file storage", function()
    local client = assert(native.new_client({ storage = "file://" .. dir .. "/kong", uploader = "node-1" }))
    assert.equals("3.9.1.0/config.json", client:config_key("3.9.1.0"))
    assert.equals("file://" .. dir .. "/kong/3.9.1.0/config.json", client:config_url("3.9.1.0"))
    local cfg = '{"_format_version":"3.0","services":[]}'
    assert.is_true(client:put("3.9.1.0", cfg))
    assert.equals(cfg, client:get("3.9.1.0"))
    local info = assert(client:stat("3.9.1.0"))
    assert.equals(#cfg, info.size)
    assert.equals("3.9.1.0", info.version)
    assert.is_true(info.last_modified > 0)
  end)

  it("return nil, err, status for every failure", function()
    local client, err, status = native.new_client({ storage = "ftp://bucket/x" })
    assert.is_nil(client)
    assert.equals("EINVAL", status)
    assert.matches("scheme 'ftp' is not supported", err, 1, true)

    client = assert(native.new_client({ storage = "file://" .. dir }))
    local ok
    ok, err, status = client:put("3.9.1.0", "[1,2]")
    assert.is_nil(ok)
    assert.equals("EINVAL", status)
    assert.matches("not a JSON object", err, 1, true)

    local data
    data, err, status = client:get("1.0.0.0")
    assert.is_nil(data)
    assert.equals("ENOTFOUND", status)
    assert.equals("no fallback config at file://" .. dir .. "/1.0.0.0/config.json", err)
  end)

  it("reject unknown settings by name", function()
    local client, err = native.new_client({ storage = "file://" .. dir, bogus = "1" })
    assert.is_nil(client)
    assert.equals("unknown setting 'bogus'", err)
  end)

  it("list every path tried when the library is nowhere", function()
    local lib, err = native.load_shared_lib("libfallback_config.so", "/nonexistent/a/?.so;/nonexistent/b/?.so")
    assert.is_nil(lib)
    assert.matches("tried: /nonexistent/a/libfallback_config.so, /nonexistent/b/libfallback_config.so", err, 1, true)
  end)

  it("report the real dlopen error of a library that exists but does not load", function()
    assert(os.execute("mkdir -p " .. dir .. "/first " .. dir .. "/second") == 0)
    local f = assert(io.open(dir .. "/second/libfallback_config.so", "wb"))
    f:write("not an ELF file")
    f:close()
    local lib, err = native.load_shared_lib("libfallback_config.so",
      dir .. "/first/?.so;" .. dir .. "/second/?.so;" .. dir .. "/third/?.so")
    assert.is_nil(lib)
    -- The candidate that exists, and what the dynamic loader said of it.
    assert.matches("could not load " .. dir .. "/second/libfallback_config.so: ", err, 1, true)
    assert.truthy(err:find("ELF") or err:find("too short"), err)
    assert.is_nil(err:find("tried:", 1, true))
  end)

  it("refuse a library that lacks a function the bindings declare, naming it", function()
    -- A real shared library that loads but is not ours (zlib, which libcurl needs).
    local other
    for _, path in ipairs({ "/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1" }) do
      local f = io.open(path, "rb")
      if f then
        f:close()
        other = path
        break
      end
    end
    assert.truthy(other, "zlib is installed")
    assert(os.execute("mkdir -p " .. dir .. "/other && ln -s " .. other .. " " .. dir .. "/other/libfallback_config.so") == 0)
    local lib, err = native.load_shared_lib("libfallback_config.so", dir .. "/other/?.so")
    assert.is_nil(lib)
    assert.matches("could not load " .. dir .. "/other/libfallback_config.so: it has no fc_", err, 1, true)
  end)

  it("free native handles when the Lua objects are collected", function()
    for _ = 1, 200 do
      native.new_client({ storage = "file://" .. dir })
    end
    collectgarbage()
    collectgarbage()
    -- Reaching here without a crash under ASan (spec/run.sh in the sanitizer
    -- build) is the assertion that matters; also check the module still works.
    assert.truthy(native.new_client({ storage = "file://" .. dir }))
  end)
end)

describe("native jobs", function()
  local dir
  local function sleep(s)
    os.execute("sleep " .. s)
  end

  before_each(function()
    dir = os.tmpname()
    os.remove(dir)
  end)

  after_each(function()
    os.execute("rm -rf " .. dir)
  end)

  it("upload and download off the calling thread", function()
    local client = assert(native.new_client({ storage = "file://" .. dir }))
    local cfg = '{"_format_version":"3.0"}'
    local job = assert(client:put_async("3.9.1.0", cfg))
    assert.is_true(job:wait(sleep))
    job:close()

    job = assert(client:get_async("3.9.1.0"))
    assert.is_true(job:wait(sleep))
    assert.equals(cfg, job:data())
  end)

  it("report a job's failure as nil, err, status", function()
    local client = assert(native.new_client({ storage = "file://" .. dir }))
    local job = assert(client:get_async("1.0.0.0"))
    local ok, err, status = job:wait(sleep)
    assert.is_nil(ok)
    assert.equals("ENOTFOUND", status)
    assert.equals("no fallback config at file://" .. dir .. "/1.0.0.0/config.json", err)
    local data
    data, err, status = job:data()
    assert.is_nil(data)
    assert.equals("ENOTFOUND", status)
  end)

  it("refuse a bad version when the job is submitted", function()
    local client = assert(native.new_client({ storage = "file://" .. dir }))
    local job, err, status = client:put_async("a/b", "{}")
    assert.is_nil(job)
    assert.equals("EINVAL", status)
    assert.matches("one key segment", err, 1, true)
  end)
end)

-- Lifetimes across the FFI boundary: Lua owns jobs and clients through
-- ffi.gc, while the library's worker thread may still be running their jobs.
-- Nothing here may crash (a read of freed memory kills the process, or ASan
-- reports it in the sanitizer build) and the library must keep working.
local ffi = require("ffi")
local buffer = require("string.buffer")
local native = require("kong.plugins.fallback-config.native")

pcall(ffi.cdef, "int usleep(unsigned int usec);")

local function sleep(s)
  ffi.C.usleep(math.floor(s * 1e6))
end

local tmpdir = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "support/files.lua").tmpdir

-- Big enough that the worker reads it for a while, and that LuaJIT's
-- allocator maps it on its own (freed memory is then unmapped: a late read
-- faults at once, even without ASan).
local BIG = 48 * 1024 * 1024

local function big_json(tag)
  return '{"_format_version":"3.0","pad":"' .. string.rep("x", BIG) .. tag .. '"}'
end

local function big_serialized(tag)
  local buf = buffer.new(BIG + 4096)
  local pad = string.rep("y", 1024) .. tag
  local n = BIG / 1024
  buf:encode("_format_version"):encode(-1):encode("3.0")
  buf:encode("services"):encode(n)
  for i = 1, n do
    buf:encode({ name = pad, id = i })
  end
  return buf
end

-- Waits until every job queued before now has finished: the worker runs jobs
-- in order, so a download queued behind them ends after them.
local function drain(client)
  local job = assert(client:get_async("0.0.0.0"))
  local _, _, status = job:wait(sleep)
  assert.equals("ENOTFOUND", status)
  job:close()
end

describe("native job lifetimes", function()
  local dir, client

  before_each(function()
    dir = tmpdir()
    client = assert(native.new_client({ storage = "file://" .. dir }))
  end)

  after_each(function()
    drain(client)
    client = nil
    collectgarbage()
    os.execute("rm -rf " .. dir)
  end)

  -- Regression: the job table, its data and its handle die in the same GC
  -- cycle; LuaJIT frees the string (sweep) or runs the buffer's __gc before the
  -- handle's finalizer, which used to be the only thing that revoked the
  -- worker's access. The worker then read freed memory (SIGSEGV).
  for _, kind in ipairs({ "string", "string.buffer" }) do
    it("never let the worker read an upload's " .. kind .. " after a dropped job is collected", function()
      for round = 1, 3 do
        -- In a function of its own, so that no stack slot keeps anything alive.
        local function start()
          -- Dies with the job: its finalizer runs before the job handle's and
          -- holds the window between the data's free and the handle's
          -- finalizer open while the worker is still reading.
          local stall = newproxy(true)
          getmetatable(stall).__gc = function()
            sleep(0.2)
          end
          local job
          if kind == "string" then
            job = assert(client:put_async("3.9.1.0", big_json(round)))
          else
            job = assert(client:put_async_serialized("3.9.1.0", big_serialized(round)))
          end
          return job:status()
        end
        local status = start()
        assert.equals("running", status, "the job ended before the GC could test anything")
        collectgarbage("collect")
        collectgarbage("collect")
        drain(client)
      end
    end)
  end

  it("run more jobs after dropped jobs were collected in small GC steps", function()
    for round = 1, 3 do
      local function start()
        assert(client:put_async("3.9.1.0", big_json(round)))
        assert(client:put_async_serialized("3.9.1.0", big_serialized(round)))
        assert(client:get_async("3.9.1.0"))
      end
      start()
      for _ = 1, 2000 do
        collectgarbage("step", 0)
      end
      collectgarbage("collect")
    end
    drain(client)
    local cfg = '{"_format_version":"3.0","services":[]}'
    local job = assert(client:put_async("3.9.1.0", cfg))
    assert.is_true(job:wait(sleep))
    job:close()
    job = assert(client:get_async("3.9.1.0"))
    assert.is_true(job:wait(sleep))
    assert.equals(cfg, job:data())
  end)

  it("let a job finish after its client was collected", function()
    local job = assert(client:put_async("3.9.1.0", big_json("c")))
    client = nil
    collectgarbage()
    collectgarbage()
    assert.is_true(job:wait(sleep))
    job:close()
    client = assert(native.new_client({ storage = "file://" .. dir }))
    local info = assert(client:stat("3.9.1.0"))
    assert.equals(#big_json("c"), info.size)
  end)

  it("drop the client and the job in either order while the job runs", function()
    for _, order in ipairs({ "client first", "job first", "together" }) do
      local c = assert(native.new_client({ storage = "file://" .. dir }))
      local job = assert(c:put_async_serialized("3.9.1.0", big_serialized(order)))
      if order == "client first" then
        c = nil
        collectgarbage()
        job = nil
        collectgarbage()
      elseif order == "job first" then
        job = nil
        collectgarbage()
        c = nil
        collectgarbage()
      else
        c, job = nil, nil
        collectgarbage()
      end
      assert.is_nil(c)
      assert.is_nil(job)
    end
    drain(client)
  end)

  it("stop waiting for a job soon after the nginx worker begins to exit", function()
    local exiting = false
    local saved = rawget(_G, "ngx")
    _G.ngx = { worker = { exiting = function() return exiting end } }
    finally(function()
      _G.ngx = saved
    end)
    local buf = big_serialized("exit")
    local job = assert(client:put_async_serialized("3.9.1.0", buf))
    exiting = true
    local started = os.time()
    local ok, err, status = job:wait(sleep, 0.05)
    assert.is_nil(ok)
    assert.equals("EXITING", status)
    assert.equals("the nginx worker is exiting: the transfer was abandoned", err)
    assert.is_true(os.time() - started <= 1)
    assert.equals("running", job:status(), "the job ended before the grace did: nothing was tested")
    job:close()
    buf:free() -- as the exporter does: the worker no longer reads it

    exiting = false
    job = assert(client:put_async("3.9.1.0", '{"a":1}'))
    assert.is_true(job:wait(sleep, 0))
    job:close()
  end)

  it("answer nil, err for a closed job, and close twice harmlessly", function()
    local job = assert(client:put_async("3.9.1.0", '{"a":1}'))
    assert.is_true(job:wait(sleep))
    job:close()
    job:close()
    local ok, err, status = job:status()
    assert.is_nil(ok)
    assert.equals("EINVAL", status)
    assert.matches("NULL", err, 1, true)
    local data
    data, err, status = job:data()
    assert.is_nil(data)
    assert.equals("EINVAL", status)
  end)
end)

local schedule = require("kong.plugins.fallback-config.export_schedule")
local backoff = require("kong.plugins.fallback-config.backoff")

-- A fake clock the tests move by hand.
local function clock()
  local t = 1000
  return function() return t end, function(dt) t = t + dt end
end

describe("export schedule", function()
  local now, advance, s

  before_each(function()
    now, advance = clock()
    s = schedule.new({ delay = 60, now = now, backoff = { random = function() return 1 end } })
  end)

  it("is idle with nothing to export", function()
    assert.equals("idle", s:next_action())
  end)

  it("uploads the first change after a quiet delay at once (leading edge, as Kong EE)", function()
    s:offer("ha")
    assert.equals("upload", s:next_action())
    s:upload_succeeded("ha")
    advance(60)
    s:offer("hb") -- a delay later: at once again
    assert.equals("upload", s:next_action())
  end)

  it("coalesces what arrives within the delay and uploads only the latest when it has passed", function()
    s:offer("h0")
    assert.equals("upload", s:next_action())
    s:upload_succeeded("h0")
    for i = 1, 5 do
      advance(10)
      s:offer("hash " .. i)
    end
    local action, wait = s:next_action()
    assert.equals("wait", action)
    assert.equals(10, wait) -- 60 s after the last upload started
    advance(10)
    assert.equals("upload", s:next_action()) -- the exporter takes the newest then
    assert.equals("idle", s:next_action()) -- one upload in flight at most
    s:upload_succeeded("hash 5")
    assert.equals("idle", s:next_action())
  end)

  it("never uploads the configuration storage already holds", function()
    s:offer("ha")
    assert.equals("upload", (s:next_action()))
    s:upload_succeeded("ha")
    assert.is_true(s:is_uploaded("ha"))
    s:offer("ha") -- a reconfigure that changed nothing
    assert.equals("idle", s:next_action())
    s:offer("hb")
    s:offer("ha") -- changed, then changed back inside the delay
    assert.equals("idle", s:next_action())
    s:offer(nil) -- a control plane's change: hash unknown until read
    advance(60)
    assert.equals("upload", s:next_action())
  end)

  it("keeps at most one upload per delay when changes keep coming", function()
    s:offer("ha")
    assert.equals("upload", (s:next_action()))
    advance(1)
    s:offer("hb") -- arrives during the upload
    s:upload_succeeded("ha")
    local action, wait = s:next_action()
    assert.equals("wait", action)
    assert.equals(59, wait)
  end)

  it("does not count an upload that was skipped", function()
    s:offer("empty")
    assert.equals("upload", s:next_action())
    s:upload_skipped() -- nothing to store: the node had an empty configuration
    advance(1)
    s:offer("ha")
    local action, wait = s:next_action()
    assert.equals("wait", action, "the delay since the skipped one still runs")
    assert.equals(59, wait)
  end)

  it("keeps a deferred upload waiting, with no back-off, until it is asked again", function()
    s:offer("ha")
    assert.equals("upload", s:next_action())
    s:upload_deferred() -- another node holds the lease
    assert.equals("wait", (s:next_action()), "the delay since the attempt still holds")
    advance(60)
    assert.equals("upload", s:next_action())
    s:upload_succeeded("ha")
    assert.equals("idle", s:next_action())
  end)

  it("does not upload what the node imported from storage", function()
    s:already_stored("hi")
    s:offer("hi")
    assert.equals("idle", s:next_action())
    s:offer("hj")
    assert.equals("upload", s:next_action())
    s:already_stored("hk") -- ignored during an upload: the upload's outcome decides
    s:upload_succeeded("hj")
    assert.is_true(s:is_uploaded("hj"))
  end)

  it("retries a failed upload with growing delays until it succeeds", function()
    s:offer("ha")
    local delays = {}
    for i = 1, 4 do
      assert.equals("upload", (s:next_action()))
      local retry_at = s:upload_failed()
      delays[i] = retry_at - now()
      local action, wait = s:next_action()
      assert.equals("wait", action)
      assert.equals(delays[i], wait)
      advance(wait)
    end
    assert.same({ 1, 2, 4, 8 }, delays) -- random() = 1: the top of each jitter range
    assert.equals("upload", s:next_action())
    s:upload_succeeded("ha")
    advance(60)
    s:offer("hb")
    assert.equals("upload", (s:next_action()))
    assert.equals(1, s:upload_failed() - now()) -- success reset the back-off
  end)

  it("retries with the newest configuration when one arrives after a failure", function()
    s:offer("ha")
    s:next_action()
    s:offer("hb") -- during the failing upload
    s:upload_failed()
    advance(60)
    assert.equals("upload", s:next_action()) -- the exporter takes the newest, "hb"
    s:upload_succeeded("hb")
    s:offer("hb")
    assert.equals("idle", s:next_action())
  end)
end)

describe("export schedule, a change during an upload", function()
it("is exported once the delay since that upload has passed", function()
  local now, advance = clock()
  local s = schedule.new({ delay = 5, now = now })
  s:offer("ha")
  assert.equals("upload", s:next_action())
  s:offer("hb")
  s:upload_succeeded("ha")
  local action, wait = s:next_action()
  assert.equals("wait", action)
  assert.equals(5, wait)
  advance(wait)
  assert.equals("upload", s:next_action())
end)
end)

describe("backoff", function()
  it("grows, caps, and resets", function()
    local b = backoff.new({ base = 1, cap = 5, random = function() return 0 end })
    assert.same({ 0.5, 1, 2, 2.5, 2.5 }, { b:next(), b:next(), b:next(), b:next(), b:next() })
    b:reset()
    assert.equals(0.5, b:next())
  end)
end)

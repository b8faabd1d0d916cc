-- The exporter's loop when Kong raises inside an upload: a failed attempt,
-- retried with back-off, never the end of exports. Kong's runtime is stubbed
-- to the few calls the loop makes (ngx's clock, sleep and timers; a control
-- plane's export_config).
local STOP = {} -- raised by the stubbed sleep, to leave the loop

describe("exporter", function()
  local saved_ngx, saved_kong
  local t, timers, lines, exports

  setup(function()
    saved_ngx, saved_kong = _G.ngx, _G.kong
    _G.ngx = {
      null = setmetatable({}, { __tostring = function() return "null" end }),
      update_time = function() end,
      now = function() return t end,
      sleep = function() error(STOP) end,
      timer = { at = function(_, fn) timers[#timers + 1] = fn; return true end },
      worker = { exiting = function() return false end },
    }
    _G.kong = { configuration = { database = "postgres", role = "control_plane" }, version = "3.9.1" }
    package.loaded["kong.db.declarative"] = {
      get_current_hash = function() return "" end, -- a DB-backed node has none
      export_config = function()
        exports = exports + 1
        error("attempt to index a nil value (Kong's export)")
      end,
    }
    package.loaded["kong.plugins.fallback-config.config_reader"] = nil
    package.loaded["kong.plugins.fallback-config.exporter"] = nil
  end)

  teardown(function()
    _G.ngx, _G.kong = saved_ngx, saved_kong
    package.loaded["kong.db.declarative"] = nil
    package.loaded["kong.plugins.fallback-config.config_reader"] = nil
    package.loaded["kong.plugins.fallback-config.exporter"] = nil
  end)

  before_each(function()
    t, timers, lines, exports = 1000, {}, {}, 0
  end)

  it("retries an upload that raised instead of stopping for good", function()
    local exporter = require("kong.plugins.fallback-config.exporter")
    local e = exporter.new({ client = {}, version = "3.9.1", url = "file:///tmp/x/3.9.1/config.json", delay = 60,
      log = function(level, fmt, ...) lines[#lines + 1] = level .. " " .. string.format(fmt, ...) end })
    e:configuration_changed()
    assert.equals(1, #timers)
    timers[1](false) -- the upload raises; then the loop waits for the retry, and the stub sleep leaves it
    assert.equals(1, exports)
    assert.is_false(e.schedule.uploading, "the schedule is not left uploading")
    assert.matches("^err export of config %(unknown%) to file:///tmp/x/3.9.1/config.json failed: .*Kong's export.*"
      .. "%(EINTERNAL%); retrying in %d", lines[1])
    local action = e.schedule:next_action()
    assert.equals("wait", action, "a retry is scheduled")
    t = t + 120
    assert.equals("upload", e.schedule:next_action(), "and it comes")
  end)
end)

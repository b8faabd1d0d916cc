local watch = require("kong.plugins.fallback-config.lease_watch")

local URL = "s3://b/kong/3.9.1.0/lease.json"

local function info(t)
  local base = { state = "follower", leading = false, epoch = 0, acquisitions = 0, losses = 0, lost_reason = "" }
  for k, v in pairs(t) do
    base[k] = v
  end
  return base
end

local function messages(lines)
  local out = {}
  for _, l in ipairs(lines) do
    out[#out + 1] = l[1] .. ": " .. l[2]
  end
  return out
end

describe("the lease watch", function()
  it("says who holds the lease once, not at every look", function()
    local w = watch.new({ url = URL })
    assert.same({}, messages((w:look(info({ state = "starting" })))))
    local lines, acquired = w:look(info({ holder = "node-a", epoch = 3 }))
    assert.is_false(acquired)
    assert.same({ "notice: node-a holds the export lease " .. URL .. " (epoch 3): this node stands by" }, messages(lines))
    assert.same({}, messages((w:look(info({ holder = "node-a", epoch = 3 })))))
    assert.same({ "notice: node-b holds the export lease " .. URL .. " (epoch 4): this node stands by" },
      messages((w:look(info({ holder = "node-b", epoch = 4 })))))
  end)

  it("tells when this node takes the lease, and when it loses it and why", function()
    local w = watch.new({ url = URL })
    local lines, acquired = w:look(info({ state = "leader", leading = true, holder = "me", epoch = 5, acquisitions = 1 }))
    assert.is_true(acquired)
    assert.same({ "notice: this node holds the export lease " .. URL .. " (epoch 5): it exports" }, messages(lines))
    lines, acquired = w:look(info({ state = "leader", leading = true, holder = "me", epoch = 5, acquisitions = 1 }))
    assert.is_false(acquired)
    assert.same({}, messages(lines))
    lines = w:look(info({ holder = "node-b", epoch = 6, acquisitions = 1, losses = 1,
      lost_reason = "the lease was taken by node-b in epoch 6" }))
    assert.same({
      "warn: this node lost the export lease " .. URL .. ": the lease was taken by node-b in epoch 6; it no longer exports",
      "notice: node-b holds the export lease " .. URL .. " (epoch 6): this node stands by",
    }, messages(lines))
  end)

  it("logs a store that cannot hold a lease once, as an error, and lets the node export", function()
    local w = watch.new({ url = URL })
    local bad = info({ state = "unsupported", problem = "the S3 store of s3://b/ does not honour conditional writes: x" })
    assert.same({ "err: the S3 store of s3://b/ does not honour conditional writes: x; exporting without a lease, "
      .. "as every backup node does on Kong: run one backup node only, or use a store that honours them" },
      messages((w:look(bad))))
    assert.same({}, messages((w:look(bad))))
    assert.is_true(watch.may_export(bad))
  end)

  it("logs a failing round once, and when the store answers again", function()
    local w = watch.new({ url = URL })
    w:look(info({ holder = "node-a", epoch = 1 }))
    local failing = info({ holder = "node-a", epoch = 1, problem = "cannot connect" })
    assert.same({ "warn: export lease " .. URL .. ": cannot connect" }, messages((w:look(failing))))
    assert.same({}, messages((w:look(failing))))
    assert.same({ "notice: export lease " .. URL .. ": the store answers again" },
      messages((w:look(info({ holder = "node-a", epoch = 1 })))))
  end)

  it("follows Kong EE's election while EE's nodes register, and says so", function()
    local w = watch.new({ url = URL })
    w:look(info({ holder = "node-a", epoch = 2 }))
    local lines = w:look(info({ state = "ee_standby", holder = "ee-node" }))
    assert.same({
      "notice: Kong Enterprise backup nodes register under s3://b/kong/3.9.1.0/election/: this node takes part in "
        .. "their election, as their nodes do, instead of the export lease",
      "notice: Kong Enterprise's election chose ee-node: this node stands by",
    }, messages(lines))
    assert.is_false(watch.may_export(info({ state = "ee_standby", holder = "ee-node" })))
    assert.same({ "notice: Kong Enterprise's election chose this node: it exports (unfenced, as their nodes write)" },
      messages((w:look(info({ state = "ee_elected", holder = "me" })))))
    assert.is_true(watch.may_export(info({ state = "ee_elected", holder = "me" })))
    assert.same({}, messages((w:look(info({ state = "ee_elected", holder = "me" })))))
    assert.same({
      "notice: no other node registers under s3://b/kong/3.9.1.0/election/ any more: back to the export lease",
      "notice: node-a holds the export lease " .. URL .. " (epoch 3): this node stands by",
    }, messages((w:look(info({ holder = "node-a", epoch = 3 })))))
  end)

  it("lets only a node whose lease has not run out export", function()
    assert.is_false(watch.may_export(nil))
    assert.is_false(watch.may_export(info({ state = "starting" })))
    assert.is_false(watch.may_export(info({ holder = "node-a" })))
    assert.is_false(watch.may_export(info({ state = "leader", leading = false })), "held, but run out here")
    assert.is_true(watch.may_export(info({ state = "leader", leading = true })))
  end)
end)

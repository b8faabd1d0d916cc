-- What the handler makes of the export lease, one look at a time: which
-- lines to log (once per change, not per look) and whether this node has
-- just taken the lease. Pure logic over the library's lease info
-- (native.lua lease_mt:info()); spec/lease_watch_spec.lua.

local _M = {}
local mt = { __index = _M }

local EE_STATES = { ee_elected = true, ee_standby = true }

--- opts: url (of the lease, for log lines).
function _M.new(opts)
  local url = assert(opts.url, "url")
  return setmetatable({ url = url, election = url:gsub("lease%.json$", "election/"), acquisitions = 0, losses = 0 },
    mt)
end

--- Whether a node in this lease state may upload now: it holds a lease that
-- has not run out, or the store cannot hold one (then it exports as every
-- backup node does without a lease).
function _M.may_export(info)
  return info ~= nil and (info.leading or info.state == "unsupported" or info.state == "ee_elected")
end

--- Compares `info` with the last look. Returns the lines to log, as
-- { level, message } pairs, and true when this node took the lease since.
function _M:look(info)
  local lines = {}
  local function say(level, message)
    lines[#lines + 1] = { level, message }
  end
  local acquired = info.acquisitions > self.acquisitions
  if info.losses > self.losses then
    say("warn", "this node lost the export lease " .. self.url .. ": " .. info.lost_reason
      .. "; it no longer exports")
  end
  if EE_STATES[info.state] and not EE_STATES[self.state] then
    say("notice", "Kong Enterprise backup nodes register under " .. self.election .. ": this node takes part "
      .. "in their election, as their nodes do, instead of the export lease")
  elseif EE_STATES[self.state] and not EE_STATES[info.state] then
    say("notice", "no other node registers under " .. self.election .. " any more: back to the export lease")
  end
  if EE_STATES[info.state] then
    if info.state ~= self.state or info.holder ~= self.holder then
      if info.state == "ee_elected" then
        say("notice", "Kong Enterprise's election chose this node: it exports (unfenced, as their nodes write)")
      else
        say("notice", "Kong Enterprise's election chose " .. tostring(info.holder) .. ": this node stands by")
      end
    end
  elseif info.state == "unsupported" then
    if self.state ~= "unsupported" then
      say("err", info.problem .. "; exporting without a lease, as every backup node does on Kong: "
        .. "run one backup node only, or use a store that honours them")
    end
  elseif acquired then
    say("notice", string.format("this node holds the export lease %s (epoch %d): it exports", self.url, info.epoch))
  elseif info.state == "follower" and info.holder and (info.holder ~= self.holder or self.state ~= "follower") then
    say("notice", string.format("%s holds the export lease %s (epoch %d): this node stands by",
      info.holder, self.url, info.epoch))
  end
  if info.state ~= "unsupported" and info.problem ~= self.problem then
    if info.problem then
      say("warn", "export lease " .. self.url .. ": " .. info.problem)
    elseif self.problem then
      say("notice", "export lease " .. self.url .. ": the store answers again")
    end
  end
  self.acquisitions, self.losses, self.state = info.acquisitions, info.losses, info.state
  self.holder, self.problem = info.holder, info.problem
  return lines, acquired
end

return _M

-- The FFI declarations are generated from the public header
-- (scripts/gen_cdefs.lua); a header changed without regenerating them fails here.
local SPEC_DIR = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local ROOT = SPEC_DIR .. "../"

local function read(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("*a")
  f:close()
  return text
end

describe("cdefs.lua", function()
  it("is what scripts/gen_cdefs.lua makes of native/include/fallback_config.h", function()
    local generator = dofile(ROOT .. "scripts/gen_cdefs.lua")
    local expected = generator.generate(read(ROOT .. "native/include/fallback_config.h"))
    assert.equals(expected, read(ROOT .. "lua/kong/plugins/fallback-config/cdefs.lua"),
      "regenerate it: luajit scripts/gen_cdefs.lua native/include/fallback_config.h lua/kong/plugins/fallback-config/cdefs.lua")
  end)

  it("declares every function the header exports, and LuaJIT parses it", function()
    local header = read(ROOT .. "native/include/fallback_config.h")
    local cdefs = require("kong.plugins.fallback-config.cdefs")
    local count = 0
    for name in header:gmatch("FC_API [^;(]-%*?%s*(fc_[%w_]+)%(") do
      count = count + 1
      assert.truthy(cdefs:find(name .. "(", 1, true), name)
    end
    assert.truthy(count >= 30, "found " .. count .. " functions")
    -- native.lua has loaded them: every function resolves in the library.
    local native = require("kong.plugins.fallback-config.native")
    for name in header:gmatch("FC_API [^;(]-%*?%s*(fc_[%w_]+)%(") do
      assert.truthy(native.lib[name], name)
    end
  end)
end)

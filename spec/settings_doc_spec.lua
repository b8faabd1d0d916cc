-- docs/configuration.md's settings table is generated from the library's
-- table of settings; a row added or changed without regenerating it fails here.
local SPEC_DIR = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local ROOT = SPEC_DIR .. "../"

describe("docs/configuration.md", function()
  it("shows the library's table of settings as it is", function()
    local generator = dofile(ROOT .. "scripts/gen_settings_doc.lua")
    local native = require("kong.plugins.fallback-config.native")
    local f = assert(io.open(ROOT .. "docs/configuration.md", "rb"))
    local page = f:read("*a")
    f:close()
    local expected = assert(generator.rewrite(page, native.settings_table()))
    assert.equals(expected, page, "regenerate it: LUA_PATH='lua/?.lua;;' LUA_CPATH='build/native/?.so;;' "
      .. "luajit scripts/gen_settings_doc.lua docs/configuration.md")
    -- Every variable of the table is on the page.
    for _, row in ipairs(native.settings_table()) do
      for _, variable in ipairs(row.variables) do
        assert.truthy(page:find("`" .. variable .. "`", 1, true), variable)
      end
    end
  end)
end)

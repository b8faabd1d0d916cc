-- Generates lua/kong/plugins/fallback-config/cdefs.lua, the LuaJIT FFI
-- declarations, from the public C header, so that the two cannot drift apart
-- (spec/cdefs_spec.lua fails when the committed file is not what this makes).
--
--   luajit scripts/gen_cdefs.lua native/include/fallback_config.h lua/kong/plugins/fallback-config/cdefs.lua
--
-- The header is written for this: constants are enums (LuaJIT's cdef has no
-- preprocessor), C++-only lines sit inside `#ifdef __cplusplus` blocks, and
-- FC_API is a macro that expands to an attribute.

local _M = {}

function _M.generate(header)
  local text = header:gsub("/%*.-%*/", "")             -- comments
  local out, skipping = {}, false
  for line in (text .. "\n"):gmatch("(.-)\n") do
    if line:match("^#ifdef __cplusplus") then
      skipping = true
    elseif skipping then
      skipping = not line:match("^#endif")
    elseif not line:match("^%s*#") then               -- other preprocessor lines
      line = line:gsub("FC_API ", ""):gsub("%s+$", "")
      if line ~= "" or (out[#out] ~= nil and out[#out] ~= "") then
        out[#out + 1] = line
      end
    end
  end
  while out[#out] == "" do
    out[#out] = nil
  end
  return "-- Generated from native/include/fallback_config.h by scripts/gen_cdefs.lua: do not edit.\n"
    .. "return [[\n" .. table.concat(out, "\n") .. "\n]]\n"
end

if arg and arg[0] and arg[0]:match("gen_cdefs%.lua$") then
  local input = assert(io.open(assert(arg[1], "usage: gen_cdefs.lua HEADER OUTPUT"), "rb"))
  local generated = _M.generate(input:read("*a"))
  input:close()
  local output = assert(io.open(assert(arg[2], "usage: gen_cdefs.lua HEADER OUTPUT"), "wb"))
  output:write(generated)
  output:close()
end

return _M

-- kong.vault (kong/pdk/vault.lua) for the env vault (kong/vaults/env): a
-- reference "{vault://env/my-secret}" names the variable MY_SECRET, from the
-- environment the node started with.
local ffi = require("ffi")

local _M = {}

local ENV = {}

pcall(ffi.cdef, "extern char **environ;")

--- Captures the environment (init phase, as the env vault's init does).
function _M.capture()
  local i = 0
  while ffi.C.environ[i] ~= nil do
    local name, value = ffi.string(ffi.C.environ[i]):match("^([^=]+)=(.*)$")
    if name then
      ENV[name] = value
    end
    i = i + 1
  end
end

function _M.is_reference(reference)
  return type(reference) == "string" and reference:sub(1, 9) == "{vault://" and reference:sub(-1) == "}"
end

--- The value, or nil and an error naming the reference.
function _M.get(reference)
  if not _M.is_reference(reference) then
    return nil, "not a reference"
  end
  local backend, name = reference:match("^{vault://([^/]+)/([^}/]+)}$")
  if backend ~= "env" then
    return nil, "vault not found (" .. tostring(backend) .. ")"
  end
  local variable = name:upper():gsub("-", "_")
  local value = ENV[variable]
  if value == nil then
    return nil, "could not get value from external vault (no value found (" .. reference .. "))"
  end
  return value
end

return _M

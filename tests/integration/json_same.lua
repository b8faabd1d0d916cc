-- luajit json_same.lua A B: exits 0 when the two files hold the same JSON value
-- (key order and formatting aside), 1 otherwise, naming the first difference.
local cjson = require("cjson.safe")

local function load(path)
  local f = assert(io.open(path, "rb"))
  local v, err = cjson.decode(f:read("*a"))
  f:close()
  if v == nil then
    io.stderr:write(path, ": ", tostring(err), "\n")
    os.exit(1)
  end
  return v
end

local function diff(a, b, where)
  if type(a) ~= type(b) then
    return where .. ": " .. type(a) .. " vs " .. type(b)
  end
  if type(a) ~= "table" then
    return a ~= b and (where .. ": " .. tostring(a) .. " vs " .. tostring(b)) or nil
  end
  for k, v in pairs(a) do
    local d = diff(v, b[k], where .. "." .. tostring(k))
    if d then
      return d
    end
  end
  for k in pairs(b) do
    if a[k] == nil then
      return where .. "." .. tostring(k) .. ": missing on the left"
    end
  end
end

local d = diff(load(arg[1]), load(arg[2]), "$")
if d then
  io.stderr:write(d, "\n")
  os.exit(1)
end

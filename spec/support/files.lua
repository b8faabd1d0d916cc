-- Scratch directories and whole-file reads for the specs.
local _M = {}

--- A new empty directory under /tmp.
function _M.tmpdir()
  local path = os.tmpname()
  os.remove(path)
  assert(os.execute("mkdir -p " .. path) == 0)
  return path
end

--- The file's bytes, or nil when it cannot be opened.
function _M.read(path)
  local f = io.open(path, "rb")
  if not f then
    return nil
  end
  local text = f:read("*a")
  f:close()
  return text
end

return _M

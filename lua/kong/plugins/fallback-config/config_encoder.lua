-- Encodes a declarative configuration (the table kong.db.declarative's
-- export_config returns) as JSON without stalling the event loop: one
-- cjson.encode of a 16 MB configuration takes tens of milliseconds, during
-- which a worker serves no request. Here every entity is encoded on its own,
-- the output is cut into parts of about `part_size` bytes, and `yield` (ngx.sleep(0)
-- inside nginx) runs between parts. The parts are never joined: the native
-- library uploads them back to back (client:put_async_parts).
--
-- The result is the JSON of the same table; top-level keys come in a stable
-- order (_format_version first) so that equal configurations encode equally.

local cjson = require("cjson.safe")

local _M = {}

_M.DEFAULT_PART_SIZE = 64 * 1024

-- A sequence cjson would write as a JSON array (keys exactly 1..n, n > 0).
local function is_array(t)
  local n = #t
  if n == 0 then
    return false
  end
  local count = 0
  for _ in pairs(t) do
    count = count + 1
  end
  return count == n
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do
    if type(k) ~= "string" then
      return nil, "a declarative configuration has only string keys at the top, got a " .. type(k)
    end
    keys[#keys + 1] = k
  end
  table.sort(keys, function(a, b)
    if a == "_format_version" or b == "_format_version" then
      return a == "_format_version"
    end
    return a < b
  end)
  return keys
end

--- Returns parts (an array of strings whose concatenation is the JSON), the
-- total size in bytes, and a fingerprint: the MD5 of the parts' MD5s (cheap,
-- never one long call). Or nil and an error.
-- opts: yield (function), part_size (bytes), md5 (function, e.g. ngx.md5).
function _M.encode(config, opts)
  if type(config) ~= "table" then
    return nil, "the configuration to export is a " .. type(config) .. ", not a table"
  end
  opts = opts or {}
  local yield = opts.yield or function() end
  local part_size = opts.part_size or _M.DEFAULT_PART_SIZE
  local md5 = opts.md5

  local parts, digests = {}, {}
  local pending, pending_n, pending_bytes, total = {}, 0, 0, 0

  local function flush()
    if pending_n == 0 then
      return
    end
    local part = table.concat(pending, "", 1, pending_n)
    parts[#parts + 1] = part
    if md5 then
      digests[#digests + 1] = md5(part)
    end
    total = total + #part
    pending_n, pending_bytes = 0, 0
    yield()
  end

  local function put(s)
    pending_n = pending_n + 1
    pending[pending_n] = s
    pending_bytes = pending_bytes + #s
    if pending_bytes >= part_size then
      flush()
    end
  end

  local keys, err = sorted_keys(config)
  if not keys then
    return nil, err
  end
  put("{")
  for i, key in ipairs(keys) do
    put((i > 1 and "," or "") .. cjson.encode(key) .. ":")
    local value = config[key]
    if type(value) == "table" and is_array(value) then
      put("[")
      for j = 1, #value do
        local json, encode_err = cjson.encode(value[j])
        if not json then
          return nil, "cannot encode " .. key .. "[" .. j .. "]: " .. tostring(encode_err)
        end
        if j > 1 then
          put(",")
        end
        put(json)
      end
      put("]")
    else
      local json, encode_err = cjson.encode(value)
      if not json then
        return nil, "cannot encode " .. key .. ": " .. tostring(encode_err)
      end
      put(json)
    end
  end
  put("}")
  flush()
  local fingerprint = md5 and md5(table.concat(digests)) or nil
  return parts, total, fingerprint
end

return _M

-- Whether this data plane's control plane can be reached, the question Kong
-- Enterprise answers before importing (it imports when connecting to the
-- control plane fails: kong/clustering/data_plane.lua on FTI-6378). Where
-- Kong keeps the answer (master: ngx.shared.kong "control_plane_connected",
-- set by the sync v1 connection, 45 s TTL) it is used; elsewhere, a TCP
-- connection to cluster_control_plane with Kong's 5 s connect timeout
-- (clustering/utils.lua connect_cp) says whether anything answers there.

local ngx = ngx

local _M = {}

_M.CONNECT_TIMEOUT = 5 -- seconds

--- true when the control plane answers, false when it does not; and how
-- that was found ("connected" from Kong, "probe" otherwise, with the error).
function _M.reachable(configuration, timeout)
  local kong_dict = ngx.shared.kong
  local known = kong_dict and kong_dict:get("control_plane_connected")
  if known == true then
    return true, "connected"
  end
  local address = configuration.cluster_control_plane
  local host, port = tostring(address):match("^%[?([^%]]+)%]?:(%d+)$")
  if not host then
    return false, "probe", "cluster_control_plane '" .. tostring(address) .. "' is not host:port"
  end
  local sock = ngx.socket.tcp()
  sock:settimeout((timeout or _M.CONNECT_TIMEOUT) * 1000)
  local ok, err = sock:connect(host, tonumber(port))
  if not ok then
    return false, "probe", err
  end
  sock:close()
  return true, "probe"
end

return _M

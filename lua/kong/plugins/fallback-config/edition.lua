-- Which Kong this is, as far as the plugin's choices go. Kong Enterprise
-- has its own cluster fallback configuration, configured with the same
-- KONG_CLUSTER_FALLBACK_* variables, which are real settings there
-- (kong/enterprise_edition/conf_loader.lua: cluster_fallback_config_export,
-- _import, _storage, ...). When EE's feature is on, the plugin stands down:
-- the two would upload twice to the same key, bypass EE's election, and
-- import twice.
local _M = {}

--- true on Kong Enterprise: its kong.version has four parts
-- (kong/enterprise_edition/meta.lua), or its meta module is there.
function _M.enterprise(kong_version)
  if type(kong_version) == "string" and kong_version:match("^%d+%.%d+%.%d+%.%d+") then
    return true
  end
  return (pcall(require, "kong.enterprise_edition.meta"))
end

--- On EE, whether EE's own feature is on (export or import); with the
-- setting that says so, for the log line.
function _M.builtin_feature_on(configuration)
  if configuration.cluster_fallback_config_export == true then
    return true, "cluster_fallback_config_export"
  end
  if configuration.cluster_fallback_config_import == true then
    return true, "cluster_fallback_config_import"
  end
  return false
end

--- The gateway version as numbers: "3.9.1" -> 3, 9, 1.
function _M.version(kong_version)
  local major, minor, patch = tostring(kong_version):match("^(%d+)%.(%d+)%.?(%d*)")
  return tonumber(major) or 0, tonumber(minor) or 0, tonumber(patch) or 0
end

return _M

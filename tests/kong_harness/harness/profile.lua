-- The Kong the harness plays, chosen with KONG_HARNESS_PROFILE: the facts
-- that differ between the versions the plugin supports, each from the Kong
-- file named beside it (Kong/kong tags 3.4.2, 3.6.1, 3.9.1, master; the
-- Enterprise-history branch FTI-6378 for "ee").
local _M = {}

local PROFILES = {
  ["3.4"] = {
    version = "3.4.2",
    -- kong/templates/kong_defaults.lua: no dedicated_config_processing
    -- (privileged_agent = off), no cluster_rpc.
    dedicated_config_processing = nil,
    -- kong/db/declarative/import.lua load_into_cache_with_events: the lock is
    -- ngx.shared.kong:add("declarative:lock"); an error raised inside the load
    -- skips the unlock, so the lock stays for its 60 s.
    lock = "shm",
    -- kong/db/strategies/off/init.lua page_for_key: one yield per page;
    -- a row gone mid-read is "stale data detected while paginating".
    export_yields = true,
    page_size = 50000, -- kong/db/strategies/connector.lua max_page_size
    each_for_export = false, -- kong/db/dao/init.lua has DAO:each only
    config_helper = "3.4", -- update(dc, config_table, config_hash, hashes)
    -- declarative/import.lua load_into_cache: items under DAO cache keys,
    -- "<entity>|<ws>|@list" arrays of them (harness/store.lua).
    lmdb_layout = "list",
  },
  ["3.6"] = {
    version = "3.6.1",
    dedicated_config_processing = true, -- on by default since 3.5.0
    lock = "shm",
    export_yields = true,
    page_size = 50000,
    each_for_export = true,
    config_helper = "3.6", -- update(dc, msg), xpcall-protected
    lmdb_layout = "list", -- until 3.8.x
  },
  ["3.9"] = {
    version = "3.9.1",
    dedicated_config_processing = true,
    cluster_rpc = false, -- kong_defaults.lua: cluster_rpc = off (3.7+)
    cluster_incremental_sync = false, -- 3.9.x only
    -- 3.9+: concurrency.with_worker_mutex on kong_locks: errors come back.
    lock = "mutex",
    -- off/init.lua page_for_prefix: pages of 2048 (strategies/init.lua),
    -- one read per page and per row, no yield; a row gone mid-read is a
    -- hole that silently ends the type.
    export_yields = false,
    page_size = 2048,
    each_for_export = true,
    config_helper = "3.6",
    -- clustering/services/sync/rpc.lua: the hash becomes the version "%032d".
    sync_version_format = "%032d",
    -- 3.9.0+ import.lua _set_entity_for_txn: "<entity>|<ws>|*|<pk>" items,
    -- "<entity>|*|*|<pk>" pointing at them (harness/store.lua).
    lmdb_layout = "item_key",
  },
  ["master"] = {
    version = "3.10.0",
    dedicated_config_processing = true,
    cluster_rpc = false,
    cluster_rpc_sync = false, -- master renamed cluster_incremental_sync
    lock = "mutex",
    export_yields = false,
    page_size = 2048,
    each_for_export = true,
    config_helper = "3.6",
    sync_version_format = "v02_%028x",
    lmdb_layout = "item_key",
    -- clustering/data_plane.lua set_control_plane_connected (master only).
    control_plane_connected = true,
  },
  ["ee"] = {
    version = "3.10.0.0", -- EE's kong.version has four parts (enterprise_edition/meta.lua)
    enterprise = true,
    dedicated_config_processing = true,
    cluster_rpc = false,
    cluster_incremental_sync = false,
    lock = "mutex",
    export_yields = false,
    page_size = 2048,
    each_for_export = true,
    config_helper = "3.6",
    sync_version_format = "%032d",
    lmdb_layout = "item_key",
  },
}

--- The profile named by KONG_HARNESS_PROFILE (default "3.9").
function _M.get(name)
  local p = PROFILES[name or "3.9"]
  if not p then
    error("unknown KONG_HARNESS_PROFILE '" .. tostring(name) .. "'", 2)
  end
  return p
end

return _M

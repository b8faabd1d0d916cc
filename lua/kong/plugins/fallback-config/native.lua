-- LuaJIT FFI bindings for libfallback_config (native/include/fallback_config.h).
--
-- Thin on purpose: the native library does the work; this module loads the
-- ABI's declarations (cdefs.lua, generated from the header), finds the library
-- on package.cpath, owns native handles through ffi.gc, and turns every status
-- into `nil, err, status name`.

local ffi = require("ffi")

local LIB_NAME = "libfallback_config.so"
local CDEFS = require("kong.plugins.fallback-config.cdefs")

-- A module reloaded (tests clear package.loaded) must not redefine the types.
if not pcall(ffi.typeof, "fc_setting_info") then
  ffi.cdef(CDEFS)
end

-- Every function the declarations name: a library that lacks one is another
-- version than these bindings, and is refused at load, not at first call.
local FUNCTIONS = {}
for name in CDEFS:gmatch("(fc_[%w_]+)%(") do
  FUNCTIONS[#FUNCTIONS + 1] = name
end

local function file_exists(path)
  local f = io.open(path, "rb")
  if f then
    f:close()
  end
  return f ~= nil
end

local function missing_function(lib)
  for _, name in ipairs(FUNCTIONS) do
    if not pcall(function() return lib[name] end) then
      return name
    end
  end
end

-- Like Kong's atc-router: look for the library in every package.cpath
-- directory. The first file that exists is loaded, and if dlopen refuses it
-- (a missing libcurl, an undefined symbol) that error is the one reported; if
-- none exists, every path tried is.
local function load_shared_lib(name, cpath)
  local tried = {}
  for pattern in string.gmatch(cpath or package.cpath, "[^;]+") do
    local dir = pattern:match("^(.*/)[^/]*$")
    if dir and not tried[dir] then
      tried[dir] = true
      local path = dir .. name
      tried[#tried + 1] = path
      if file_exists(path) then
        local ok, lib = pcall(ffi.load, path)
        if not ok then
          return nil, "could not load " .. path .. ": " .. tostring(lib)
        end
        local missing = missing_function(lib)
        if missing then
          return nil, "could not load " .. path .. ": it has no " .. missing
            .. " (not the version of libfallback_config these bindings were generated for)"
        end
        return lib
      end
    end
  end
  return nil, "could not load " .. name .. ", tried: " .. table.concat(tried, ", ")
end

local lib, load_err = load_shared_lib(LIB_NAME)
if not lib then
  error(load_err)
end

local _M = { _VERSION = ffi.string(lib.fc_version()), load_shared_lib = load_shared_lib, lib = lib }

local ERRBUF_LEN = ffi.C.FC_ERRBUF_LEN
local JOB_RUNNING = ffi.C.FC_JOB_RUNNING
local errbuf = ffi.new("char[?]", ERRBUF_LEN)
local sha256_buf = ffi.new("char[65]")
local out_ptr = ffi.new("char *[1]")
local out_len = ffi.new("size_t[1]")
local out_client = ffi.new("fc_client *[1]")
local out_info = ffi.new("fc_object_info *[1]")
local out_job = ffi.new("fc_job *[1]")
local out_source = ffi.new("char *[1]")

local function failure(status)
  return nil, ffi.string(errbuf), ffi.string(lib.fc_status_name(status))
end

-- true, or nil, err, status name.
local function succeeded(rc)
  if rc ~= 0 then
    return failure(rc)
  end
  return true
end

-- Takes ownership of a returned C string.
local function take_string(p, len)
  local s = len and ffi.string(p, len) or ffi.string(p)
  lib.fc_free(p)
  return s
end

local function opt_string(p)
  return p ~= nil and ffi.string(p) or nil
end

local function take_opt_string(p)
  if p == nil then
    return nil
  end
  return take_string(p)
end

-- The library's table of settings (fc_setting_info_at), as Lua tables.
local KINDS = { [0] = "text", "path", "url", "storage", "json", "on_off", "aws_boolean", "seconds", "integer" }

local setting_table
function _M.settings_table()
  if setting_table then
    return setting_table
  end
  setting_table = {}
  local i = 0
  while true do
    local info = lib.fc_setting_info_at(i)
    if info == nil then
      break
    end
    local variables = {}
    for v = 0, ffi.C.FC_SETTING_MAX_VARIABLES - 1 do
      if info.variables[v] == nil then
        break
      end
      variables[#variables + 1] = ffi.string(info.variables[v])
    end
    setting_table[#setting_table + 1] = {
      name = ffi.string(info.name),
      variables = variables,
      flag = opt_string(info.flag),
      plugin_field = opt_string(info.plugin_field),
      value_name = ffi.string(info.value_name),
      default = opt_string(info.default_value),
      help = ffi.string(info.help),
      kind = KINDS[info.kind],
      min = info.min,
      max = info.max,
      secret = info.secret ~= 0,
      plugin_only = info.plugin_only ~= 0,
    }
    i = i + 1
  end
  return setting_table
end

-- Settings: values by setting name, checked by the library as they are set;
-- errors name the variable or the caller's source.

local settings_mt = {}
settings_mt.__index = settings_mt

--- A new, empty settings object; free() it as soon as it is used (it may hold
-- credentials), or the GC does.
function _M.new_settings()
  local handle = lib.fc_settings_new()
  if handle == nil then
    return nil, "out of memory", "EINTERNAL"
  end
  return setmetatable({ handle = ffi.gc(handle, lib.fc_settings_free) }, settings_mt)
end

--- Sets `name`; an error names `source` (a plugin config field), else the name.
function settings_mt:set(name, value, source)
  return succeeded(lib.fc_settings_set_from(self.handle, name, value, source, errbuf, ERRBUF_LEN))
end

--- What an environment variable of the table says; precedence between a
-- setting's variables holds whatever the order of the calls.
function settings_mt:set_env(variable, value)
  return succeeded(lib.fc_settings_set_env(self.handle, variable, value, errbuf, ERRBUF_LEN))
end

--- The value (its default when unset; nil when neither) and where it came
-- from (nil for a default). A secret's value is never read back.
function settings_mt:get(name)
  local rc = lib.fc_settings_get(self.handle, name, out_ptr, out_source, errbuf, ERRBUF_LEN)
  if rc ~= 0 then
    return failure(rc)
  end
  return take_opt_string(out_ptr[0]), take_opt_string(out_source[0])
end

--- Where a setting's value came from (nil for a default); for secrets too.
function settings_mt:source(name)
  local rc = lib.fc_settings_get(self.handle, name, nil, out_source, errbuf, ERRBUF_LEN)
  if rc ~= 0 then
    return failure(rc)
  end
  return take_opt_string(out_source[0])
end

function settings_mt:free()
  if self.handle ~= nil then
    lib.fc_settings_free(ffi.gc(self.handle, nil))
    self.handle = nil
  end
end

local client_mt = {}
client_mt.__index = client_mt

--- A client of the storage these settings describe. Returns the client, or
-- nil, err, status name.
function settings_mt:new_client()
  local rc = lib.fc_client_new(self.handle, out_client, errbuf, ERRBUF_LEN)
  if rc ~= 0 then
    return failure(rc)
  end
  return setmetatable({ handle = ffi.gc(out_client[0], lib.fc_client_free) }, client_mt)
end

--- A client from a table of setting names to strings; with `use_env`, this
-- process's environment is read first and the table overrides it. (The
-- plugin hands over the environment it captured instead: settings.lua.)
function _M.new_client(values, use_env)
  local settings, err, status = _M.new_settings()
  if not settings then
    return nil, err, status
  end
  local ok = true
  if use_env then
    local rc = lib.fc_settings_load_env(settings.handle, errbuf, ERRBUF_LEN)
    if rc ~= 0 then
      ok, err, status = failure(rc)
    end
  end
  for name, value in pairs(values or {}) do
    if ok then
      ok, err, status = settings:set(tostring(name), tostring(value))
    end
  end
  local client
  if ok then
    client, err, status = settings:new_client()
  end
  -- Freed at once, not by the GC: the settings hold the credentials.
  settings:free()
  if not client then
    return nil, err, status
  end
  return client
end

-- Calls a `fn(client, version, char **out, errbuf, len)` and returns the string.
local function string_result(fn, handle, version)
  local rc = fn(handle, version, out_ptr, errbuf, ERRBUF_LEN)
  if rc ~= 0 then
    return failure(rc)
  end
  return take_string(out_ptr[0])
end

function client_mt:config_key(version)
  return string_result(lib.fc_client_config_key, self.handle, version)
end

function client_mt:config_url(version)
  return string_result(lib.fc_client_config_url, self.handle, version)
end

--- Uploads `data` (a JSON object) as the configuration of `version`. The Lua
-- string is handed to the library in place, not copied.
function client_mt:put(version, data)
  return succeeded(lib.fc_client_put(self.handle, version, data, #data, errbuf, ERRBUF_LEN))
end

function client_mt:get(version)
  local rc = lib.fc_client_get(self.handle, version, out_ptr, out_len, errbuf, ERRBUF_LEN)
  if rc ~= 0 then
    return failure(rc)
  end
  return take_string(out_ptr[0], out_len[0])
end

function client_mt:stat(version)
  local rc = lib.fc_client_stat(self.handle, version, out_info, errbuf, ERRBUF_LEN)
  if rc ~= 0 then
    return failure(rc)
  end
  local info = out_info[0]
  local result = {
    key = ffi.string(info.key),
    version = opt_string(info.version),
    size = tonumber(info.size),
    last_modified = tonumber(info.last_modified),
    etag = opt_string(info.etag),
    uploader = opt_string(info.uploader),
    generation = opt_string(info.generation),
    sha256 = opt_string(info.sha256),
  }
  lib.fc_object_info_free(info)
  return result
end

-- Jobs: transfers on the library's worker thread, never on the caller's.

local job_mt = {}
job_mt.__index = job_mt

local function new_job(handle, data)
  if data == nil then
    return setmetatable({ handle = ffi.gc(handle, lib.fc_job_free) }, job_mt)
  end
  -- `data` (an upload's Lua string or string.buffer) is read in place by the
  -- worker thread until fc_job_free revokes its access. Referencing it from the
  -- job table alone is not enough: when a job is dropped without close(), the
  -- table, the data and the handle die in the same GC cycle, and LuaJIT frees
  -- a dead string in its sweep (and runs a string.buffer's __gc) *before* it
  -- runs the handle's finalizer, so the worker could read freed memory in
  -- between. The finalizer closure pins the data (LuaJIT keeps finalizers
  -- strongly referenced) until it has revoked the worker's access.
  local function free(h)
    lib.fc_job_free(h)
    return data
  end
  return setmetatable({ handle = ffi.gc(handle, free), borrowed = data }, job_mt)
end

--- Queues an upload of `data` (a JSON object string, read in place) and
-- returns a job at once.
function client_mt:put_async(version, data)
  local rc = lib.fc_client_put_async(self.handle, version, data, #data, out_job, errbuf, ERRBUF_LEN)
  if rc ~= 0 then
    return failure(rc)
  end
  return new_job(out_job[0], data)
end

--- Queues an upload of a configuration serialized by serializer.lua: `buf`
-- (a string.buffer) is read in place and turned into JSON on the worker thread.
function client_mt:put_async_serialized(version, buf)
  local ptr, len = buf:ref()
  local rc = lib.fc_client_put_async_serialized(self.handle, version, ffi.cast("const char *", ptr), len,
    out_job, errbuf, ERRBUF_LEN)
  if rc ~= 0 then
    return failure(rc)
  end
  return new_job(out_job[0], buf)
end

--- Queues an export of a DB-less Kong node's configuration straight from
-- its LMDB, read by the library's helper process (config_reader.lua builds
-- `plan`, a JSON string); nothing is uploaded when it is Kong's empty
-- configuration or its hash is `unless_hash`. `helper_path` overrides where
-- the helper is (nil: beside the library).
function client_mt:export_kong_lmdb_async(version, plan, unless_hash, helper_path)
  local rc = lib.fc_client_export_kong_lmdb_async(self.handle, version, plan, #plan, unless_hash, helper_path,
    out_job, errbuf, ERRBUF_LEN)
  if rc ~= 0 then
    return failure(rc)
  end
  return new_job(out_job[0])
end

function client_mt:get_async(version)
  local rc = lib.fc_client_get_async(self.handle, version, out_job, errbuf, ERRBUF_LEN)
  if rc ~= 0 then
    return failure(rc)
  end
  return new_job(out_job[0])
end

--- Never blocks. Returns "running"; or true when the job succeeded; or nil,
-- err, status name when it failed.
function job_mt:status()
  local rc = lib.fc_job_status(self.handle, errbuf, ERRBUF_LEN)
  if rc == JOB_RUNNING then
    return "running"
  end
  if rc ~= 0 then
    return failure(rc)
  end
  return true
end

--- The SHA-256 (hex) of the configuration a finished job uploaded or
-- downloaded: the name every node and the stored object agree on.
function job_mt:sha256()
  local rc = lib.fc_job_sha256(self.handle, sha256_buf, 65, errbuf, ERRBUF_LEN)
  if rc ~= 0 then
    return failure(rc)
  end
  return ffi.string(sha256_buf, 64)
end

local KONG_EXPORT_OUTCOMES = {
  [ffi.C.FC_KONG_EXPORT_UPLOADED] = "uploaded",
  [ffi.C.FC_KONG_EXPORT_EMPTY] = "empty",
  [ffi.C.FC_KONG_EXPORT_UNCHANGED] = "unchanged",
}
local kong_export_info = ffi.new("fc_kong_export_info")

--- What a finished LMDB export job read and did: { read (the snapshot was
-- read, so a failure was the upload's), outcome ("uploaded", "empty",
-- "unchanged"), kong_hash (nil when absent), entities, bytes }.
function job_mt:kong_export()
  local rc = lib.fc_job_kong_export(self.handle, kong_export_info, errbuf, ERRBUF_LEN)
  if rc ~= 0 then
    return failure(rc)
  end
  local info = kong_export_info
  local hash = ffi.string(info.kong_hash)
  return {
    read = info.read ~= 0,
    outcome = KONG_EXPORT_OUTCOMES[info.outcome],
    kong_hash = hash ~= "" and hash or nil,
    entities = tonumber(info.entities),
    bytes = tonumber(info.bytes),
  }
end

--- The downloaded bytes of a finished get job.
function job_mt:data()
  local rc = lib.fc_job_take_data(self.handle, out_ptr, out_len, errbuf, ERRBUF_LEN)
  if rc ~= 0 then
    return failure(rc)
  end
  return take_string(out_ptr[0], out_len[0])
end

-- Seconds a job may still take once the nginx worker is exiting: a sleeping
-- timer keeps a gracefully exiting worker alive, and a transfer to a storage
-- that stopped answering would otherwise hold the exit (and a reload) up for
-- its stall timeout and every retry, minutes.
_M.EXIT_GRACE = 3

local function worker_exiting()
  local ngx = rawget(_G, "ngx")
  return ngx ~= nil and ngx.worker ~= nil and ngx.worker.exiting ~= nil and ngx.worker.exiting()
end

--- Waits for the job without blocking the caller's event loop: `sleep` is
-- ngx.sleep inside nginx (it yields), polling from 1 ms doubling to 100 ms.
-- Once the nginx worker is exiting, waits at most `exit_grace` seconds more
-- (default _M.EXIT_GRACE), then returns nil, err, "EXITING": the caller then
-- closes the job, which stops reading its data and ends with the process.
function job_mt:wait(sleep, exit_grace)
  local delay = 0.001
  local waited_exiting = 0
  while true do
    local ok, err, status = self:status()
    if ok ~= "running" then
      return ok, err, status
    end
    if worker_exiting() then
      if waited_exiting >= (exit_grace or _M.EXIT_GRACE) then
        return nil, "the nginx worker is exiting: the transfer was abandoned", "EXITING"
      end
      waited_exiting = waited_exiting + delay
    end
    sleep(delay)
    delay = math.min(delay * 2, 0.1)
  end
end

--- Frees the native job now (instead of at garbage collection). Closing twice
-- is harmless; a closed job's status() and data() return nil, err, "EINVAL".
function job_mt:close()
  if self.handle == nil then
    return
  end
  lib.fc_job_free(ffi.gc(self.handle, nil))
  self.handle = nil
end

-- The export lease (one exporter among several backup nodes): competed for
-- on the library's own thread; reading its state never waits on the store.

local lease_mt = {}
lease_mt.__index = lease_mt

local out_lease = ffi.new("fc_lease *[1]")
local lease_info = ffi.new("fc_lease_info")
local LEASE_STATES = {
  [ffi.C.FC_LEASE_STARTING] = "starting",
  [ffi.C.FC_LEASE_FOLLOWER] = "follower",
  [ffi.C.FC_LEASE_LEADER] = "leader",
  [ffi.C.FC_LEASE_UNSUPPORTED] = "unsupported",
  [ffi.C.FC_LEASE_EE_ELECTED] = "ee_elected",
  [ffi.C.FC_LEASE_EE_STANDBY] = "ee_standby",
}

--- Starts competing for the export lease of `version` as the client's node
-- id; from now on the client's writes of that configuration are fenced.
-- `ee_interval` (Kong EE's election round; nil: EE's election is not looked
-- for). Seconds in, milliseconds to the library.
function client_mt:lease_start(version, duration, renew, ee_interval)
  local rc = lib.fc_client_lease_start(self.handle, version, math.floor(duration * 1000 + 0.5),
    math.floor(renew * 1000 + 0.5), math.floor((ee_interval or 0) * 1000 + 0.5), out_lease, errbuf, ERRBUF_LEN)
  if rc ~= 0 then
    return failure(rc)
  end
  return setmetatable({ handle = ffi.gc(out_lease[0], lib.fc_lease_free) }, lease_mt)
end

--- { state ("starting", "follower", "leader", "unsupported", "ee_elected",
-- "ee_standby"), leading, holder
-- (nil: none), epoch, expires_in (seconds, nil unknown), acquisitions,
-- losses, lost_reason, problem (nil after a good round) }.
function lease_mt:info()
  local rc = lib.fc_lease_info_get(self.handle, lease_info, errbuf, ERRBUF_LEN)
  if rc ~= 0 then
    return failure(rc)
  end
  local i = lease_info
  local holder, problem = ffi.string(i.holder), ffi.string(i.problem)
  return {
    state = LEASE_STATES[i.state],
    leading = i.leading ~= 0,
    holder = holder ~= "" and holder or nil,
    epoch = tonumber(i.epoch),
    expires_in = i.expires_in_ms >= 0 and tonumber(i.expires_in_ms) / 1000 or nil,
    acquisitions = tonumber(i.acquisitions),
    losses = tonumber(i.losses),
    lost_reason = ffi.string(i.lost_reason),
    problem = problem ~= "" and problem or nil,
    stopped = i.stopped ~= 0,
  }
end

--- Stops competing (a held lease is released in the background); info()
-- says `stopped` once that is done. close() still frees the handle.
function lease_mt:stop()
  return succeeded(lib.fc_lease_stop(self.handle, errbuf, ERRBUF_LEN))
end

--- Stops competing; a held lease is released in the background.
function lease_mt:close()
  if self.handle ~= nil then
    lib.fc_lease_free(ffi.gc(self.handle, nil))
    self.handle = nil
  end
end

function _M.version()
  return ffi.string(lib.fc_version())
end

return _M

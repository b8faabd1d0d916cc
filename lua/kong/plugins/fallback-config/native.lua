-- LuaJIT FFI bindings for libfallback_config (native/include/fallback_config.h).
--
-- Thin on purpose: the native library does the work; this module declares the
-- ABI, finds the library on package.cpath, owns native handles through ffi.gc,
-- and turns every status into `nil, err`.

local ffi = require("ffi")

local C_DEF = [[
typedef struct fc_settings fc_settings;
typedef struct fc_client fc_client;

typedef struct fc_object_info {
  char *key;
  char *version;
  uint64_t size;
  int64_t last_modified;
  char *etag;
  char *uploader;
  char *generation;
} fc_object_info;

const char *fc_version(void);
const char *fc_status_name(int status);
void fc_free(void *p);

fc_settings *fc_settings_new(void);
void fc_settings_free(fc_settings *settings);
int fc_settings_set(fc_settings *settings, const char *name, const char *value,
                    char *errbuf, size_t errbuf_len);
int fc_settings_load_env(fc_settings *settings, char *errbuf, size_t errbuf_len);

int fc_client_new(const fc_settings *settings, fc_client **out, char *errbuf, size_t errbuf_len);
void fc_client_free(fc_client *client);
int fc_client_config_key(const fc_client *client, const char *version, char **out_key,
                         char *errbuf, size_t errbuf_len);
int fc_client_config_url(const fc_client *client, const char *version, char **out_url,
                         char *errbuf, size_t errbuf_len);
int fc_client_put(fc_client *client, const char *version, const char *data, size_t len,
                  char *errbuf, size_t errbuf_len);
int fc_client_get(fc_client *client, const char *version, char **out_data, size_t *out_len,
                  char *errbuf, size_t errbuf_len);
int fc_client_stat(fc_client *client, const char *version, fc_object_info **out,
                   char *errbuf, size_t errbuf_len);
void fc_object_info_free(fc_object_info *info);

typedef struct fc_job fc_job;
int fc_client_put_async(fc_client *client, const char *version, const char *data, size_t len,
                        fc_job **out, char *errbuf, size_t errbuf_len);
int fc_client_put_async_serialized(fc_client *client, const char *version, const char *data, size_t len,
                                   fc_job **out, char *errbuf, size_t errbuf_len);
int fc_client_get_async(fc_client *client, const char *version, fc_job **out,
                        char *errbuf, size_t errbuf_len);
int fc_job_status(fc_job *job, char *errbuf, size_t errbuf_len);
int fc_job_take_data(fc_job *job, char **out_data, size_t *out_len, char *errbuf, size_t errbuf_len);
void fc_job_free(fc_job *job);
]]

local LIB_NAME = "libfallback_config.so"
local ERRBUF_LEN = 512

-- A module reloaded (tests clear package.loaded) must not redefine the types.
if not pcall(ffi.typeof, "fc_object_info") then
  ffi.cdef(C_DEF)
end

-- Like Kong's atc-router: look for the library in every package.cpath
-- directory, and say where we looked when it is nowhere.
local function load_shared_lib(name, cpath)
  local tried = {}
  for pattern in string.gmatch(cpath or package.cpath, "[^;]+") do
    local dir = pattern:match("^(.*/)[^/]*$")
    if dir and not tried[dir] then
      tried[dir] = true
      tried[#tried + 1] = dir .. name
      local ok, lib = pcall(ffi.load, dir .. name)
      if ok then
        return lib
      end
    end
  end
  return nil, "could not load " .. name .. ", tried: " .. table.concat(tried, ", ")
end

local _M = { _VERSION = "0.1.0", load_shared_lib = load_shared_lib }

local lib, load_err = load_shared_lib(LIB_NAME)
if not lib then
  error(load_err)
end
_M.lib = lib

local errbuf = ffi.new("char[?]", ERRBUF_LEN)
local out_ptr = ffi.new("char *[1]")
local out_len = ffi.new("size_t[1]")
local out_client = ffi.new("fc_client *[1]")
local out_info = ffi.new("fc_object_info *[1]")
local out_job = ffi.new("fc_job *[1]")
local JOB_RUNNING = -1

local function failure(status)
  return nil, ffi.string(errbuf), ffi.string(lib.fc_status_name(status))
end

-- Takes ownership of a returned C string.
local function take_string(p, len)
  local s = len and ffi.string(p, len) or ffi.string(p)
  lib.fc_free(p)
  return s
end

local client_mt = {}
client_mt.__index = client_mt

--- Creates a client. `settings` maps setting names (storage, endpoint, region,
-- s3_put_params, uploader, ...) to strings; with `use_env`, Kong's and AWS's
-- environment variables are read first and `settings` overrides them.
-- Returns the client, or nil, err, status name.
local function build_settings(s, settings, use_env)
  if use_env then
    local rc = lib.fc_settings_load_env(s, errbuf, ERRBUF_LEN)
    if rc ~= 0 then
      return rc
    end
  end
  for name, value in pairs(settings or {}) do
    local rc = lib.fc_settings_set(s, tostring(name), tostring(value), errbuf, ERRBUF_LEN)
    if rc ~= 0 then
      return rc
    end
  end
  return lib.fc_client_new(s, out_client, errbuf, ERRBUF_LEN)
end

function _M.new_client(settings, use_env)
  local s = lib.fc_settings_new()
  if s == nil then
    return nil, "out of memory", "EINTERNAL"
  end
  local rc = build_settings(s, settings, use_env)
  -- Freed at once, not by the GC: the settings hold the credentials.
  lib.fc_settings_free(s)
  if rc ~= 0 then
    return failure(rc)
  end
  return setmetatable({ handle = ffi.gc(out_client[0], lib.fc_client_free) }, client_mt)
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
  local rc = lib.fc_client_put(self.handle, version, data, #data, errbuf, ERRBUF_LEN)
  if rc ~= 0 then
    return failure(rc)
  end
  return true
end

function client_mt:get(version)
  local rc = lib.fc_client_get(self.handle, version, out_ptr, out_len, errbuf, ERRBUF_LEN)
  if rc ~= 0 then
    return failure(rc)
  end
  return take_string(out_ptr[0], out_len[0])
end

local function opt_string(p)
  return p ~= nil and ffi.string(p) or nil
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

function _M.version()
  return ffi.string(lib.fc_version())
end

return _M

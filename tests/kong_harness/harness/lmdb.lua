-- LMDB as Kong's nginx module opens it (Kong/lua-resty-lmdb,
-- src/ngx_lua_resty_lmdb_module.c): a directory holding data.mdb and
-- lock.mdb, flags 0, mode 0600, at least 126 reader slots, entries in the
-- named database "_default" (lib/resty/lmdb/transaction.lua DEFAULT_DB).
-- Debian's nginx has no lua-resty-lmdb, so the harness reaches liblmdb
-- through the FFI. Plain LuaJIT (no ngx): the specs use it too.
--
-- LMDB allows one environment per process (lmdb.h, "Caveats"): open() keeps
-- one per path and process, and a forked child opens its own.
local ffi = require("ffi")

ffi.cdef([[
typedef struct MDB_env MDB_env;
typedef struct MDB_txn MDB_txn;
typedef struct MDB_cursor MDB_cursor;
typedef unsigned int MDB_dbi;
typedef struct MDB_val { size_t mv_size; void *mv_data; } MDB_val;
typedef enum MDB_cursor_op {
  MDB_FIRST, MDB_FIRST_DUP, MDB_GET_BOTH, MDB_GET_BOTH_RANGE, MDB_GET_CURRENT, MDB_GET_MULTIPLE,
  MDB_LAST, MDB_LAST_DUP, MDB_NEXT, MDB_NEXT_DUP, MDB_NEXT_MULTIPLE, MDB_NEXT_NODUP, MDB_PREV,
  MDB_PREV_DUP, MDB_PREV_NODUP, MDB_SET, MDB_SET_KEY, MDB_SET_RANGE
} MDB_cursor_op;
int mdb_env_create(MDB_env **env);
int mdb_env_set_mapsize(MDB_env *env, size_t size);
int mdb_env_set_maxdbs(MDB_env *env, MDB_dbi dbs);
int mdb_env_set_maxreaders(MDB_env *env, unsigned int readers);
int mdb_env_open(MDB_env *env, const char *path, unsigned int flags, int mode);
void mdb_env_close(MDB_env *env);
int mdb_txn_begin(MDB_env *env, MDB_txn *parent, unsigned int flags, MDB_txn **txn);
int mdb_txn_commit(MDB_txn *txn);
void mdb_txn_abort(MDB_txn *txn);
int mdb_dbi_open(MDB_txn *txn, const char *name, unsigned int flags, MDB_dbi *dbi);
int mdb_get(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data);
int mdb_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data, unsigned int flags);
int mdb_drop(MDB_txn *txn, MDB_dbi dbi, int del);
int mdb_cursor_open(MDB_txn *txn, MDB_dbi dbi, MDB_cursor **cursor);
int mdb_cursor_get(MDB_cursor *cursor, MDB_val *key, MDB_val *data, MDB_cursor_op op);
void mdb_cursor_close(MDB_cursor *cursor);
char *mdb_strerror(int err);
int getpid(void);
int mkdir(const char *path, unsigned int mode);
unsigned int getuid(void);
int chown(const char *path, unsigned int owner, unsigned int group);
struct passwd { char *pw_name; char *pw_passwd; unsigned int pw_uid; unsigned int pw_gid; };
struct passwd *getpwnam(const char *name);
]])

local C = ffi.C
local ok, lib = pcall(ffi.load, "lmdb") -- liblmdb-dev's name
if not ok then
  lib = ffi.load("liblmdb.so.0") -- liblmdb0 alone
end

local MDB_RDONLY = 0x20000
local MDB_CREATE = 0x40000
local MDB_NOTFOUND = -30798
local MDB_MAP_FULL = -30792
local DEFAULT_DB = "_default"
local READERS = 126 -- NGX_LUA_RESTY_LMDB_DEFAULT_READERS

local _M = {}

local function check(rc, what)
  if rc ~= 0 then
    return nil, rc == MDB_MAP_FULL and "map full" or (what .. ": " .. ffi.string(lib.mdb_strerror(rc)))
  end
  return true
end

local function val(s)
  return ffi.new("MDB_val", #s, ffi.cast("void *", s))
end

local txn_mt = {}
txn_mt.__index = txn_mt

function txn_mt:get(key)
  local k, v = val(key), ffi.new("MDB_val[1]")
  local rc = lib.mdb_get(self.txn, self.dbi, k, v)
  if rc == MDB_NOTFOUND then
    return nil
  end
  assert(check(rc, "mdb_get"))
  return ffi.string(v[0].mv_data, v[0].mv_size)
end

function txn_mt:put(key, value)
  local k, v = val(key), val(value)
  local rc = lib.mdb_put(self.txn, self.dbi, k, v, 0)
  if rc ~= 0 then
    error({ lmdb = select(2, check(rc, "mdb_put")) })
  end
end

-- Empties the database, keeping it (Kong's t:db_drop(false)).
function txn_mt:drop()
  assert(check(lib.mdb_drop(self.txn, self.dbi, 0), "mdb_drop"))
end

--- Up to `limit` {key, value} pairs whose keys start with `prefix`, from the
-- first key >= `from` (default: the prefix), in key order (resty.lmdb.prefix
-- page); and whether more follow.
function txn_mt:prefix(prefix, from, limit)
  local cursor = ffi.new("MDB_cursor *[1]")
  assert(check(lib.mdb_cursor_open(self.txn, self.dbi, cursor), "mdb_cursor_open"))
  local k = val(from or prefix)
  local v = ffi.new("MDB_val")
  local out, more = {}, false
  local op = C.MDB_SET_RANGE
  while true do
    local rc = lib.mdb_cursor_get(cursor[0], k, v, op)
    op = C.MDB_NEXT
    if rc == MDB_NOTFOUND then
      break
    end
    assert(check(rc, "mdb_cursor_get"))
    local key = ffi.string(k.mv_data, k.mv_size)
    if key:sub(1, #prefix) ~= prefix then
      break
    end
    if #out == limit then
      more = true
      break
    end
    out[#out + 1] = { key = key, value = ffi.string(v.mv_data, v.mv_size) }
  end
  lib.mdb_cursor_close(cursor[0])
  return out, more
end

local env_mt = {}
env_mt.__index = env_mt

local function run(self, flags, fn)
  local txn = ffi.new("MDB_txn *[1]")
  local ok, err = check(lib.mdb_txn_begin(self.env, nil, flags, txn), "mdb_txn_begin")
  if not ok then
    return nil, err
  end
  local t = setmetatable({ txn = txn[0], dbi = self.dbi }, txn_mt)
  local done, result = pcall(fn, t)
  if not done then
    lib.mdb_txn_abort(txn[0])
    if type(result) == "table" and result.lmdb then
      return nil, result.lmdb
    end
    error(result, 0)
  end
  if flags == MDB_RDONLY then
    lib.mdb_txn_abort(txn[0])
    return result
  end
  ok, err = check(lib.mdb_txn_commit(txn[0]), "mdb_txn_commit")
  if not ok then
    return nil, err
  end
  return result == nil and true or result
end

--- One read transaction: fn(txn) sees one committed state.
function env_mt:read(fn)
  return run(self, MDB_RDONLY, fn)
end

--- One write transaction, committed when fn returns; nil and "map full"
-- (MDB_MAP_FULL) or another error, and nothing changed, otherwise.
function env_mt:write(fn)
  return run(self, 0, fn)
end

--- One key in its own read transaction (resty.lmdb.get).
function env_mt:get(key)
  return self:read(function(t)
    return t:get(key)
  end)
end

function env_mt:close()
  lib.mdb_env_close(self.env)
  self.env = nil
end

local opened = {} -- path -> env, for this process

--- The environment at `path` (a directory, created if missing), opened once
-- per process. map_size in bytes.
function _M.open(path, map_size)
  local pid = C.getpid()
  local env = opened[path]
  if env and env.pid == pid and env.env then
    return env
  end
  C.mkdir(path, tonumber("700", 8))
  local e = ffi.new("MDB_env *[1]")
  assert(check(lib.mdb_env_create(e), "mdb_env_create"))
  assert(check(lib.mdb_env_set_mapsize(e[0], map_size), "mdb_env_set_mapsize"))
  assert(check(lib.mdb_env_set_maxdbs(e[0], 16), "mdb_env_set_maxdbs"))
  assert(check(lib.mdb_env_set_maxreaders(e[0], READERS), "mdb_env_set_maxreaders"))
  local ok, err = check(lib.mdb_env_open(e[0], path, 0, tonumber("600", 8)), "mdb_env_open " .. path)
  if not ok then
    lib.mdb_env_close(e[0])
    error(err, 2)
  end
  env = setmetatable({ env = e[0], pid = pid }, env_mt)
  local dbi = ffi.new("MDB_dbi[1]")
  assert(env:write(function(t)
    assert(check(lib.mdb_dbi_open(t.txn, DEFAULT_DB, MDB_CREATE, dbi), "mdb_dbi_open"))
  end))
  env.dbi = dbi[0]
  opened[path] = env
  return env
end

--- Closes this process's environment at `path` (before nginx forks its
-- workers). A master running as root then gives the directory and its files
-- to the workers' user, as lua-resty-lmdb's init does (nginx's default user
-- is "nobody").
function _M.close(path, worker_user)
  local env = opened[path]
  if env and env.pid == C.getpid() and env.env then
    env:close()
  end
  opened[path] = nil
  local pw = C.getuid() == 0 and C.getpwnam(worker_user or "nobody")
  if pw ~= nil and pw then
    for _, p in ipairs({ path, path .. "/data.mdb", path .. "/lock.mdb" }) do
      C.chown(p, pw.pw_uid, ffi.cast("unsigned int", -1))
    end
  end
end

return _M

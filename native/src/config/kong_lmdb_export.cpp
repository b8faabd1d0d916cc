#include "config/kong_lmdb_export.h"

#include <lmdb.h>
#include <rapidjson/document.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <memory>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "config/lua_serialized.h"
#include "util/error.h"

namespace fc {

namespace {

constexpr const char *kDatabase = "_default";  // lua-resty-lmdb transaction.lua DEFAULT_DB
constexpr std::string_view kHashKey = "declarative_config:hash";  // kong/constants.lua DECLARATIVE_HASH_KEY

using Allocator = LuaSerializedReader::Allocator;
using Writer = LuaSerializedReader::Writer;

[[noreturn]] void lmdb_fail(const std::string &what, int rc) {
  fail(FC_EIO, what + ": " + mdb_strerror(rc));
}

MDB_val val(std::string_view s) { return {s.size(), const_cast<char *>(s.data())}; }
std::string_view view(const MDB_val &v) { return {static_cast<const char *>(v.mv_data), v.mv_size}; }

// One read transaction over Kong's database.
class Snapshot {
 public:
  explicit Snapshot(const std::string &path) : path_(path) {
    int rc = mdb_env_create(&env_);
    if (rc) lmdb_fail("cannot use LMDB", rc);
    try {
      open();
    } catch (...) {
      close();  // a constructor that throws runs no destructor
      throw;
    }
  }
  ~Snapshot() { close(); }
  Snapshot(const Snapshot &) = delete;
  Snapshot &operator=(const Snapshot &) = delete;

  // Whether `key` is there; its value in *out.
  bool get(std::string_view key, std::string_view *out) const {
    MDB_val k = val(key), v;
    int rc = mdb_get(txn_, dbi_, &k, &v);
    if (rc == MDB_NOTFOUND) return false;
    if (rc) lmdb_fail("cannot read Kong's LMDB at " + path_, rc);
    *out = view(v);
    return true;
  }

  // Calls fn(key, value) for each entry whose key starts with `prefix`, in key order.
  template <typename Fn>
  void each_with_prefix(std::string_view prefix, Fn &&fn) const {
    MDB_cursor *raw = nullptr;
    int rc = mdb_cursor_open(txn_, dbi_, &raw);
    if (rc) lmdb_fail("cannot read Kong's LMDB at " + path_, rc);
    std::unique_ptr<MDB_cursor, decltype(&mdb_cursor_close)> cursor(raw, mdb_cursor_close);  // fn may throw
    MDB_val k = val(prefix), v;
    for (rc = mdb_cursor_get(raw, &k, &v, MDB_SET_RANGE); rc == 0; rc = mdb_cursor_get(raw, &k, &v, MDB_NEXT)) {
      std::string_view key = view(k);
      if (key.substr(0, prefix.size()) != prefix) break;
      fn(key, view(v));
    }
    if (rc != 0 && rc != MDB_NOTFOUND) lmdb_fail("cannot read Kong's LMDB at " + path_, rc);
  }

 private:
  void open() {
    int rc = mdb_env_set_maxdbs(env_, 16);
    if (rc) lmdb_fail("cannot use LMDB", rc);
    // Read-only, with locking: LMDB's readers register in lock.mdb so that
    // Kong's writers never reuse the pages this transaction sees.
    rc = mdb_env_open(env_, path_.c_str(), MDB_RDONLY, 0600);
    if (rc) lmdb_fail("cannot open Kong's LMDB at " + path_, rc);
    rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn_);
    if (rc) lmdb_fail("cannot read Kong's LMDB at " + path_, rc);
    rc = mdb_dbi_open(txn_, kDatabase, 0, &dbi_);
    if (rc == MDB_NOTFOUND) fail(FC_EIO, "Kong's LMDB at " + path_ + " holds no configuration (no database " + kDatabase + ")");
    if (rc) lmdb_fail("cannot read Kong's LMDB at " + path_, rc);
  }
  void close() {
    if (txn_) mdb_txn_abort(txn_);
    mdb_env_close(env_);  // also after a failed mdb_env_open (lmdb.h)
  }

  std::string path_;
  MDB_env *env_ = nullptr;
  MDB_txn *txn_ = nullptr;
  MDB_dbi dbi_ = 0;
};

[[noreturn]] void inconsistent(const std::string &why) { fail(FC_EINVAL, "Kong's LMDB is not as Kong writes it: " + why); }

// The marshalled items of one entity type, in Kong's order (key order from
// 3.9; the list's order before).
std::vector<std::string_view> items_of(const Snapshot &db, const KongEntityPlan &entity) {
  std::vector<std::string_view> items;
  Allocator alloc;
  std::string_view value;
  std::string list_key = entity.name + "|" + (entity.workspaceable ? "*" : "") + "|@list";
  if (db.get(list_key, &value)) {
    LuaSerializedReader list(value.data(), value.size(), "the LMDB list " + list_key);
    rapidjson::Value keys = list.value(alloc);
    if (!keys.IsArray() && !(keys.IsObject() && keys.MemberCount() == 0)) inconsistent(list_key + " is not a list of keys");
    if (keys.IsArray()) {
      for (const auto &key : keys.GetArray()) {
        if (!key.IsString()) inconsistent(list_key + " holds a key that is not a string");
        std::string_view k(key.GetString(), key.GetStringLength());
        if (!db.get(k, &value)) inconsistent(list_key + " names " + std::string(k) + ", which is missing");
        items.push_back(value);
      }
    }
    return items;
  }
  db.each_with_prefix(entity.name + "|*|*|", [&](std::string_view key, std::string_view item_key) {
    if (!db.get(item_key, &value)) inconsistent(std::string(key) + " points at " + std::string(item_key) + ", which is missing");
    items.push_back(value);
  });
  return items;
}

bool is_false(const rapidjson::Value &row, const char *field) {
  auto it = row.FindMember(field);
  return it != row.MemberEnd() && it->value.IsFalse();
}

// The id inside a foreign key {id = ...}, or nullptr.
rapidjson::Value *foreign_id(rapidjson::Value &row, const std::string &field) {
  auto it = row.FindMember(rapidjson::StringRef(field.data(), field.size()));
  if (it == row.MemberEnd() || !it->value.IsObject()) return nullptr;
  auto id = it->value.FindMember("id");
  return id == it->value.MemberEnd() ? nullptr : &id->value;
}

std::string id_of(const rapidjson::Value &row) {
  auto it = row.FindMember("id");
  if (it == row.MemberEnd() || !it->value.IsString()) return {};
  return {it->value.GetString(), it->value.GetStringLength()};
}

bool contains(const std::unordered_set<std::string> &set, const rapidjson::Value *id) {
  return id && id->IsString() && set.count(std::string(id->GetString(), id->GetStringLength()));
}

// What export.lua does to one row; false when the row is left out.
class RowFilter {
 public:
  RowFilter(const KongExportPlan &plan, int64_t now) : plan_(plan), now_(now) {}

  bool keep(const KongEntityPlan &entity, rapidjson::Value &row) {
    if (!row.IsObject()) inconsistent("an item of " + entity.name + " is not a table");
    // strategies/off/init.lua process_ttl_field: an expired row is gone, a
    // live one shows the seconds it has left.
    if (entity.ttl) {
      auto ttl = row.FindMember("ttl");
      if (ttl != row.MemberEnd() && ttl->value.IsNumber()) {
        double left = ttl->value.GetDouble() - static_cast<double>(now_);
        if (left <= 0) return false;
        if (left == std::floor(left) && left < 9007199254740992.0) ttl->value.SetInt64(static_cast<int64_t>(left));
        else ttl->value.SetDouble(left);
      }
    }
    if (!plan_.keep_ws_id) row.RemoveMember("ws_id");
    // export.lua: a disabled service is left out and remembered, so are the
    // routes of one; a disabled plugin is left out. A missing or null
    // `enabled` reads as the default, true (DAO row_to_entity).
    if (entity.name == "services" && is_false(row, "enabled")) {
      disabled_services_.insert(id_of(row));
      return false;
    }
    if (entity.name == "routes" && contains(disabled_services_, foreign_id(row, "service"))) {
      disabled_routes_.insert(id_of(row));
      return false;
    }
    if (entity.name == "plugins" && is_false(row, "enabled")) return false;
    for (const std::string &fk : entity.foreign_keys) {
      rapidjson::Value *id = foreign_id(row, fk);
      if (!id) continue;
      if (contains(disabled_services_, id) || contains(disabled_routes_, id)) return false;
      rapidjson::Value flat(std::move(*id));  // {id = x} becomes x
      row.FindMember(rapidjson::StringRef(fk.data(), fk.size()))->value = std::move(flat);
    }
    return true;
  }

 private:
  const KongExportPlan &plan_;
  int64_t now_;
  std::unordered_set<std::string> disabled_services_, disabled_routes_;
};

}  // namespace

KongSnapshot export_kong_lmdb(const KongExportPlan &plan, int64_t now, rapidjson::StringBuffer &out) {
  Snapshot db(plan.lmdb_environment_path);
  KongSnapshot snapshot;
  std::string_view hash;
  if (db.get(kHashKey, &hash)) snapshot.hash = std::string(hash);

  Writer writer(out);
  writer.StartObject();
  writer.Key("_format_version");
  writer.String("3.0");
  writer.Key("_transform");
  writer.Bool(false);
  RowFilter filter(plan, now);
  Allocator alloc;  // one row's tree at a time
  for (const KongEntityPlan &entity : plan.entities) {
    bool open = false;
    std::string what = "an LMDB item of " + entity.name;
    for (std::string_view item : items_of(db, entity)) {
      LuaSerializedReader in(item.data(), item.size(), what);
      rapidjson::Value row = in.value(alloc);
      if (!in.at_end()) in.malformed("bytes follow the item");
      if (filter.keep(entity, row)) {
        if (!open) {
          writer.Key(entity.name.data(), static_cast<rapidjson::SizeType>(entity.name.size()));
          writer.StartArray();
          open = true;
        }
        row.Accept(writer);
        ++snapshot.entities;
        if (entity.name != "workspaces") snapshot.empty = false;
      }
      alloc.Clear();
    }
    if (open) writer.EndArray();
  }
  writer.EndObject();
  return snapshot;
}

}  // namespace fc

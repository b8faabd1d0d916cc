// A DB-less Kong node's configuration read straight from its LMDB, in the
// shape kong.db.declarative.export_config() returns (kong/db/declarative/
// export.lua): {"_format_version": "3.0", "_transform": false, then one array
// per non-empty entity type, in the plan's order}, disabled services, their
// routes and the plugins on either left out, disabled plugins left out,
// foreign keys flattened to their id, expired rows left out and a ttl shown
// as the seconds left (strategies/off/init.lua process_ttl_field).
//
// Unlike Kong's export, which reads page by page with separate transactions
// (and so can mix two configurations committed in between, silently from 3.9
// on), everything here, the hash included, comes from one LMDB read
// transaction: a true snapshot. Rows are written as Kong stored them (after
// its own validation, with every field and nulls); Kong's DAO adds on the way
// out only what an import drops again (deprecated shorthand aliases).
//
// Both of Kong's layouts (kong/db/declarative/import.lua):
//   3.9+         <entity>|*|*|<pk> -> "<entity>|<ws_id>|*|<pk>" -> the item
//   3.4 to 3.8   <entity>|*|@list (<entity>||@list when not workspaceable)
//                -> array of item keys -> the items
// chosen per entity type by which keys exist.
//
// LMDB allows one environment per process and Kong's nginx workers have this
// one open: run this in a process of its own (native/helper/), never inside
// nginx.
#pragma once

#include <rapidjson/stringbuffer.h>

#include <cstdint>
#include <string>

#include "config/kong_export_plan.h"

namespace fc {

struct KongSnapshot {
  std::string hash;       // declarative_config:hash in the same transaction ("" when absent)
  uint64_t entities = 0;  // rows written
  bool empty = true;      // Kong's definition (import.lua config_is_empty): nothing but workspaces
};

// `now` is the clock (seconds since the epoch) that ttl rows are judged by.
// Throws fc::Error: FC_EIO when the LMDB cannot be opened or read, FC_EINVAL
// when it holds something Kong would not have written.
KongSnapshot export_kong_lmdb(const KongExportPlan &plan, int64_t now, rapidjson::StringBuffer &out);

}  // namespace fc

// Runs the LMDB export helper (native/helper/lmdb_export_main.cpp) and takes
// its answer: a DB-less Kong node's configuration read in a process of its
// own, never inside the nginx worker that asks.
#pragma once

#include <string>

#include "config/kong_lmdb_export.h"
#include "crypto/digest.h"

namespace fc {

struct KongLmdbRead {
  KongSnapshot snapshot;
  std::string json;       // the configuration, as the helper's RapidJSON writer made it
  crypto::Sha256 sha256;  // of json, taken by the helper and checked against its length
};

// Throws fc::Error(FC_EIO) when the helper cannot run or fails, with its
// one-line reason; FC_EINVAL when its answer is malformed.
KongLmdbRead read_kong_lmdb_in_helper(const std::string &helper_path, const std::string &plan_json);

}  // namespace fc

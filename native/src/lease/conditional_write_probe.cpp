#include "lease/conditional_write_probe.h"

#include <optional>

#include "crypto/digest.h"
#include "util/error.h"

namespace fc {

namespace {

constexpr std::string_view kProbeBody = "{\"probe\":\"fallback-config conditional writes\"}";

// Returns the stored object, or nothing when the precondition failed.
std::optional<ObjectInfo> try_put(Storage &storage, const std::string &key, WriteCondition condition) {
  try {
    return storage.put(small_put(key, kProbeBody, std::move(condition)));
  } catch (const Error &e) {
    if (e.status() == FC_EPRECONDITION) return std::nullopt;
    throw;
  }
}

// A revision of the same shape that is not this one. (Ceph RGW 16 compares
// If-Match over the stored ETag's length only, so a longer value would match:
// harmless for the whole revisions the lease sends, but not a fair probe.)
std::string other_revision(std::string revision) {
  revision.back() = revision.back() == '0' ? '1' : '0';
  return revision;
}

}  // namespace

std::string probe_conditional_writes(Storage &storage, const std::string &key, const std::string &store) {
  const std::string unsupported = store + " does not honour conditional writes: ";
  struct Cleanup {
    Storage &storage;
    const std::string &key;
    ~Cleanup() {
      try {
        storage.remove(key);
      } catch (...) {  // a scratch object left behind is harmless
      }
    }
  } cleanup{storage, key};
  // A probe a crashed node left behind would fail the first step.
  try {
    storage.remove(key);
  } catch (const Error &e) {
    if (e.status() != FC_ENOTFOUND) throw;
  }
  std::optional<ObjectInfo> created = try_put(storage, key, WriteCondition::if_absent());
  if (!created) return unsupported + "a create-only write (If-None-Match: *) failed where nothing was";
  if (try_put(storage, key, WriteCondition::if_absent()))
    return unsupported + "a second create-only write (If-None-Match: *) replaced the object";
  if (created->revision.empty()) return unsupported + "a write returned no revision (ETag, generation)";
  if (try_put(storage, key, WriteCondition::if_unchanged(other_revision(created->revision))))
    return unsupported + "a write conditional on another revision (If-Match) replaced the object";
  if (!try_put(storage, key, WriteCondition::if_unchanged(created->revision)))
    return unsupported + "a write conditional on the object's own revision (If-Match) was refused";
  return "";
}

}  // namespace fc

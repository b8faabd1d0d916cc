#include "lease/ee_election.h"

#include <cstdio>
#include <cstdlib>

#include "crypto/digest.h"
#include "util/error.h"
#include "util/strings.h"

namespace fc {

namespace {

constexpr int64_t kFreshnessMarginMs = 5000;  // EE's DEFAULT_MARGIN
constexpr std::string_view kPluginMark = "fallback-config";  // the body of this plugin's registrations

// Lua's tostring() of a number (%.14g): the register time as EE writes it.
std::string lua_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.14g", v);
  return buf;
}

void put_registration(Storage &storage, const std::string &key, WriteCondition condition) {
  storage.put(small_put(key, kPluginMark, std::move(condition)));
}

}  // namespace

std::optional<EeRegistration> parse_ee_registration(const std::string &name) {
  size_t i = 0;
  while (i < name.size() && name[i] >= '0' && name[i] <= '9') ++i;
  if (i == 0) return std::nullopt;
  if (i < name.size() && name[i] == '.') {
    ++i;
    while (i < name.size() && name[i] >= '0' && name[i] <= '9') ++i;
  }
  if (i + 1 >= name.size() || name[i] != '-') return std::nullopt;
  EeRegistration r;
  r.register_time = std::strtod(name.substr(0, i).c_str(), nullptr);
  r.node_id = name.substr(i + 1);
  return r;
}

EeElection::EeElection(Storage &storage, EeElectionOptions options, WallClock wall_clock)
    : storage_(storage), options_(std::move(options)), wall_clock_(std::move(wall_clock)) {}

std::vector<EeRegistration> EeElection::live() {
  std::vector<EeRegistration> out;
  for (const ObjectInfo &o : storage_.list(options_.prefix)) {
    const std::string name = o.key.substr(options_.prefix.size());
    if (name.empty() || name.find('/') != std::string::npos) continue;
    const int64_t refreshed_ms = o.modified_ms >= 0 ? o.modified_ms : o.last_modified * 1000;
    if (refreshed_ms < 0 || o.store_time < 0) continue;
    if (o.store_time * 1000 > refreshed_ms + options_.interval_ms + kFreshnessMarginMs) continue;  // stale
    std::optional<EeRegistration> r;
    if (options_.gcs) {
      if (o.created_ms >= 0) r = EeRegistration{name, static_cast<double>(o.created_ms) / 1000.0};
    } else {
      r = parse_ee_registration(name);
    }
    if (!r) continue;
    r->ee_node = o.size == 0;
    out.push_back(std::move(*r));
  }
  return out;
}

void EeElection::register_self() {
  if (!register_time_) register_time_ = wall_clock_();
  if (options_.gcs) {
    // EE updates its object (moving `updated`, keeping timeCreated), and
    // creates it when there is none.
    const std::string key = options_.prefix + options_.node_id;
    try {
      storage_.touch(key);
    } catch (const Error &e) {
      if (e.status() != FC_ENOTFOUND) throw;
      try {
        put_registration(storage_, key, WriteCondition::if_absent());
      } catch (const Error &raced) {
        if (raced.status() != FC_EPRECONDITION) throw;  // created meanwhile: registered
      }
    }
    return;
  }
  put_registration(storage_, options_.prefix + lua_number(*register_time_) + "-" + options_.node_id, {});
}

std::optional<EeRegistration> EeElection::leader(const std::vector<EeRegistration> &live) {
  std::optional<EeRegistration> best;
  for (const EeRegistration &r : live)
    if (!best || r.register_time < best->register_time ||
        (r.register_time == best->register_time && r.node_id < best->node_id))
      best = r;
  return best;
}

}  // namespace fc

#include "lease/lease.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "crypto/digest.h"
#include "util/error.h"
#include "util/strings.h"

namespace fc {

namespace {

// Date and Last-Modified are whole seconds: a lease is judged expired only
// once the store's clock is this much past its duration, so that it really is.
constexpr int64_t kClockGrainMs = 1000;
// The holder stops leading this long before its own count runs out.
constexpr int64_t kHolderMarginMs = 1000;
// A fenced write retried after a late write of an older epoch, at most.
constexpr int kFencedAttempts = 3;

std::string random_token() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) fail(FC_EINTERNAL, "no random bytes for the lease token");
  return crypto::hex(bytes, sizeof bytes);
}

uint64_t epoch_number(const std::string &text) {
  if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos) return 0;
  return std::strtoull(text.c_str(), nullptr, 10);
}

// Writes a lease record; nothing when the precondition failed.
std::optional<ObjectInfo> put_lease(Storage &storage, const std::string &key, const LeaseRecord &record,
                                    WriteCondition condition) {
  if (!record.released && (record.holder.empty() || record.token.empty() || record.duration_ms <= 0))
    fail(FC_EINTERNAL, "refusing to write an incomplete lease record");
  if (record.duration_ms <= 0) fail(FC_EINVAL, "a lease's duration must be positive");
  const std::string body = write_lease_record(record);
  PutRequest request = small_put(key, body, std::move(condition));
  request.uploader = record.holder;
  request.epoch = std::to_string(record.epoch);
  try {
    return storage.put(request);
  } catch (const Error &e) {
    if (e.status() == FC_EPRECONDITION) return std::nullopt;
    throw;
  }
}

}  // namespace

Lease::Lease(Storage &storage, LeaseOptions options, Clock clock)
    : storage_(storage), options_(std::move(options)), clock_(std::move(clock)) {}

std::optional<Lease::Reading> Lease::read(Storage &storage, const std::string &key, const std::string &url) {
  http::StringSink sink;
  ObjectInfo object;
  try {
    object = storage.get(key, sink);
  } catch (const Error &e) {
    if (e.status() == FC_ENOTFOUND) return std::nullopt;
    throw;
  }
  Reading r{parse_lease_record(sink.data, url), std::move(object), 0};
  if (r.object.store_time < 0 || r.object.last_modified < 0)
    fail(FC_ESTORAGE, url + ": the store gave no Date or Last-Modified, by which a lease expires");
  if (!r.record.released)
    r.expires_in_ms = r.record.duration_ms + kClockGrainMs - (r.object.store_time - r.object.last_modified) * 1000;
  return r;
}

ObjectInfo Lease::force_release(Storage &storage, const std::string &key, const Reading &reading) {
  LeaseRecord released = reading.record;
  released.holder.clear();
  released.released = true;
  ++released.renewal;
  std::optional<ObjectInfo> stored = put_lease(storage, key, released, WriteCondition::if_unchanged(reading.object.revision));
  if (!stored) fail(FC_EPRECONDITION, "the lease changed since it was read: nothing was released; read it again");
  return *stored;
}

void Lease::tick() {
  std::optional<std::pair<LeaseRecord, std::string>> held;  // the record and revision, copied together
  {
    std::lock_guard<std::mutex> lock(state_mutex_);
    if (view_.role == LeaseRole::leader) held.emplace(mine_, lease_revision_);
  }
  if (held) renew(std::move(held->first), held->second);
  else compete();
}

void Lease::renew(LeaseRecord record, const std::string &revision) {
  ++record.renewal;
  const int64_t sent = clock_();
  std::optional<ObjectInfo> stored = put_lease(storage_, options_.lease_key, record, WriteCondition::if_unchanged(revision));
  const bool answered = stored.has_value();
  std::optional<Reading> now;
  if (!stored) {
    // Taken by another node, or an earlier renewal landed and its answer was
    // lost (then the store holds this acquisition's token).
    now = read(storage_, options_.lease_key, options_.url);
    if (now && now->record.token == record.token && !now->record.released) {
      stored = now->object;
      record.renewal = now->record.renewal;
    }
  }
  std::lock_guard<std::mutex> lock(state_mutex_);
  if (view_.role != LeaseRole::leader || mine_.token != record.token) return;  // released or lost meanwhile
  if (stored) {
    lease_revision_ = stored->revision;
    mine_.renewal = record.renewal;
    // Only a write answered now counts from now: one that landed unanswered
    // earlier counts from when it was sent, unknown here; the next round
    // renews from the revision just read.
    if (answered) valid_until_ms_ = sent + record.duration_ms - kHolderMarginMs;
    return;
  }
  if (now) observe(*now);
  lost(now && !now->record.released
           ? "the lease was taken by " + one_line(now->record.holder) + " in epoch " + std::to_string(now->record.epoch)
           : std::string("the lease was released or removed by someone else"));
}

void Lease::compete() {
  std::optional<Reading> current = read(storage_, options_.lease_key, options_.url);
  if (std::optional<Attempt> attempt = std::exchange(unanswered_, std::nullopt);
      attempt && current && current->record.token == attempt->record.token && !current->record.released) {
    became_leader(attempt->record, current->object, attempt->sent_at);  // the last round's take landed
    return;
  }
  {
    std::lock_guard<std::mutex> lock(state_mutex_);
    if (current) observe(*current);
    else {
      view_.holder.clear();
      view_.expires_in_ms = 0;
    }
  }
  if (current && current->expires_in_ms > 0) return;  // held

  LeaseRecord next;
  next.holder = options_.node_id;
  // Epochs only grow, even past a lease removed by hand: the configuration
  // records the epoch that wrote it.
  next.epoch = std::max(current ? current->record.epoch : 0, config_epoch()) + 1;
  next.token = random_token();
  next.duration_ms = options_.duration_ms;
  const int64_t sent = clock_();
  unanswered_ = Attempt{next, sent};
  std::optional<ObjectInfo> stored =
      put_lease(storage_, options_.lease_key, next,
                current ? WriteCondition::if_unchanged(current->object.revision) : WriteCondition::if_absent());
  unanswered_.reset();
  if (!stored) {
    // Another node was quicker, or this write landed and its answer was lost.
    std::optional<Reading> again = read(storage_, options_.lease_key, options_.url);
    if (!again || again->record.token != next.token) {
      std::lock_guard<std::mutex> lock(state_mutex_);
      if (again) observe(*again);
      return;
    }
    stored = again->object;
  }
  became_leader(next, *stored, sent);
}

uint64_t Lease::config_epoch() {
  try {
    return epoch_number(storage_.head(options_.config_key).epoch);
  } catch (const Error &e) {
    if (e.status() == FC_ENOTFOUND) return 0;
    throw;
  }
}

void Lease::became_leader(const LeaseRecord &record, const ObjectInfo &stored, int64_t sent_at) {
  std::lock_guard<std::mutex> lock(state_mutex_);
  mine_ = record;
  lease_revision_ = stored.revision;
  valid_until_ms_ = sent_at + record.duration_ms - kHolderMarginMs;
  view_.role = LeaseRole::leader;
  view_.holder = record.holder;
  view_.epoch = record.epoch;
  ++view_.acquisitions;
}

void Lease::lost(const std::string &reason) {
  view_.role = LeaseRole::follower;
  ++view_.losses;
  view_.lost_reason = reason;
  mine_ = {};
}

void Lease::observe(const Reading &reading) {
  view_.holder = reading.record.released ? std::string() : reading.record.holder;
  view_.epoch = reading.record.epoch;
  view_.expires_in_ms = std::max<int64_t>(0, reading.expires_in_ms);
}

bool Lease::release() noexcept {
  try {
    LeaseRecord record;
    std::string revision;
    {
      std::lock_guard<std::mutex> lock(state_mutex_);
      if (view_.role != LeaseRole::leader) return true;
      record = mine_;
      revision = lease_revision_;
      view_.role = LeaseRole::follower;  // stop leading before the write, not after
      mine_ = {};
    }
    record.holder.clear();
    record.released = true;
    ++record.renewal;
    return put_lease(storage_, options_.lease_key, record, WriteCondition::if_unchanged(revision)).has_value();
  } catch (...) {
    return false;  // it expires by itself
  }
}

LeaseView Lease::view() const {
  std::lock_guard<std::mutex> lock(state_mutex_);
  LeaseView v = view_;
  if (v.role == LeaseRole::leader) {
    const int64_t left = valid_until_ms_ - clock_();
    v.leading = left > 0;
    v.expires_in_ms = std::max<int64_t>(0, left);
  }
  return v;
}

bool Lease::leading() const { return view().leading; }

ObjectInfo Lease::fenced_put(PutRequest request) {
  std::lock_guard<std::mutex> writing(write_mutex_);
  const std::string sha256 = crypto::hex(request.payload.sha256);
  uint64_t epoch = 0;
  auto check_leading = [&] {
    std::lock_guard<std::mutex> lock(state_mutex_);
    if (view_.role != LeaseRole::leader || valid_until_ms_ - clock_() <= 0)
      fail(FC_ELEASE, "this node does not hold the export lease " + options_.url +
                          (view_.holder.empty() ? std::string() : " (held by " + one_line(view_.holder) + ")"));
    if (epoch != 0 && mine_.epoch != epoch)
      fail(FC_ELEASE, "this node's export lease changed during the write; not written");
    epoch = mine_.epoch;
  };
  check_leading();
  request.epoch = std::to_string(epoch);
  for (int attempt = 1;; ++attempt) {
    // What is stored now, and who wrote it: a newer epoch means this node
    // lost the lease; its own epoch and bytes, that this write is there.
    ObjectInfo stored;
    try {
      stored = storage_.head(options_.config_key);
    } catch (const Error &e) {
      if (e.status() != FC_ENOTFOUND) throw;
    }
    if (!stored.revision.empty()) {
      const uint64_t theirs = epoch_number(stored.epoch);
      const bool own_epoch = theirs == epoch && stored.uploader == request.uploader;
      if (own_epoch && stored.sha256 == sha256) return stored;  // already there (an answer lost, or the same again)
      if (theirs > epoch || (theirs == epoch && !own_epoch)) {
        const std::string reason = "the configuration was written by " + one_line(stored.uploader) + " in epoch " +
                                   std::to_string(theirs) + ", this node's is " + std::to_string(epoch);
        std::lock_guard<std::mutex> lock(state_mutex_);
        if (view_.role == LeaseRole::leader && mine_.epoch == epoch) lost(reason);
        fail(FC_ELEASE, "this node lost the export lease " + options_.url + ": " + reason);
      }
    }
    if (attempt > 1) check_leading();  // after what is stored was read: a loss says who won
    // An older epoch's write, a foreign one (no epoch) or this node's own: replaced.
    request.condition = stored.revision.empty() ? WriteCondition::if_absent()
                                                : WriteCondition::if_unchanged(stored.revision);
    try {
      return storage_.put(request);
    } catch (const Error &e) {
      if (e.status() != FC_EPRECONDITION) throw;
      // A streamed file cannot be sent again from here (only the CLI streams
      // files, and it holds no lease).
      if (attempt == kFencedAttempts || request.body.file)
        fail(FC_ESTORAGE, "the configuration " + options_.config_url +
                              " changed under every write of this node; not written");
    }
  }
}

}  // namespace fc

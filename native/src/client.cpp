#include "client.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <openssl/rand.h>

#include "config/json_check_follower.h"
#include "lease/conditional_write_probe.h"
#include "config/json_check_gate.h"
#include "config/serialized_config.h"
#include "settings/storage_options.h"
#include "storage/s3_storage.h"
#include "util/error.h"
#include "util/fd_io.h"
#include "util/pace.h"
#include "util/strings.h"

namespace fc {

namespace {

// Background work is converted and hashed in windows this size, paced between.
constexpr size_t kPacedWindow = 16 * 1024;

struct FdSink : http::Sink {
  int fd;
  std::string name;
  bool written = false;
  FdSink(int fd, std::string name) : fd(fd), name(std::move(name)) {}
  void write(const char *p, size_t n) override {
    written = written || n > 0;
    write_all(fd, p, n, name);
  }
  // A file starts over; a pipe only if nothing went down it yet.
  bool restart() override {
    if (!written) return true;
    if (::lseek(fd, 0, SEEK_SET) != 0 || ::ftruncate(fd, 0) != 0) return false;
    written = false;
    return true;
  }
};

// An FdSink whose file a JsonCheckFollower reads as it grows.
struct FollowedFdSink : FdSink {
  FollowedFdSink(int fd, std::string name, JsonCheckFollower &check) : FdSink(fd, std::move(name)), check(check) {}
  void write(const char *p, size_t n) override {
    FdSink::write(p, n);
    total += n;
    check.written(total);
  }
  bool restart() override {
    if (!FdSink::restart()) return false;
    total = 0;
    check.restart();
    return true;
  }
  JsonCheckFollower &check;
  uint64_t total = 0;
};

// Ends a download that grows past the limit while it streams (a runaway or
// hostile object never fills memory or disk), and hashes what arrives for the
// integrity check.
struct CheckedSink : http::Sink {
  CheckedSink(http::Sink &inner, uint64_t limit, std::string url) : inner(inner), limit(limit), url(std::move(url)) {}
  void write(const char *p, size_t n) override {
    received += n;
    if (received > limit)
      fail(FC_ESTORAGE, url + " is larger than the download limit of " + std::to_string(limit) +
                            " bytes (max_download_bytes)");
    hash->update(p, n);
    inner.write(p, n);
  }
  bool restart() override {
    if (!inner.restart()) return false;
    received = 0;
    hash = std::make_unique<crypto::Sha256Stream>();
    return true;
  }
  http::Sink &inner;
  uint64_t limit;
  std::string url;
  uint64_t received = 0;
  std::unique_ptr<crypto::Sha256Stream> hash = std::make_unique<crypto::Sha256Stream>();
};

struct FileCloser {
  void operator()(std::FILE *f) const { std::fclose(f); }
};

bool all_digits(const std::string &s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string_view without_leading_zeros(std::string_view s) {
  size_t i = s.find_first_not_of('0');
  return i == std::string_view::npos ? s.substr(s.size() - 1) : s.substr(i);
}

}  // namespace

bool version_less(const std::string &a, const std::string &b) {
  std::vector<std::string> pa = split(a, '.'), pb = split(b, '.');
  for (size_t i = 0; i < std::min(pa.size(), pb.size()); ++i) {
    if (pa[i] == pb[i]) continue;
    if (all_digits(pa[i]) && all_digits(pb[i])) {
      // Compare as numbers of any length: shorter (without leading zeros) is smaller.
      std::string_view x = without_leading_zeros(pa[i]), y = without_leading_zeros(pb[i]);
      if (x.size() != y.size()) return x.size() < y.size();
      if (x != y) return x < y;
      continue;
    }
    return pa[i] < pb[i];
  }
  return pa.size() < pb.size();
}

namespace {

const Settings &with_storage(const Settings &settings) {
  settings.require(SettingId::Storage, "s3://<bucket>/<prefix>, gcs://<bucket>/<prefix> or file:///<dir>");
  return settings;
}

}  // namespace

Client::Client(const Settings &settings)
    : location_(parse_location(with_storage(settings).text(SettingId::Storage), settings.label(SettingId::Storage))),
      uploader_(settings.text(SettingId::Uploader)),
      max_download_bytes_(static_cast<uint64_t>(settings.number(SettingId::MaxDownloadBytes))),
      tls_verify_(settings.on(SettingId::TlsVerify)),
      storage_(make_storage(location_, settings)) {}

std::string Client::put(const std::string &version, const char *data, size_t len) {
  return put_checked(version, data, len, check_json_object(std::string_view(data, len), "the configuration"));
}

std::string Client::put_checked(const std::string &version, const char *data, size_t len,
                                const CheckedPayload &payload) {
  PutRequest req;
  req.key = config_key(version);
  req.payload = payload;
  req.body = http::Body::memory(data, len);
  req.uploader = uploader_;
  store_config(req);
  return crypto::hex(req.payload.sha256);
}

std::string Client::put_borrowed(const std::string &version, http::BorrowedBuffer &buffer) {
  PutRequest req;
  req.key = config_key(version);
  size_t offset = 0;
  ChunkSource windows = [&](char *out, size_t cap) {
    size_t n = buffer.read(offset, out, cap);
    offset += n;
    return n;
  };
  crypto::Sha256Stream hash;
  req.payload.size = check_json_object_chunks(windows, "the configuration", {}, &hash);
  req.payload.sha256 = hash.finish();
  req.body = http::Body::from_borrowed(&buffer);
  req.uploader = uploader_;
  store_config(req);
  return crypto::hex(req.payload.sha256);
}

std::string Client::put_serialized(const std::string &version, http::BorrowedBuffer &buffer) {
  size_t offset = 0;
  ChunkSource windows = [&](char *out, size_t cap) {
    size_t n = buffer.read(offset, out, std::min(cap, kPacedWindow));
    offset += n;
    pace(n);
    return n;
  };
  rapidjson::StringBuffer json;
  serialized_config_to_json(windows, json);
  // RapidJSON's writer made it: one JSON object by construction, no need to
  // parse it again (a third of the work).
  crypto::Sha256Stream hash;
  for (size_t at = 0; at < json.GetSize(); at += kPacedWindow) {
    size_t n = std::min(kPacedWindow, json.GetSize() - at);
    hash.update(json.GetString() + at, n);
    pace(n);
  }
  return put_written(version, json.GetString(), json.GetSize(), hash.finish());
}

std::string Client::put_written(const std::string &version, const char *data, size_t len,
                                const crypto::Sha256 &sha256) {
  CheckedPayload payload;
  payload.size = len;
  payload.sha256 = sha256;
  return put_checked(version, data, len, payload);
}

ObjectInfo Client::store_config(const PutRequest &request) {
  std::shared_ptr<Lease> fence;
  {
    std::lock_guard<std::mutex> lock(fence_mutex_);
    fence = fence_;
  }
  if (fence && fence->config_key() == request.key) {
    if (request.condition.kind != WriteCondition::Kind::always)
      fail(FC_EINVAL, "a configuration the export lease fences takes no other condition");
    return fence->fenced_put(request);
  }
  return storage_->put(request);
}

std::shared_ptr<Lease> Client::make_lease(const std::string &version, int64_t duration_ms, Lease::Clock clock) {
  if (uploader_.empty()) fail(FC_EINVAL, "the export lease needs this node's id (the uploader setting)");
  LeaseOptions options;
  options.lease_key = lease_key(version);
  options.config_key = config_key(version);
  options.url = location_.url_of(options.lease_key);
  options.config_url = location_.url_of(options.config_key);
  options.node_id = uploader_;
  options.duration_ms = duration_ms;
  return std::make_shared<Lease>(*storage_, std::move(options), std::move(clock));
}

std::shared_ptr<EeElection> Client::make_ee_election(const std::string &version, int64_t interval_ms,
                                                     EeElection::WallClock wall_clock) {
  if (uploader_.empty()) fail(FC_EINVAL, "Kong EE's election needs this node's id (the uploader setting)");
  EeElectionOptions options;
  options.prefix = location_.version_key(version, "election") + "/";
  options.node_id = uploader_;
  options.interval_ms = interval_ms;
  options.gcs = location_.scheme == Scheme::GCS;
  return std::make_shared<EeElection>(*storage_, std::move(options), std::move(wall_clock));
}

void Client::fence_with(std::shared_ptr<Lease> lease) {
  std::lock_guard<std::mutex> lock(fence_mutex_);
  fence_ = std::move(lease);
}

bool Client::swap_fence(const std::shared_ptr<Lease> &expected, std::shared_ptr<Lease> next) {
  std::lock_guard<std::mutex> lock(fence_mutex_);
  if (fence_ != expected) return false;
  fence_ = std::move(next);
  return true;
}

std::string Client::probe_conditional_writes(const std::string &version) {
  unsigned char nonce[8];
  if (RAND_bytes(nonce, sizeof nonce) != 1) fail(FC_EINTERNAL, "no random bytes for the probe's name");
  const std::string key = location_.version_key(version, "lease-probe/" + crypto::hex(nonce, sizeof nonce) + ".json");
  std::string store;
  switch (location_.scheme) {
    case Scheme::S3: store = "the S3 store of " + location_.url_of(""); break;
    case Scheme::GCS: store = "the GCS bucket of " + location_.url_of(""); break;
    case Scheme::File: store = "the directory " + location_.url_of(""); break;
  }
  return fc::probe_conditional_writes(*storage_, key, store);
}

std::optional<Lease::Reading> Client::read_lease(const std::string &version) {
  return Lease::read(*storage_, lease_key(version), lease_url(version));
}

ObjectInfo Client::release_lease(const std::string &version, const Lease::Reading &reading) {
  return Lease::force_release(*storage_, lease_key(version), reading);
}

ResolvedCredentials Client::credentials_source() const {
  const auto *s3 = dynamic_cast<const S3Storage *>(storage_.get());
  if (!s3) fail(FC_EINVAL, "credential providers are for s3:// storage");
  return s3->credentials_source();
}

void Client::put_file(const std::string &version, const std::string &path, const WriteCondition &condition) {
  PutRequest req;
  req.key = config_key(version);
  req.condition = condition;
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) fail_errno("cannot open " + path);
  // Arrays, scalars and empty files are refused before anything is sent.
  char first = first_significant_byte(file.get());
  if (first == '\0') fail(FC_EINVAL, path + " is empty");
  if (first != '{') fail(FC_EINVAL, path + " is not a JSON object: a declarative configuration starts with '{'");

  // The full JSON check runs beside the upload and gates it (json_check_gate.h);
  // the SHA-256 goes with the upload's headers, so it is computed first.
  struct stat st;
  if (::fstat(::fileno(file.get()), &st) != 0) fail_errno("cannot stat " + path);
  JsonCheckGate gate(::fileno(file.get()), path, static_cast<size_t>(st.st_size));
  try {
    req.payload = hash_file(file.get(), path);
    if (req.payload.size != static_cast<size_t>(st.st_size)) fail(FC_EIO, path + " changed while it was read");
    if (std::fseek(file.get(), 0, SEEK_SET) != 0) fail_errno("cannot rewind " + path);
    req.body = http::Body::from_file(file.get(), req.payload.size, &gate);
    req.uploader = uploader_;
    store_config(req);
  } catch (...) {
    gate.finish();  // a bad file explains any failure it caused
    throw;
  }
  gate.finish();
}

// Nothing the store sent is used unless its length and SHA-256 match what the
// store and our metadata say of the object. Objects stored without our
// metadata (by Kong Enterprise, by hand) are checked for length only; their
// content is checked by the caller's parse, as every download's is.
std::string Client::download(const std::string &version, http::Sink &sink) {
  const std::string key = config_key(version);
  const std::string url = location_.url_of(key);
  CheckedSink checked(sink, max_download_bytes_, url);
  // A mismatch is most likely damage in transit: one more download, then the error.
  for (int attempt = 1;; ++attempt) {
    ObjectInfo info = storage_->get(key, checked);
    std::string problem, got = crypto::hex(checked.hash->finish());
    if (checked.received != info.size)
      problem = "the store says the object has " + std::to_string(info.size) + " bytes, " +
                std::to_string(checked.received) + " arrived";
    else if (!info.sha256.empty() && !iequals(got, info.sha256))
      problem = "its sha256 metadata is " + one_line(info.sha256) + ", the bytes downloaded hash to " + got;
    if (problem.empty()) return got;
    if (attempt == 2 || !checked.restart())
      fail(FC_ESTORAGE, "integrity check failed for " + url + ": " + problem + "; nothing was used");
  }
}

std::string Client::get(const std::string &version, std::string *sha256) {
  http::StringSink sink;
  std::string hash = download(version, sink);
  if (sha256) *sha256 = std::move(hash);
  return std::move(sink.data);
}

void Client::get_file(const std::string &version, const std::string &path) {
  namespace fs = std::filesystem;
  fs::path target(path);
  std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  std::string tmp = dir + "/." + target.filename().string() + ".tmp.XXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) fail_errno("cannot create a temporary file in " + dir);
  try {
    // Only a configuration lands at `path`: checked as it arrives, the verdict
    // taken once the download is whole and its integrity checked.
    JsonCheckFollower check(fd, "the downloaded configuration (" + config_url(version) + ")");
    FollowedFdSink sink(fd, tmp, check);
    download(version, sink);
    check.finish();
    // Atomic (renamed when complete) but not fsynced: a pulled copy is not the backup.
    if (::fchmod(fd, 0644) != 0) fail_errno("cannot write " + tmp);
    if (::close(fd) != 0) {
      fd = -1;
      fail_errno("cannot write " + tmp);
    }
    fd = -1;
    if (::rename(tmp.c_str(), path.c_str()) != 0) fail_errno("cannot rename into " + path);
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
}

void Client::get_fd(const std::string &version, int fd) {
  // Held in memory (within max_download_bytes) until checked: nothing
  // unchecked goes down a pipe that cannot take it back.
  std::string data = get(version);
  check_json_object(data, "the downloaded configuration (" + config_url(version) + ")");
  write_all(fd, data.data(), data.size(), "the output");
}

void Client::remove(const std::string &version) {
  const std::string key = config_key(version);
  storage_->head(key);  // S3 deletes missing keys silently; say so instead
  storage_->remove(key);
}

ObjectInfo Client::stat(const std::string &version) { return storage_->head(config_key(version)); }

std::vector<ObjectInfo> Client::list() { return storage_->list(location_.key_prefix()); }

std::optional<std::string> Client::version_of(const std::string &key) const {
  const std::string prefix = location_.key_prefix();
  const size_t suffix = std::strlen("/config.json");
  if (key.size() <= prefix.size() + suffix || !starts_with(key, prefix) || !ends_with(key, "/config.json"))
    return std::nullopt;
  std::string version = key.substr(prefix.size(), key.size() - prefix.size() - suffix);
  if (version.empty() || version.find('/') != std::string::npos) return std::nullopt;
  return version;
}

std::string Client::newest_version() {
  std::optional<std::string> newest;
  for (const ObjectInfo &o : list()) {
    std::optional<std::string> v = version_of(o.key);
    if (v && (!newest || version_less(*newest, *v))) newest = v;
  }
  if (!newest)
    fail(FC_ENOTFOUND, "no fallback config under " + location_.url_of(location_.key_prefix()) +
                           " (no <version>/config.json object)");
  return *newest;
}

}  // namespace fc

#include "storage/file_storage.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <vector>

#include "util/error.h"
#include "util/fd_io.h"
#include "util/strings.h"

namespace fc {

namespace fs = std::filesystem;

namespace {

constexpr const char *kUploaderXattr = "user.fallback_config.uploader";
constexpr const char *kSha256Xattr = "user.fallback_config.sha256";
constexpr const char *kEpochXattr = "user.fallback_config.epoch";
constexpr std::string_view kTempPrefix = ".tmp.";
constexpr size_t kChunk = 256 * 1024;

// Closes a descriptor and removes a half-written temporary file on every exit path.
struct TempFile {
  std::string path;
  int fd = -1;
  bool keep = false;
  ~TempFile() {
    if (fd >= 0) ::close(fd);
    if (!keep && !path.empty()) ::unlink(path.c_str());
  }
};

void fsync_dir(const std::string &dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail_errno("cannot open directory " + dir);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) fail_errno("cannot fsync directory " + dir);
}

std::string read_xattr(int fd, const char *name) {
  char buf[256];
  ssize_t n = ::fgetxattr(fd, name, buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// What head() and get() report, from the open file (the one get() streams).
ObjectInfo file_info(const std::string &key, int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0) fail_errno("cannot stat " + key);
  ObjectInfo info;
  info.key = key;
  info.size = static_cast<uint64_t>(st.st_size);
  info.last_modified = st.st_mtime;
  // Like S3's ETag for a plain upload, this changes whenever the content may have.
  info.etag = "\"" + std::to_string(st.st_ino) + "-" + std::to_string(st.st_size) + "-" +
              std::to_string(static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec) + "\"";
  info.revision = unquoted(info.etag);
  info.uploader = read_xattr(fd, kUploaderXattr);
  info.sha256 = read_xattr(fd, kSha256Xattr);
  info.epoch = read_xattr(fd, kEpochXattr);
  info.store_time = std::time(nullptr);  // a directory's clock is this host's
  return info;
}

// Holds an exclusive flock on a key's lock file for as long as it lives: the
// compare and the rename of a conditional write happen under it.
class KeyLock {
 public:
  explicit KeyLock(const std::string &path) : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ < 0) fail_errno("cannot open the lock file " + path);
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) {
        ::close(fd_);
        fail_errno("cannot lock " + path);
      }
    }
  }
  ~KeyLock() { ::close(fd_); }  // closing releases the lock
  KeyLock(const KeyLock &) = delete;
  KeyLock &operator=(const KeyLock &) = delete;

 private:
  int fd_;
};

// The revision of the object at path, "" when there is none.
std::string current_revision(const std::string &key, const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return "";
    fail_errno("cannot open " + path);
  }
  TempFile guard;  // only closes fd
  guard.fd = fd;
  return file_info(key, fd).revision;
}

struct DirCloser {
  void operator()(DIR *d) const { ::closedir(d); }
};

// Walks dir/rel with POSIX calls, adding each regular file's path relative to
// the root. (std::filesystem's iterators allocate inside noexcept frames in
// libstdc++: an allocation failure there would end the process.)
void collect_files(const std::string &root, const std::string &rel, std::vector<std::string> &out) {
  const std::string dir = rel.empty() ? root : root + "/" + rel;
  std::unique_ptr<DIR, DirCloser> d(::opendir(dir.c_str()));
  if (!d) {
    if (errno == EACCES || errno == ENOENT) return;  // unreadable, or removed while listing
    fail_errno("cannot list " + dir);
  }
  for (;;) {
    errno = 0;
    const struct dirent *e = ::readdir(d.get());
    if (!e) {
      if (errno != 0) fail_errno("cannot list " + dir);
      return;
    }
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    // Symbolic links to files count as files; directory links are not
    // followed (no loops), as std::filesystem's iterator does by default.
    struct stat st;
    if (::fstatat(::dirfd(d.get()), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // removed meanwhile
    if (S_ISLNK(st.st_mode) && (::fstatat(::dirfd(d.get()), e->d_name, &st, 0) != 0 || S_ISDIR(st.st_mode))) continue;
    const std::string path = rel.empty() ? name : rel + "/" + name;
    if (S_ISDIR(st.st_mode)) collect_files(root, path, out);
    else if (S_ISREG(st.st_mode) && !starts_with(name, kTempPrefix)) out.push_back(path);  // not an upload in flight
  }
}

std::vector<std::string> regular_files_under(const std::string &root) {
  std::vector<std::string> out;
  collect_files(root, "", out);
  return out;
}

}  // namespace

FileStorage::FileStorage(Location location) : location_(std::move(location)) {}

std::string FileStorage::path_of(const std::string &key) const { return location_.root_dir + "/" + key; }

ObjectInfo FileStorage::put(const PutRequest &req) {
  const std::string path = path_of(req.key);
  const std::string dir = fs::path(path).parent_path();
  // Directories created here are fsynced into their parents too, or a power
  // loss could take the new version's directory, and its fsynced file, away.
  std::vector<std::string> created;
  std::error_code ec;
  // An unreadable ancestor ends the walk; create_directories then says why.
  for (fs::path p = dir; !p.empty() && !fs::exists(p, ec) && !ec; p = p.parent_path()) created.push_back(p.string());
  fs::create_directories(dir, ec);
  if (ec) fail(FC_EIO, "cannot create directory " + dir + ": " + ec.message());
  for (const std::string &d : created) fsync_dir(fs::path(d).parent_path().string());

  TempFile tmp;
  tmp.path = dir + "/" + std::string(kTempPrefix) + fs::path(path).filename().string() + ".XXXXXX";
  tmp.fd = ::mkstemp(tmp.path.data());
  if (tmp.fd < 0) {
    tmp.path.clear();
    fail_errno("cannot create a temporary file in " + dir);
  }
  if (::fchmod(tmp.fd, 0644) != 0) fail_errno("cannot chmod " + tmp.path);

  // The bytes written must be the bytes that were checked and hashed: a file
  // rewritten in place meanwhile is refused, as S3 refuses it by its signature.
  // (Memory cannot change under us: no second hash for it.)
  const bool verify = req.body.file != nullptr;
  crypto::Sha256Stream written;
  http::RawBodyReader reader(req.body);
  std::vector<char> buf(kChunk);
  for (size_t n; (n = reader.read(buf.data(), buf.size())) > 0;) {
    if (verify) written.update(buf.data(), n);
    write_all(tmp.fd, buf.data(), n, tmp.path);
  }
  if (verify && written.finish() != req.payload.sha256)
    fail(FC_EIO, "the configuration changed while it was being stored");
  // Best effort: some file systems have no user xattrs (then the download
  // check falls back to parsing the configuration, as for foreign objects).
  if (!req.uploader.empty()) (void)::fsetxattr(tmp.fd, kUploaderXattr, req.uploader.data(), req.uploader.size(), 0);
  const std::string sha256_hex = crypto::hex(req.payload.sha256);
  (void)::fsetxattr(tmp.fd, kSha256Xattr, sha256_hex.data(), sha256_hex.size(), 0);
  if (!req.epoch.empty()) (void)::fsetxattr(tmp.fd, kEpochXattr, req.epoch.data(), req.epoch.size(), 0);
  if (::fsync(tmp.fd) != 0) fail_errno("cannot fsync " + tmp.path);
  // Renaming keeps the inode and the times the revision is made of.
  ObjectInfo stored = file_info(req.key, tmp.fd);
  if (::close(tmp.fd) != 0) {
    tmp.fd = -1;
    fail_errno("cannot close " + tmp.path);
  }
  tmp.fd = -1;
  const std::string where = location_.url_of(req.key);
  // Every write takes the key's lock: a conditional write's check and rename
  // must see no other write between them, conditional or not.
  KeyLock lock(dir + "/" + std::string(kTempPrefix) + fs::path(path).filename().string() + ".lock");
  switch (req.condition.kind) {
    case WriteCondition::Kind::always:
      if (::rename(tmp.path.c_str(), path.c_str()) != 0) fail_errno("cannot rename into " + path);
      tmp.keep = true;
      break;
    case WriteCondition::Kind::absent:
      // link() creates the name only if nothing has it, atomically (on NFS
      // too); the temporary name is removed either way.
      if (::link(tmp.path.c_str(), path.c_str()) != 0) {
        if (errno == EEXIST) fail(FC_EPRECONDITION, "PUT " + where + ": an object already exists there");
        fail_errno("cannot create " + path);
      }
      break;
    case WriteCondition::Kind::unchanged: {
      if (current_revision(req.key, path) != req.condition.revision)
        fail(FC_EPRECONDITION, "PUT " + where + ": the object is not the revision the write was conditional on");
      if (::rename(tmp.path.c_str(), path.c_str()) != 0) fail_errno("cannot rename into " + path);
      tmp.keep = true;
      break;
    }
  }
  fsync_dir(dir);
  return stored;
}

ObjectInfo FileStorage::get(const std::string &key, http::Sink &sink) {
  const std::string path = path_of(key);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && (errno == ENOENT || errno == ENOTDIR)) fail(FC_ENOTFOUND, missing_config_message(location_.url_of(key)));
  if (fd < 0) fail_errno("cannot open " + path);
  TempFile guard;  // only closes fd
  guard.fd = fd;
  ObjectInfo info = file_info(key, fd);
  std::vector<char> buf(kChunk);
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_errno("cannot read " + path);
    if (n == 0) break;
    sink.write(buf.data(), static_cast<size_t>(n));
  }
  return info;
}

ObjectInfo FileStorage::head(const std::string &key) {
  const std::string path = path_of(key);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && (errno == ENOENT || errno == ENOTDIR)) fail(FC_ENOTFOUND, missing_config_message(location_.url_of(key)));
  if (fd < 0) fail_errno("cannot open " + path);
  TempFile guard;  // only closes fd
  guard.fd = fd;
  return file_info(key, fd);
}

void FileStorage::remove(const std::string &key) {
  const std::string path = path_of(key);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) fail(FC_ENOTFOUND, missing_config_message(location_.url_of(key)));
    fail_errno("cannot remove " + path);
  }
}

void FileStorage::touch(const std::string &key) {
  const std::string path = path_of(key);
  if (::utimensat(AT_FDCWD, path.c_str(), nullptr, 0) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) fail(FC_ENOTFOUND, missing_config_message(location_.url_of(key)));
    fail_errno("cannot touch " + path);
  }
}

std::vector<ObjectInfo> FileStorage::list(const std::string &prefix) {
  std::vector<ObjectInfo> out;
  for (const std::string &key : regular_files_under(location_.root_dir)) {
    if (!starts_with(key, prefix)) continue;
    try {
      out.push_back(head(key));
    } catch (const Error &e) {
      if (e.status() != FC_ENOTFOUND) throw;  // removed while listing
    }
  }
  std::sort(out.begin(), out.end(), [](const ObjectInfo &a, const ObjectInfo &b) { return a.key < b.key; });
  return out;
}

}  // namespace fc

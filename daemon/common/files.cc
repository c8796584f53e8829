#include "daemon/common/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "daemon/common/strings.h"

namespace gatekeeper {
namespace {

absl::Status WriteTemp(const std::string& tmp, std::string_view content,
                       mode_t mode) {
  ::unlink(tmp.c_str());
  int w = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (w < 0) {
    return absl::UnavailableError(
        StrCat("cannot create ", tmp, ": ", std::strerror(errno)));
  }
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(w, content.data() + done, content.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  const bool ok = done == content.size() && ::fsync(w) == 0;
  const int err = errno;
  ::close(w);
  if (!ok) {
    ::unlink(tmp.c_str());
    return absl::UnavailableError(
        StrCat("cannot write ", tmp, ": ", std::strerror(err)));
  }
  return absl::OkStatus();
}

void SyncDirectory(const std::filesystem::path& path) {
  const std::string dir = path.parent_path().empty()
                              ? std::string(".")
                              : path.parent_path().string();
  int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d >= 0) {
    ::fsync(d);
    ::close(d);
  }
}

}  // namespace

absl::Status CreateFileDurably(const std::filesystem::path& path,
                               std::string_view content, mode_t mode) {
  const std::string target = path.string();
  const std::string tmp = target + ".tmp";
  if (absl::Status s = WriteTemp(tmp, content, mode); !s.ok()) return s;
  const int rc = ::link(tmp.c_str(), target.c_str());
  const int err = errno;
  ::unlink(tmp.c_str());
  if (rc != 0) {
    if (err == EEXIST) {
      return absl::AlreadyExistsError(StrCat(target, " already exists"));
    }
    return absl::UnavailableError(
        StrCat("cannot write ", target, ": ", std::strerror(err)));
  }
  SyncDirectory(path);
  return absl::OkStatus();
}

absl::Status ReplaceFileDurably(const std::filesystem::path& path,
                                std::string_view content, mode_t mode) {
  const std::string target = path.string();
  const std::string tmp = target + ".tmp";
  if (absl::Status s = WriteTemp(tmp, content, mode); !s.ok()) return s;
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return absl::UnavailableError(
        StrCat("cannot write ", target, ": ", std::strerror(err)));
  }
  SyncDirectory(path);
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadWholeFile(const std::filesystem::path& path,
                                          bool private_only) {
  const std::string p = path.string();
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return absl::NotFoundError(StrCat(p, " not found"));
    return absl::UnavailableError(
        StrCat("cannot open ", p, ": ", std::strerror(errno)));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return absl::UnavailableError(StrCat("cannot stat ", p));
  }
  if (private_only && (st.st_mode & 077) != 0) {
    ::close(fd);
    return absl::FailedPreconditionError(
        StrCat(p, " is readable by group or others; chmod 600 it"));
  }
  if (private_only && st.st_uid != ::geteuid()) {
    ::close(fd);
    return absl::FailedPreconditionError(
        StrCat(p, " is owned by uid ", st.st_uid,
               ", not by the daemon's user (uid ", ::geteuid(), "); chown it"));
  }
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return absl::UnavailableError(
          StrCat("cannot read ", p, ": ", std::strerror(err)));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace gatekeeper

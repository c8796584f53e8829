#include "clients/print-gate/output_file.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "clients/print-gate/common.h"

namespace printgate {
namespace {

constexpr size_t kFlushBytes = 1 << 20;

std::string Errno() { return std::strerror(errno); }

std::filesystem::path DirOf(const std::filesystem::path& path) {
  std::filesystem::path dir = path.parent_path();
  return dir.empty() ? std::filesystem::path(".") : dir;
}

}  // namespace

std::filesystem::path TempPathFor(const std::filesystem::path& path, long pid) {
  std::filesystem::path temp = path;
  temp += ".tmp-" + std::to_string(pid);
  return temp;
}

std::unique_ptr<OutputFile> OutputFile::Create(
    const std::filesystem::path& path) {
  std::filesystem::path temp = TempPathFor(path, ::getpid());
  const int fd = ::open(
      temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) {
    throw Error(path.string() + ": cannot create " + temp.string() + ": " +
                Errno());
  }
  return std::unique_ptr<OutputFile>(new OutputFile(path, std::move(temp), fd));
}

OutputFile::OutputFile(std::filesystem::path path, std::filesystem::path temp,
                       int fd)
    : path_(std::move(path)), temp_(std::move(temp)), fd_(fd) {}

OutputFile::~OutputFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_.c_str());
}

void OutputFile::Flush() {
  std::string_view data = buf_;
  while (!data.empty()) {
    const ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(temp_.string() + ": write failed: " + Errno());
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  buf_.clear();
}

void OutputFile::Write(std::string_view data) {
  buf_.append(data);
  if (buf_.size() >= kFlushBytes) Flush();
}

void OutputFile::Commit() {
  Flush();
  if (::fsync(fd_) != 0) {
    throw Error(temp_.string() + ": fsync failed: " + Errno());
  }
  if (::close(fd_) != 0) {
    fd_ = -1;
    throw Error(temp_.string() + ": close failed: " + Errno());
  }
  fd_ = -1;
  if (::rename(temp_.c_str(), path_.c_str()) != 0) {
    throw Error(path_.string() + ": cannot rename " + temp_.string() +
                " to it: " + Errno());
  }
  committed_ = true;
  const int dir = ::open(DirOf(path_).c_str(), O_RDONLY | O_DIRECTORY);
  if (dir >= 0) {
    ::fsync(dir);  // best effort: the rename is done either way
    ::close(dir);
  }
}

void RemoveStaleTemps(const std::filesystem::path& path) {
  const std::string prefix = path.filename().string() + ".tmp-";
  std::error_code ec;
  for (const auto& entry :
       std::filesystem::directory_iterator(DirOf(path), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string digits = name.substr(prefix.size());
    if (digits.empty() || digits.size() > 9 ||
        digits.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    const long pid = std::stol(digits);
    // This process's own name is stale too: it has not created it yet.
    if (pid <= 0) continue;
    if (pid != ::getpid() &&
        (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH)) {
      continue;
    }
    std::error_code ignored;
    std::filesystem::remove(entry.path(), ignored);
  }
}

}  // namespace printgate

#include "daemon/ops/event_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "daemon/common/strings.h"
#include "daemon/ops/event_json.h"
#include "daemon/ops/log.h"

namespace gatekeeper {
namespace {

// The last line of an event log is searched for in this much of its end.
constexpr off_t kTail = 4 << 20;

std::string Errno() { return std::strerror(errno); }

// Cuts a line cut off by a crash or a failed write (after the last LF)
// away; returns the file's size then, and in `last_line` its last line.
absl::StatusOr<off_t> TrimToLastLine(int fd, const std::string& path,
                                     std::string* last_line) {
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    return absl::UnavailableError(StrCat(path, ": ", Errno()));
  }
  const off_t size = st.st_size;
  if (size == 0) return size;
  const off_t from = std::max<off_t>(0, size - kTail);
  std::string tail(static_cast<size_t>(size - from), '\0');
  if (::pread(fd, tail.data(), tail.size(), from) !=
      static_cast<ssize_t>(tail.size())) {
    return absl::UnavailableError(StrCat(path, ": cannot read: ", Errno()));
  }
  const size_t lf = tail.rfind('\n');
  if (lf == std::string::npos) {
    if (from > 0) {
      return absl::FailedPreconditionError(
          StrCat("event_log.path: ", path,
                 " is not an event log (no line in its last 4 MiB)"));
    }
    if (::ftruncate(fd, 0) != 0) {
      return absl::UnavailableError(StrCat(path, ": ", Errno()));
    }
    return 0;
  }
  const off_t good = from + static_cast<off_t>(lf) + 1;
  if (good != size && ::ftruncate(fd, good) != 0) {
    return absl::UnavailableError(StrCat(path, ": ", Errno()));
  }
  if (last_line != nullptr) {
    const size_t prev = lf == 0 ? std::string::npos : tail.rfind('\n', lf - 1);
    const size_t start = prev == std::string::npos ? 0 : prev + 1;
    *last_line = tail.substr(start, lf - start);
  }
  return good;
}

// Where to resume: after the file's last line, or after the recorded
// position when the file is missing or empty.
absl::StatusOr<uint64_t> ResumePoint(const EventLogOptions& o, uint64_t head) {
  std::string last;
  const int fd = ::open(o.path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd >= 0) {
    auto size = TrimToLastLine(fd, o.path, &last);
    ::close(fd);
    if (!size.ok()) return size.status();
  }
  if (!last.empty()) {
    const auto line = nlohmann::json::parse(last, nullptr, false);
    if (!line.is_object() || !line.contains("seq") ||
        !line["seq"].is_number_unsigned()) {
      return absl::FailedPreconditionError(
          StrCat("event_log.path: ", o.path,
                 " is not an event log (its last line has no seq)"));
    }
    const auto seq = line["seq"].get<uint64_t>();
    if (seq > head) {
      return absl::FailedPreconditionError(
          StrCat("event_log.path: ", o.path, " ends at seq ", seq,
                 ", beyond the audit log's last entry ", head,
                 " (an event log of another database?)"));
    }
    return seq;
  }
  std::ifstream in(o.position_path);
  uint64_t seq = 0;
  if (in >> seq) return std::min(seq, head);
  return 0;
}

}  // namespace

absl::StatusOr<std::unique_ptr<EventLog>> EventLog::Start(EventLogOptions o,
                                                          Store& store,
                                                          AuditFeed& feed) {
  auto after = ResumePoint(o, feed.Head());
  if (!after.ok()) return after.status();
  auto log = std::unique_ptr<EventLog>(
      new EventLog(std::move(o), store, feed, *after));
  log->thread_ = std::thread([raw = log.get()] { raw->Run(); });
  return log;
}

EventLog::EventLog(EventLogOptions o, Store& store, AuditFeed& feed,
                   uint64_t after)
    : o_(std::move(o)),
      store_(store),
      feed_(feed),
      written_(after),
      saved_position_(after) {}

EventLog::~EventLog() { Stop(); }

void EventLog::Stop(std::chrono::milliseconds drain) {
  if (!thread_.joinable()) return;
  drain_until_ = std::chrono::steady_clock::now() + drain;
  stop_.store(true);
  thread_.join();
}

uint64_t EventLog::lag() const {
  const uint64_t head = feed_.Head(), written = written_.load();
  return head > written ? head - written : 0;
}

void EventLog::Run() {
  auto last_save = std::chrono::steady_clock::now();
  while (true) {
    const uint64_t head = feed_.Head();
    const bool caught_up = written_.load() >= head;
    if (stop_.load() &&
        (caught_up || std::chrono::steady_clock::now() >= drain_until_)) {
      break;
    }
    if (reopen_.exchange(false)) CloseFile();
    if (!caught_up) {
      if (!CatchUp(head)) {
        // Waits before trying again (in steps, to notice a stop).
        const auto until = std::chrono::steady_clock::now() + o_.retry;
        while (std::chrono::steady_clock::now() < until &&
               !(stop_.load() &&
                 std::chrono::steady_clock::now() >= drain_until_)) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      }
    } else {
      feed_.WaitBeyond(written_.load(), std::chrono::milliseconds(200));
    }
    if (std::chrono::steady_clock::now() - last_save >=
        std::chrono::seconds(1)) {
      SavePosition();
      last_save = std::chrono::steady_clock::now();
    }
  }
  SavePosition();
  CloseFile();
}

bool EventLog::EnsureOpen() {
  if (fd_ >= 0) {
    // Still the file at the path? (Deleted with its directory, or renamed by
    // a rotation not followed by SIGUSR1: writing on would lose the lines.)
    struct stat st;
    if (::stat(o_.path.c_str(), &st) == 0 && st.st_dev == dev_ &&
        st.st_ino == ino_) {
      return true;
    }
    CloseFile();
  }
  const int fd =
      ::open(o_.path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) {
    Complain(StrCat("cannot open: ", Errno()));
    return false;
  }
  struct stat st;
  auto size = ::fstat(fd, &st) == 0
                  ? TrimToLastLine(fd, o_.path, nullptr)
                  : absl::StatusOr<off_t>(absl::UnavailableError(Errno()));
  if (!size.ok()) {
    ::close(fd);
    Complain(std::string(size.status().message()));
    return false;
  }
  // The daemon's umask keeps everything it creates to itself; the event
  // log is for the log shipper's group too.
  if (st.st_size == 0) ::fchmod(fd, 0640);
  fd_ = fd;
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  good_size_ = *size;
  needs_repair_ = false;
  return true;
}

void EventLog::CloseFile() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool EventLog::WriteAll(const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

bool EventLog::CatchUp(uint64_t head) {
  if (!EnsureOpen()) {
    // Nothing can be written: the lines durable now count as failed.
    const uint64_t from = std::max(written_.load(), failed_through_);
    if (head > from) {
      failed_lines_.fetch_add(head - from);
      failed_through_ = head;
    }
    failed_writes_.fetch_add(1);
    return false;
  }
  if (needs_repair_) {
    if (::ftruncate(fd_, good_size_) != 0) {
      Complain(StrCat("cannot cut back a line written in part: ", Errno()));
      failed_writes_.fetch_add(1);
      return false;
    }
    needs_repair_ = false;
  }
  const bool was_failing = complaints_ > 0;
  std::string lines;
  while (written_.load() < head && !reopen_.load()) {
    lines.clear();
    uint64_t last = written_.load();
    const absl::Status read =
        store_.ScanAudit(last, o_.chunk, "", [&](const AuditRecord& r) {
          AppendEventLine(r, o_.utc_offset_seconds, lines);
          last = r.seq;
          return true;
        });
    if (!read.ok()) {
      Complain(StrCat("cannot read the audit log: ", read.message()));
      failed_writes_.fetch_add(1);
      return false;
    }
    if (lines.empty()) break;  // not visible yet
    if (!WriteAll(lines)) {
      Complain(StrCat("cannot write: ", Errno()));
      const uint64_t from = std::max(written_.load(), failed_through_);
      if (last > from) {
        failed_lines_.fetch_add(last - from);
        failed_through_ = last;
      }
      failed_writes_.fetch_add(1);
      needs_repair_ = true;
      return false;
    }
    good_size_ += static_cast<off_t>(lines.size());
    written_.store(last);
  }
  if (was_failing) {
    spdlog::info("event log {}: writing again, caught up to seq {}", o_.path,
                 written_.load());
    complaints_ = 0;
  }
  return true;
}

void EventLog::SavePosition() {
  const uint64_t seq = written_.load();
  if (seq == saved_position_ || o_.position_path.empty()) return;
  const std::string tmp = o_.position_path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << seq << "\n";
    if (!out) return;  // tried again next time
  }
  if (std::rename(tmp.c_str(), o_.position_path.c_str()) == 0) {
    saved_position_ = seq;
  }
}

void EventLog::Complain(const std::string& what) {
  // The first failure, then once a minute while it lasts.
  const auto now = std::chrono::steady_clock::now();
  const bool changed = what != last_complaint_text_;
  if (complaints_++ == 0 || changed ||
      now - last_complaint_ >= std::chrono::minutes(1)) {
    spdlog::error(
        "event log {}: {} (the daemon goes on deciding; the lines are written "
        "from the audit log once this is fixed)",
        o_.path, what);
    last_complaint_ = now;
    last_complaint_text_ = what;
  }
}

}  // namespace gatekeeper

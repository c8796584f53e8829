// The event log: every audit entry, once durable, as a JSON line
// (event_json.h) appended to a file that dashboards and log shippers read.
// It is derived data: a thread follows the audit log (AuditFeed), reads the
// entries after the last one written from the store and appends them in seq
// order, so it never holds up a decision. When the file cannot be written
// (disk full, its directory deleted or read-only) it counts the lines it
// could not write, retries, and catches up from the audit log when it can:
// no entry is lost for good. Reopen() (SIGUSR1, after logrotate) makes it
// write to a fresh file at the same path from the next line on. On start it
// resumes after the last seq the file holds (a cut-off last line is cut
// away), or, when the file is new or empty (rotated while the daemon was
// down), after the seq recorded in `position_path`. Thread-safe.
#ifndef GATEKEEPER_DAEMON_OPS_EVENT_LOG_H_
#define GATEKEEPER_DAEMON_OPS_EVENT_LOG_H_

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "daemon/ops/audit_feed.h"
#include "daemon/store/store.h"

namespace gatekeeper {

struct EventLogOptions {
  std::string path;
  // Where the last written seq is kept (in data_dir), for a restart after
  // the file was rotated away.
  std::string position_path;
  int utc_offset_seconds = 0;
  // How long to wait before trying again after a failed write.
  std::chrono::milliseconds retry = std::chrono::seconds(1);
  // Entries read and written at a time.
  uint32_t chunk = 2048;
};

class EventLog {
 public:
  // Finds where to resume and starts following. Fails only on what a restart
  // cannot mend (a file whose last line is not an event line); a file that
  // cannot be opened now is retried like a failed write.
  static absl::StatusOr<std::unique_ptr<EventLog>> Start(EventLogOptions o,
                                                         Store& store,
                                                         AuditFeed& feed);
  // Writes what is durable (for up to `drain`), then stops.
  ~EventLog();
  void Stop(std::chrono::milliseconds drain = std::chrono::seconds(5));

  // Writes to a fresh file at the path from the next line on (SIGUSR1).
  void Reopen() { reopen_.store(true); }

  // The seq of the last entry written.
  uint64_t written_seq() const { return written_.load(); }
  // Entries durable but not yet in the file.
  uint64_t lag() const;
  // Lines that could not be written when first tried (each counted once).
  uint64_t failed_lines() const { return failed_lines_.load(); }
  // Failed writes (each attempt).
  uint64_t failed_writes() const { return failed_writes_.load(); }

 private:
  EventLog(EventLogOptions o, Store& store, AuditFeed& feed, uint64_t after);
  void Run();
  // Writes the entries after written_ up to the head; false on a failure.
  bool CatchUp(uint64_t head);
  bool EnsureOpen();
  void CloseFile();
  bool WriteAll(const std::string& data);
  void SavePosition();
  void Complain(const std::string& what);

  const EventLogOptions o_;
  Store& store_;
  AuditFeed& feed_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> reopen_{false};
  std::chrono::steady_clock::time_point drain_until_;
  std::atomic<uint64_t> written_;
  std::atomic<uint64_t> failed_lines_{0};
  std::atomic<uint64_t> failed_writes_{0};
  // The thread's own:
  int fd_ = -1;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  off_t good_size_ = 0;          // the file's size after the last whole line
  bool needs_repair_ = false;    // a write failed part-way: cut back first
  uint64_t failed_through_ = 0;  // lines up to this seq counted as failed
  uint64_t saved_position_ = 0;
  std::chrono::steady_clock::time_point last_complaint_{};
  uint64_t complaints_ = 0;
  std::string last_complaint_text_;
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_OPS_EVENT_LOG_H_

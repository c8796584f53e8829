// Thin RAII wrappers over the SQLite C API: a connection that owns its prepared
// statements, and a statement handle that resets itself. Errors are
// absl::Status carrying SQLite's message. A Connection is used by one thread at
// a time (opened with SQLITE_OPEN_NOMUTEX).
#ifndef GATEKEEPER_DAEMON_STORE_SQLITE_H_
#define GATEKEEPER_DAEMON_STORE_SQLITE_H_

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace gatekeeper::sqlite {

class Connection;

// A prepared statement borrowed from its connection's cache; reset and
// unbound when the handle goes away.
class Stmt {
 public:
  explicit Stmt(sqlite3_stmt* s) : s_(s) {}
  Stmt(Stmt&& o) noexcept : s_(o.s_), bind_rc_(o.bind_rc_) { o.s_ = nullptr; }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt();

  Stmt& Bind(int i, int64_t v);
  Stmt& Bind(int i, std::string_view text);
  Stmt& BindBlob(int i, std::string_view bytes);
  // Text that outlives the statement's next Run or reset: not copied.
  Stmt& BindStatic(int i, std::string_view text);
  Stmt& BindNull(int i);

  // SQLITE_ROW -> true, SQLITE_DONE -> false, anything else -> error. A
  // failed Bind since the handle was made fails the step.
  absl::StatusOr<bool> Step();
  // Runs to completion, expecting no rows, and resets the statement so that
  // the same handle can be bound and run again.
  absl::Status Run();
  // Ends the current step (rows not read are dropped) so that the handle can
  // be bound and stepped again.
  void Reset() {
    sqlite3_reset(s_);
    bind_rc_ = SQLITE_OK;
  }

  int64_t Int(int col) const { return sqlite3_column_int64(s_, col); }
  bool IsNull(int col) const {
    return sqlite3_column_type(s_, col) == SQLITE_NULL;
  }
  std::string Text(int col) const;
  // The same bytes without a copy: valid until the next Step or reset.
  std::string_view TextView(int col) const;
  sqlite3_stmt* raw() const { return s_; }

 private:
  Stmt& Bound(int rc);
  sqlite3_stmt* s_;
  int bind_rc_ = SQLITE_OK;
};

class Connection {
 public:
  // flags: SQLITE_OPEN_* (NOMUTEX is always added). vfs may be null.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(
      const std::string& path, int flags, const char* vfs = nullptr);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Statements are prepared once and cached for the connection's lifetime.
  absl::StatusOr<Stmt> Prepare(const char* sql);
  absl::Status Exec(const char* sql);
  absl::Status Error(std::string_view what) const;
  sqlite3* raw() const { return db_; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::map<const char*, sqlite3_stmt*>
      cache_;  // keyed by the literal's address
};

// Maps an SQLite result code to a status: BUSY/LOCKED/IOERR/FULL are
// UNAVAILABLE (the caller may retry later), CORRUPT/NOTADB are DATA_LOSS,
// CONSTRAINT is ALREADY_EXISTS, everything else INTERNAL.
absl::Status FromSqlite(int rc, std::string_view what);

}  // namespace gatekeeper::sqlite

#endif  // GATEKEEPER_DAEMON_STORE_SQLITE_H_

#include "daemon/store/sqlite.h"

#include "absl/status/status.h"
#include "daemon/common/strings.h"

namespace gatekeeper::sqlite {

absl::Status FromSqlite(int rc, std::string_view what) {
  const std::string msg = StrCat("sqlite: ", what);
  switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
      return absl::OkStatus();
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_NOMEM:
      return absl::UnavailableError(msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(msg);
    case SQLITE_CONSTRAINT:
      return absl::AlreadyExistsError(msg);
    default:
      return absl::InternalError(msg);
  }
}

Stmt::~Stmt() {
  if (s_ != nullptr) {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
}

Stmt& Stmt::Bound(int rc) {
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Stmt& Stmt::Bind(int i, int64_t v) {
  return Bound(sqlite3_bind_int64(s_, i, v));
}

Stmt& Stmt::Bind(int i, std::string_view text) {
  return Bound(sqlite3_bind_text(
      s_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT));
}

Stmt& Stmt::BindBlob(int i, std::string_view bytes) {
  return Bound(sqlite3_bind_blob(
      s_, i, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT));
}

Stmt& Stmt::BindStatic(int i, std::string_view text) {
  return Bound(sqlite3_bind_text(s_, i, text.data(),
                                 static_cast<int>(text.size()), SQLITE_STATIC));
}

Stmt& Stmt::BindNull(int i) { return Bound(sqlite3_bind_null(s_, i)); }

absl::StatusOr<bool> Stmt::Step() {
  if (bind_rc_ != SQLITE_OK) {
    // Running with a parameter left at its old value would be worse.
    return FromSqlite(
        bind_rc_, StrCat("cannot bind a parameter (", sqlite3_errstr(bind_rc_),
                         ") in: ", sqlite3_sql(s_)));
  }
  const int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return FromSqlite(rc, StrCat(sqlite3_errmsg(sqlite3_db_handle(s_)),
                               " in: ", sqlite3_sql(s_)));
}

absl::Status Stmt::Run() {
  auto r = Step();
  sqlite3_reset(s_);  // ready to be bound and run again
  if (!r.ok()) return r.status();
  if (*r) return absl::InternalError("sqlite: statement returned rows");
  return absl::OkStatus();
}

std::string Stmt::Text(int col) const { return std::string(TextView(col)); }

std::string_view Stmt::TextView(int col) const {
  const void* p = sqlite3_column_blob(s_, col);
  const int n = sqlite3_column_bytes(s_, col);
  return p == nullptr ? std::string_view()
                      : std::string_view(static_cast<const char*>(p),
                                         static_cast<size_t>(n));
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(
    const std::string& path, int flags, const char* vfs) {
  sqlite3* db = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, vfs);
  if (rc != SQLITE_OK) {
    absl::Status s =
        FromSqlite(rc, StrCat("cannot open ", path, ": ",
                              db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    sqlite3_close_v2(db);
    return s;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, 5000);
  return std::unique_ptr<Connection>(new Connection(db));
}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

absl::StatusOr<Stmt> Connection::Prepare(const char* sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return Stmt(it->second);
  sqlite3_stmt* s = nullptr;
  const int rc =
      sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  if (rc != SQLITE_OK) {
    return FromSqlite(rc, StrCat(sqlite3_errmsg(db_), " in: ", sql));
  }
  cache_.emplace(sql, s);
  return Stmt(s);
}

absl::Status Connection::Exec(const char* sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    absl::Status s =
        FromSqlite(rc, StrCat(err ? err : sqlite3_errstr(rc), " in: ", sql));
    sqlite3_free(err);
    return s;
  }
  return absl::OkStatus();
}

absl::Status Connection::Error(std::string_view what) const {
  return FromSqlite(sqlite3_extended_errcode(db_),
                    StrCat(what, ": ", sqlite3_errmsg(db_)));
}

}  // namespace gatekeeper::sqlite

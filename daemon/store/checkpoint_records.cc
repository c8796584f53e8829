#include "daemon/store/checkpoint_records.h"

#include "daemon/common/status_macros.h"
#include "daemon/common/strings.h"

namespace gatekeeper {

const char kCheckpointSchema[] = R"sql(
CREATE TABLE audit_merkle_chunks(
  chunk INTEGER PRIMARY KEY,
  hash  BLOB NOT NULL);
CREATE TABLE audit_checkpoints(
  size INTEGER PRIMARY KEY,
  body BLOB NOT NULL);
CREATE TABLE audit_signing_keys(
  key_id     TEXT PRIMARY KEY,
  public_pem TEXT NOT NULL) WITHOUT ROWID;
)sql";

absl::Status InsertSigningKey(sqlite::Connection& db, std::string_view key_id,
                              std::string_view public_pem) {
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      db.Prepare("INSERT OR IGNORE INTO audit_signing_keys(key_id, "
                 "public_pem) VALUES(?,?)"));
  s.Bind(1, key_id).Bind(2, public_pem);
  return s.Run();
}

absl::StatusOr<std::optional<std::string>> ReadSigningKey(
    sqlite::Connection& db, std::string_view key_id) {
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      db.Prepare("SELECT public_pem FROM audit_signing_keys WHERE key_id = ?"));
  s.Bind(1, key_id);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(s.Text(0));
}

absl::Status InsertMerkleChunks(
    sqlite::Connection& db,
    const std::vector<std::pair<uint64_t, std::string>>& chunks) {
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      db.Prepare("INSERT OR REPLACE INTO audit_merkle_chunks(chunk, hash) "
                 "VALUES(?,?)"));
  for (const auto& [chunk, hash] : chunks) {
    s.Bind(1, static_cast<int64_t>(chunk)).BindBlob(2, hash);
    RETURN_IF_ERROR(s.Run());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ReadMerkleChunks(
    sqlite::Connection& db) {
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      db.Prepare("SELECT chunk, hash FROM audit_merkle_chunks ORDER BY chunk"));
  std::vector<std::string> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    if (s.Int(0) != static_cast<int64_t>(out.size())) {
      return absl::DataLossError(
          StrCat("audit_merkle_chunks: chunk ", out.size(), " is missing"));
    }
    out.push_back(s.Text(1));
  }
  return out;
}

absl::Status InsertCheckpoint(sqlite::Connection& db, const v1::Checkpoint& c) {
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      db.Prepare("INSERT OR REPLACE INTO audit_checkpoints(size, body) "
                 "VALUES(?,?)"));
  s.Bind(1, static_cast<int64_t>(c.size())).BindBlob(2, c.SerializeAsString());
  return s.Run();
}

absl::StatusOr<std::optional<v1::Checkpoint>> ReadCheckpoint(
    sqlite::Connection& db, uint64_t size) {
  ASSIGN_OR_RETURN(sqlite::Stmt s,
                   size == 0 ? db.Prepare("SELECT body FROM audit_checkpoints "
                                          "ORDER BY size DESC LIMIT 1")
                             : db.Prepare("SELECT body FROM audit_checkpoints "
                                          "WHERE size = ?"));
  if (size != 0) s.Bind(1, static_cast<int64_t>(size));
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<v1::Checkpoint>();
  v1::Checkpoint c;
  if (!c.ParseFromString(s.Text(0))) {
    return absl::DataLossError("audit_checkpoints: a row does not parse");
  }
  return std::optional<v1::Checkpoint>(std::move(c));
}

absl::Status ScanAuditHashes(
    sqlite::Connection& db, uint64_t after_seq, uint64_t upto_seq,
    const std::function<void(uint64_t seq, std::string_view hash)>& fn) {
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      db.Prepare("SELECT seq, hash FROM audit WHERE seq > ? AND seq <= ? "
                 "ORDER BY seq"));
  s.Bind(1, static_cast<int64_t>(after_seq))
      .Bind(2, static_cast<int64_t>(upto_seq));
  for (;;) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    fn(static_cast<uint64_t>(s.Int(0)), s.TextView(1));
  }
  return absl::OkStatus();
}

}  // namespace gatekeeper

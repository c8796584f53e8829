#include "daemon/store/data_dir_check.h"

#include <sqlite3.h>

#include <filesystem>

#include "daemon/audit/chunked_tree.h"
#include "daemon/audit/merkle.h"
#include "daemon/audit/proof.h"
#include "daemon/common/crypto.h"
#include "daemon/common/files.h"
#include "daemon/common/status_macros.h"
#include "daemon/common/strings.h"
#include "daemon/store/audit_table.h"
#include "daemon/store/checkpoint_records.h"
#include "daemon/store/schema.h"
#include "daemon/store/verify_log.h"

namespace gatekeeper {
namespace {

absl::Status Bad(std::string what) {
  return absl::DataLossError(std::move(what));
}

absl::StatusOr<std::string> Check(sqlite::Connection& db,
                                  const std::filesystem::path& dir) {
  // 1. The file itself.
  {
    ASSIGN_OR_RETURN(sqlite::Stmt s, db.Prepare("PRAGMA integrity_check(1)"));
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row || s.Text(0) != "ok") {
      return Bad(StrCat("integrity_check: ", row ? s.Text(0) : "no answer"));
    }
  }
  {
    ASSIGN_OR_RETURN(sqlite::Stmt v, db.Prepare("PRAGMA user_version"));
    ASSIGN_OR_RETURN(bool row, v.Step());
    if (!row || v.Int(0) != kSchemaVersion) {
      return absl::FailedPreconditionError(StrCat(
          "schema version ", row ? v.Int(0) : 0, ", expected ", kSchemaVersion,
          ": check it with the gatekeeperd that wrote it"));
    }
  }
  // 2. The chain, against its head anchor.
  auto head = LoadAuditHead(db);
  if (!head.ok()) return Bad(std::string(head.status().message()));
  ASSIGN_OR_RETURN(VerifyResult chain, VerifyLog(db));
  if (!chain.ok) {
    return Bad(StrCat("audit log broken at entry ", chain.first_bad_seq, ": ",
                      chain.detail));
  }
  // 3. The anchor: the latest signed checkpoint.
  ASSIGN_OR_RETURN(std::optional<v1::Checkpoint> cp, ReadCheckpoint(db, 0));
  if (!cp.has_value()) {
    if (head->seq == 0) return std::string("OK: the audit log is empty");
    return Bad("no signed checkpoint: the copy cannot be anchored");
  }
  ASSIGN_OR_RETURN(std::optional<std::string> pem,
                   ReadSigningKey(db, cp->key_id()));
  if (!pem.has_value()) {
    return Bad(StrCat("the public key ", cp->key_id(),
                      " of the latest checkpoint is missing"));
  }
  const std::filesystem::path pub = dir / "audit_signing.pub";
  if (!dir.empty() && std::filesystem::exists(pub)) {
    auto on_disk = ReadWholeFile(pub, /*private_only=*/false);
    if (!on_disk.ok() || *on_disk != *pem) {
      return Bad(StrCat(pub.string(),
                        " is not the key the latest checkpoint was signed "
                        "with (",
                        cp->key_id(), ")"));
    }
  }
  if (absl::Status s = CheckCheckpoint(*cp, *pem); !s.ok()) {
    return Bad(StrCat("latest checkpoint: ", s.message()));
  }
  if (cp->size() > head->seq) {
    return Bad(StrCat("the log has ", head->seq,
                      " entries, fewer than its signed checkpoint's ",
                      cp->size(), ": it was truncated"));
  }
  ChunkedMerkleTree tree;
  ASSIGN_OR_RETURN(std::vector<std::string> stored_chunks,
                   ReadMerkleChunks(db));
  size_t chunk = 0;
  absl::Status chunk_mismatch;
  RETURN_IF_ERROR(
      ScanAuditHashes(db, 0, cp->size(), [&](uint64_t, std::string_view hash) {
        std::optional<std::string> c = tree.AppendLeaf(MerkleLeafHash(hash));
        if (c.has_value()) {
          if (chunk < stored_chunks.size() && stored_chunks[chunk] != *c &&
              chunk_mismatch.ok()) {
            chunk_mismatch = Bad(StrCat("stored Merkle chunk ", chunk,
                                        " differs from the log's"));
          }
          ++chunk;
        }
      }));
  RETURN_IF_ERROR(chunk_mismatch);
  auto root = tree.Root(cp->size(), [](uint64_t, uint64_t) {
    return absl::StatusOr<std::vector<std::string>>(
        absl::InternalError("unreachable: every leaf is in memory"));
  });
  if (!root.ok() || ToHex(*root) != cp->root_hash()) {
    return Bad(StrCat("the log does not give the root its checkpoint of ",
                      cp->size(), " entries signed: it was rewritten"));
  }
  return StrCat("OK: integrity_check ok; ", chain.entries_checked,
                " audit entries verified, head ", head->seq, " ",
                ToHex(head->hash), "; checkpoint of ", cp->size(),
                " entries signed ", FormatRfc3339(ToMicros(cp->at())),
                " by key ", cp->key_id(), " matches the log");
}

}  // namespace

absl::StatusOr<std::string> VerifyDataDir(const std::string& path) {
  std::error_code ec;
  const bool is_dir = std::filesystem::is_directory(path, ec);
  const std::filesystem::path db_path =
      is_dir ? std::filesystem::path(path) / "gatekeeper.db"
             : std::filesystem::path(path);
  if (!std::filesystem::exists(db_path, ec)) {
    return absl::NotFoundError(StrCat(db_path.string(), " not found"));
  }
  // Read-only; immutable for a plain file (a backup has no -wal beside it),
  // so that checking a copy never creates files next to it.
  const std::string uri =
      StrCat("file:", db_path.string(), is_dir ? "?mode=ro" : "?immutable=1");
  ASSIGN_OR_RETURN(
      std::unique_ptr<sqlite::Connection> db,
      sqlite::Connection::Open(uri, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI));
  RETURN_IF_ERROR(db->Exec("BEGIN"));
  auto out = Check(
      *db, is_dir ? std::filesystem::path(path) : std::filesystem::path());
  (void)db->Exec("COMMIT");
  return out;
}

}  // namespace gatekeeper

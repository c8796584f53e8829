// The audit log verifier (VerifyLog: VerifyAudit and gatekeeperd
// --verify-data-dir) over a stored log that the input tampers with. The input
// is a small program: first a chain of entries to append properly, then edits
// made behind the chain's back with plain SQL (a field of an entry changed,
// an entry deleted or added, the head anchor moved). The property: the log
// verifies if and only if no edit changed what is stored.
#include <fuzzer/FuzzedDataProvider.h>
#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "daemon/audit/chain.h"
#include "daemon/store/audit_table.h"
#include "daemon/store/schema.h"
#include "daemon/store/sqlite.h"
#include "daemon/store/verify_log.h"

namespace {

using gatekeeper::sqlite::Connection;

void Must(const absl::Status& s) {
  if (!s.ok()) __builtin_trap();
}

// Runs `sql` with `bind` binding its parameters; true when a row changed.
template <typename Bind>
bool Edit(Connection& db, const char* sql, Bind bind) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db.raw(), sql, -1, &st, nullptr) != SQLITE_OK) {
    __builtin_trap();
  }
  bind(st);
  const int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  // A constraint (a duplicate seq) leaves the log as it was.
  if (rc != SQLITE_DONE) return false;
  return sqlite3_changes(db.raw()) > 0;
}

// The whole stored log as bytes, to tell whether an edit changed anything.
std::string Snapshot(Connection& db) {
  std::string out;
  for (const char* sql :
       {"SELECT seq, at, kind, actor, customer_id, payload_json, prev_hash, "
        "hash FROM audit ORDER BY seq",
        "SELECT seq, hash, 0, 0, 0, 0, 0, 0 FROM audit_head"}) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db.raw(), sql, -1, &st, nullptr) != SQLITE_OK) {
      __builtin_trap();
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
      for (int i = 0; i < 8; ++i) {
        out += std::to_string(sqlite3_column_type(st, i));
        const int n = sqlite3_column_bytes(st, i);
        const auto* p = static_cast<const char*>(sqlite3_column_blob(st, i));
        out += std::to_string(n) + ":";
        if (p != nullptr) out.append(p, static_cast<size_t>(n));
      }
    }
    sqlite3_finalize(st);
    out += "|";
  }
  return out;
}

const char* const kTextColumns[] = {"kind", "actor", "customer_id",
                                    "payload_json"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  auto db =
      Connection::Open(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!db.ok()) __builtin_trap();
  Connection& c = **db;
  Must(gatekeeper::Migrate(c));

  // The chain, appended as the store does.
  gatekeeper::ChainBuilder chain{gatekeeper::ChainHead{}};
  const int entries = in.ConsumeIntegralInRange(0, 6);
  for (int i = 0; i < entries; ++i) {
    static const char* const kKinds[] = {"consent.recorded", "decision.dial",
                                         "access.denied", "campaign.approved"};
    gatekeeper::AuditDraft d{kKinds[in.ConsumeIntegralInRange<size_t>(0, 3)],
                             in.ConsumeRandomLengthString(24),
                             in.ConsumeRandomLengthString(24),
                             in.ConsumeRandomLengthString(48)};
    const gatekeeper::AuditRecord r =
        chain.Seal(std::move(d), in.ConsumeIntegral<int64_t>());
    Must(gatekeeper::InsertAuditRow(c, r));
  }
  if (entries > 0) Must(gatekeeper::UpdateAuditHead(c, chain.head()));
  const std::string before = Snapshot(c);

  // The edits.
  while (in.remaining_bytes() > 0) {
    const int64_t seq = in.ConsumeIntegralInRange<int64_t>(0, entries + 1);
    switch (in.ConsumeIntegralInRange(0, 6)) {
      case 0: {  // a text field
        const char* col = kTextColumns[in.ConsumeIntegralInRange<size_t>(0, 3)];
        const std::string v = in.ConsumeRandomLengthString(32);
        const std::string sql =
            std::string("UPDATE audit SET ") + col + " = ? WHERE seq = ?";
        Edit(c, sql.c_str(), [&](sqlite3_stmt* st) {
          sqlite3_bind_text(st, 1, v.data(), static_cast<int>(v.size()),
                            SQLITE_TRANSIENT);
          sqlite3_bind_int64(st, 2, seq);
        });
        break;
      }
      case 1: {  // the time
        const int64_t at = in.ConsumeIntegral<int64_t>();
        Edit(c, "UPDATE audit SET at = ? WHERE seq = ?", [&](sqlite3_stmt* st) {
          sqlite3_bind_int64(st, 1, at);
          sqlite3_bind_int64(st, 2, seq);
        });
        break;
      }
      case 2: {  // a hash
        const bool prev = in.ConsumeBool();
        const std::string v = in.ConsumeBytesAsString(
            in.ConsumeBool() ? 32 : in.ConsumeIntegralInRange<size_t>(0, 40));
        Edit(c,
             prev ? "UPDATE audit SET prev_hash = ? WHERE seq = ?"
                  : "UPDATE audit SET hash = ? WHERE seq = ?",
             [&](sqlite3_stmt* st) {
               sqlite3_bind_blob(st, 1, v.data(), static_cast<int>(v.size()),
                                 SQLITE_TRANSIENT);
               sqlite3_bind_int64(st, 2, seq);
             });
        break;
      }
      case 3:  // an entry deleted
        Edit(c, "DELETE FROM audit WHERE seq = ?",
             [&](sqlite3_stmt* st) { sqlite3_bind_int64(st, 1, seq); });
        break;
      case 4: {  // an entry moved to another seq
        const int64_t to = in.ConsumeIntegralInRange<int64_t>(0, entries + 2);
        Edit(c, "UPDATE audit SET seq = ? WHERE seq = ?",
             [&](sqlite3_stmt* st) {
               sqlite3_bind_int64(st, 1, to);
               sqlite3_bind_int64(st, 2, seq);
             });
        break;
      }
      case 5: {  // an entry copied to another seq
        const int64_t to = in.ConsumeIntegralInRange<int64_t>(0, entries + 2);
        Edit(c,
             "INSERT INTO audit SELECT ?, at, kind, actor, customer_id, "
             "payload_json, prev_hash, hash FROM audit WHERE seq = ?",
             [&](sqlite3_stmt* st) {
               sqlite3_bind_int64(st, 1, to);
               sqlite3_bind_int64(st, 2, seq);
             });
        break;
      }
      case 6: {  // the head anchor
        const bool hash = in.ConsumeBool();
        const std::string v = in.ConsumeBytesAsString(32);
        Edit(c,
             hash ? "UPDATE audit_head SET hash = ?"
                  : "UPDATE audit_head SET seq = ?",
             [&](sqlite3_stmt* st) {
               if (hash) {
                 sqlite3_bind_blob(st, 1, v.data(), static_cast<int>(v.size()),
                                   SQLITE_TRANSIENT);
               } else {
                 sqlite3_bind_int64(st, 1, seq);
               }
             });
        break;
      }
    }
  }
  const bool changed = Snapshot(c) != before;

  Must(c.Exec("BEGIN"));
  auto result = gatekeeper::VerifyLog(c);
  Must(c.Exec("COMMIT"));
  // An error (not a verdict) is fine only for a log that was tampered with.
  const bool ok = result.ok() && result->ok;
  if (ok == changed) __builtin_trap();
  return 0;
}

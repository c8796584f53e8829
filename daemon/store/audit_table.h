// The audit table and its head anchor: SQL for appending, reading, scanning
// and verifying the hash-chained log (the chain itself is daemon/audit/).
//
// Invariant: audit_head holds the (seq, hash) of the last audit row; both
// change in the same transaction.
#ifndef GATEKEEPER_DAEMON_STORE_AUDIT_TABLE_H_
#define GATEKEEPER_DAEMON_STORE_AUDIT_TABLE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "daemon/audit/chain.h"
#include "daemon/store/sqlite.h"

namespace gatekeeper {

absl::Status InsertAuditRow(sqlite::Connection& db, const AuditRecord& r);
// Sets the head anchor to `head` (inside the transaction that appended it).
absl::Status UpdateAuditHead(sqlite::Connection& db, const ChainHead& head);

// Reads the head anchor and checks the last entry against it and its hash:
// DATA_LOSS when the log was truncated or altered.
absl::StatusOr<ChainHead> LoadAuditHead(sqlite::Connection& db);

absl::StatusOr<std::optional<AuditRecord>> ReadAuditEntry(
    sqlite::Connection& db, uint64_t seq);

// Entries with seq > after_seq in order, until `limit` or fn returns false.
absl::Status ScanAuditRange(sqlite::Connection& db, uint64_t after_seq,
                            uint32_t limit,
                            const std::function<bool(const AuditRecord&)>& fn);

// Recomputes the whole chain against the anchor, and asks `check` about each
// entry in the chain: a non-empty answer (what is wrong) breaks it at that
// entry too. With `start` (a retention cut), the chain is verified from it
// and each entry up to start->seq is given to `below` instead (which answers
// the same way). Call in a read transaction.
absl::StatusOr<VerifyResult> VerifyAuditTable(
    sqlite::Connection& db,
    const std::function<std::string(const AuditRecord&)>& check,
    const std::optional<ChainHead>& start = std::nullopt,
    const std::function<std::string(const AuditRecord&)>& below = nullptr);

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_STORE_AUDIT_TABLE_H_

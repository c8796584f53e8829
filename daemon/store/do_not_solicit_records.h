// The do_not_solicit table (特定商取引法 Art. 17, APPI Art. 35): refusals
// created by call outcomes and cleared only on the customer's own request. A
// cleared entry keeps its row (cleared_* columns set), so the history stays.
#ifndef GATEKEEPER_DAEMON_STORE_DO_NOT_SOLICIT_RECORDS_H_
#define GATEKEEPER_DAEMON_STORE_DO_NOT_SOLICIT_RECORDS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/store/do_not_solicit_index.h"
#include "daemon/store/sqlite.h"
#include "daemon/store/write_context.h"
#include "gatekeeper/v1/call_records.pb.h"

namespace gatekeeper {

// Inserts an active entry (entry.audit_seq set by the caller) and records
// the change for the index and the conflict check.
absl::Status InsertDoNotSolicit(WriteContext& w,
                                const v1::DoNotSolicitEntry& entry,
                                std::string_view phone_pseudonym);

// Sets the cleared_* columns of an entry (entry as it is after clearing).
absl::Status MarkDoNotSolicitCleared(WriteContext& w,
                                     const v1::DoNotSolicitEntry& entry,
                                     std::string_view phone_pseudonym);

// One entry with its phone pseudonym; nullopt when unknown.
struct StoredDoNotSolicit {
  v1::DoNotSolicitEntry entry;
  std::string phone_pseudonym;
};
absl::StatusOr<std::optional<StoredDoNotSolicit>> ReadDoNotSolicit(
    sqlite::Connection& db, std::string_view entry_id);

// Entries of a customer or of a number, newest first.
absl::StatusOr<std::vector<v1::DoNotSolicitEntry>> ListDoNotSolicitRows(
    sqlite::Connection& db, std::string_view customer_id,
    std::string_view phone_pseudonym, bool include_cleared);

// Active entries naming the number or one of the customers (the writer's
// StateView).
absl::StatusOr<std::vector<DoNotSolicitFact>> ActiveDoNotSolicit(
    sqlite::Connection& db, std::string_view phone_pseudonym,
    const std::vector<std::string>& customer_ids);

// Fills the index with every active entry (at open).
absl::Status LoadDoNotSolicitIndex(sqlite::Connection& db,
                                   DoNotSolicitIndex& index);

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_STORE_DO_NOT_SOLICIT_RECORDS_H_

// The consents table and its history (consent_events): SQL for recording,
// withdrawing, listing and loading consents. Functions run on a connection
// the caller owns (the writer's transaction, or a read transaction).
//
// Invariant: consents.state equals the state of the consent's latest
// consent_events row; both change in the transaction that appends the audit
// entry recording the change.
#ifndef GATEKEEPER_DAEMON_STORE_CONSENT_RECORDS_H_
#define GATEKEEPER_DAEMON_STORE_CONSENT_RECORDS_H_

#include <optional>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/store/consent_index.h"
#include "daemon/store/sqlite.h"
#include "daemon/store/store.h"
#include "daemon/store/write_context.h"

namespace gatekeeper {

// Inserts the consent (GRANTED), its first event and its "consent.recorded"
// entry.
absl::StatusOr<v1::ConsentRecord> InsertConsent(WriteContext& w,
                                                const NewConsent& c);

absl::StatusOr<std::optional<v1::ConsentRecord>> GetConsent(
    sqlite::Connection& db, std::string_view consent_id);

// Which GRANTED consents of one customer a withdrawal takes.
struct WithdrawScope {
  std::string customer_id;
  v1::Purpose purpose = v1::PURPOSE_UNSPECIFIED;  // unspecified: every purpose
  std::string company_id;                         // empty: every company
  std::string phone_pseudonym;                    // empty: any number
};

// Marks every GRANTED consent in scope WITHDRAWN, with an event carrying
// `seq` (the audit entry the caller appended or will append). Returns the
// consents as they are now.
absl::StatusOr<std::vector<v1::ConsentRecord>> WithdrawInScope(
    WriteContext& w, const WithdrawScope& scope, Micros at,
    v1::ConsentChannel channel, std::string_view evidence_ref,
    std::string_view reason, uint64_t seq);

// The GRANTED consents in scope (ids, in order), without changing them.
absl::StatusOr<std::vector<std::string>> ConsentsInScope(
    sqlite::Connection& db, const WithdrawScope& scope);

// A customer's GRANTED consents, or every consent with its history. Call in a
// read transaction.
absl::StatusOr<std::vector<v1::ConsentRecord>> ListConsentsOf(
    sqlite::Connection& db, std::string_view customer_id, bool include_history);

// Up to `limit` consents after `after_consent_id` in consent_id order (one
// customer's when `customer_id` is not empty), without history.
absl::StatusOr<std::vector<v1::ConsentRecord>> ConsentPageOf(
    sqlite::Connection& db, std::string_view customer_id,
    std::string_view after_consent_id, size_t limit);

// The fingerprint stored for RecordConsent's `request_id`, if any.
absl::StatusOr<std::optional<std::string>> RecordedFingerprint(
    sqlite::Connection& db, std::string_view request_id);

// Decision inputs read through the writer's connection.
absl::StatusOr<std::vector<ConsentFact>> ConsentFactsOfCustomer(
    sqlite::Connection& db, std::string_view customer_id, v1::Purpose purpose,
    std::string_view company_id);
absl::StatusOr<std::vector<ConsentFact>> ConsentFactsOfPhone(
    sqlite::Connection& db, std::string_view phone_pseudonym,
    v1::Purpose purpose, std::string_view company_id);

// Fills the index with every consent (at open).
absl::Status LoadConsentIndex(sqlite::Connection& db, ConsentIndex& index);

// The key of a snapshot of this database's consent index (index_snapshot.h):
// the audit head (every change of a consent appends an entry) and the
// consents table's last rowid.
absl::StatusOr<std::string> ConsentIndexSnapshotKey(sqlite::Connection& db);
// Fills the empty index from the snapshot at `snapshot` when it was written
// for this database as it is now, else from the rows (LoadConsentIndex), and
// removes the snapshot either way. Says which, and why not the snapshot.
absl::StatusOr<std::string> LoadConsentIndexFrom(
    sqlite::Connection& db, const std::filesystem::path& snapshot,
    ConsentIndex& index);
// Writes the index's snapshot for this database as it is now (the writer
// stopped: nothing changes it meanwhile).
absl::Status SaveConsentIndexSnapshot(sqlite::Connection& db,
                                      const ConsentIndex& index,
                                      const std::filesystem::path& snapshot);

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_STORE_CONSENT_RECORDS_H_

// Decisions beyond their audit entries: the decision-id index (decisions:
// id -> seq, so that a report can name a decision) and the provision records
// of ALLOWed dials (APPI Art. 29), both written in the decision's
// transaction; and the reading of a logged decision back for call reports.
#ifndef GATEKEEPER_DAEMON_STORE_DECISION_RECORDS_H_
#define GATEKEEPER_DAEMON_STORE_DECISION_RECORDS_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/common/facts.h"
#include "daemon/store/dial_counter.h"
#include "daemon/store/sqlite.h"
#include "daemon/store/write_context.h"
#include "gatekeeper/v1/call_records.pb.h"

namespace gatekeeper {

absl::Status InsertDecisionId(WriteContext& w, std::string_view decision_id,
                              uint64_t seq);

// Inserts the provision record of the decision at `seq` and counts the dial
// (pending until COMMIT).
absl::Status InsertProvision(WriteContext& w, const NewProvision& p,
                             uint64_t seq);

// The decision's audit entry, read back: NOT_FOUND when no decision has the
// id, DATA_LOSS when the index and the log disagree.
absl::StatusOr<LoggedDecision> LoadDecision(sqlite::Connection& db,
                                            std::string_view decision_id);

// Provision records by decision seq, in the order given (missing skipped).
absl::StatusOr<std::vector<v1::ProvisionRecord>> ReadProvisions(
    sqlite::Connection& db, const std::vector<uint64_t>& seqs);

// Counts the provisions made after `since` (at open): the newest rows first,
// stopping at the first older one.
absl::Status LoadRecentDials(sqlite::Connection& db, Micros since,
                             DialCounter& counter);

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_STORE_DECISION_RECORDS_H_

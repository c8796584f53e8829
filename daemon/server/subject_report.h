// The answer to a customer's disclosure request (APPI Art. 33): everything
// held and decided about one customer, gathered from the store. The request
// itself is logged first ("subject.report"), so the log shows who asked for
// whose data, and no report leaves without that entry. Phone numbers appear
// masked only. Thread-safe.
#ifndef GATEKEEPER_DAEMON_SERVER_SUBJECT_REPORT_H_
#define GATEKEEPER_DAEMON_SERVER_SUBJECT_REPORT_H_

#include "absl/status/statusor.h"
#include "daemon/common/clock.h"
#include "daemon/store/store.h"
#include "gatekeeper/v1/audit_service.pb.h"
#include "gatekeeper/v1/insert_gate.pb.h"

namespace gatekeeper {

// `req` is validated. Entries of the log that do not parse are DATA_LOSS.
absl::StatusOr<v1::SubjectReportResponse> BuildSubjectReport(
    Store& store, const v1::SubjectReportRequest& req, Micros now);

// The documents in the print batch logged at `seq` (the customer's, or all
// when `customer_id` is empty), with their decisions. DATA_LOSS when the
// batch's decisions are missing or do not decode.
absl::StatusOr<std::vector<v1::PrintedDocument>> PrintBatchMembers(
    Store& store, uint64_t seq, std::string_view customer_id);

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_SERVER_SUBJECT_REPORT_H_

// What dialers report about allowed calls: disclosure_reports (特定商取引法
// Art. 16) and call_outcomes, at most one of each per decision. The body is
// the serialized v1.DisclosureReport / v1.OutcomeReport with its audit_seq;
// the fingerprint of the request tells a repeated report from a different
// one.
#ifndef GATEKEEPER_DAEMON_STORE_CALL_REPORT_RECORDS_H_
#define GATEKEEPER_DAEMON_STORE_CALL_REPORT_RECORDS_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "daemon/store/sqlite.h"

namespace gatekeeper {

enum class CallReportKind { kDisclosure, kOutcome };

struct StoredCallReport {
  std::string fingerprint;
  std::string body;
};

absl::StatusOr<std::optional<StoredCallReport>> ReadCallReport(
    sqlite::Connection& db, CallReportKind kind, std::string_view decision_id);

absl::Status InsertCallReport(sqlite::Connection& db, CallReportKind kind,
                              std::string_view decision_id, uint64_t audit_seq,
                              std::string_view fingerprint,
                              std::string_view body);

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_STORE_CALL_REPORT_RECORDS_H_

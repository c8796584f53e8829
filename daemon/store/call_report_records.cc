#include "daemon/store/call_report_records.h"

#include "daemon/common/status_macros.h"

namespace gatekeeper {

absl::StatusOr<std::optional<StoredCallReport>> ReadCallReport(
    sqlite::Connection& db, CallReportKind kind, std::string_view decision_id) {
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      kind == CallReportKind::kDisclosure
          ? db.Prepare("SELECT fingerprint, body FROM disclosure_reports "
                       "WHERE decision_id = ?")
          : db.Prepare("SELECT fingerprint, body FROM call_outcomes "
                       "WHERE decision_id = ?"));
  s.Bind(1, decision_id);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<StoredCallReport>();
  return std::optional<StoredCallReport>(
      StoredCallReport{s.Text(0), s.Text(1)});
}

absl::Status InsertCallReport(sqlite::Connection& db, CallReportKind kind,
                              std::string_view decision_id, uint64_t audit_seq,
                              std::string_view fingerprint,
                              std::string_view body) {
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      kind == CallReportKind::kDisclosure
          ? db.Prepare("INSERT INTO disclosure_reports(decision_id, "
                       "audit_seq, fingerprint, body) VALUES(?,?,?,?)")
          : db.Prepare("INSERT INTO call_outcomes(decision_id, audit_seq, "
                       "fingerprint, body) VALUES(?,?,?,?)"));
  s.Bind(1, decision_id)
      .Bind(2, static_cast<int64_t>(audit_seq))
      .BindBlob(3, fingerprint)
      .BindBlob(4, body);
  return s.Run();
}

}  // namespace gatekeeper

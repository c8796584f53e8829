#include "daemon/store/decision_records.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "daemon/common/crypto.h"
#include "daemon/common/status_macros.h"
#include "daemon/common/strings.h"
#include "daemon/store/audit_table.h"
#include "gatekeeper/v1/audit_payload.pb.h"

namespace gatekeeper {

absl::Status InsertDecisionId(WriteContext& w, std::string_view decision_id,
                              uint64_t seq) {
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      w.db().Prepare("INSERT INTO decisions(decision_id, seq) VALUES(?, ?)"));
  s.Bind(1, decision_id).Bind(2, static_cast<int64_t>(seq));
  return s.Run();
}

absl::Status InsertProvision(WriteContext& w, const NewProvision& p,
                             uint64_t seq) {
  const v1::ProvisionRecord& r = *p.recipient;
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      w.db().Prepare(
          "INSERT INTO provision_records(seq, decision_id, provided_at, "
          "customer_id, consent_id, company_id, campaign_id, recipient_name, "
          "recipient_address, recipient_representative, data_items, "
          "phone_hmac, phone_masked, retain_until) "
          "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
  const std::string items = absl::StrJoin(r.data_items(), ",");
  // The recipient's strings live as long as `p`, past this Run.
  s.Bind(1, static_cast<int64_t>(seq))
      .Bind(2, p.decision_id)
      .Bind(3, p.provided_at)
      .Bind(4, p.customer_id)
      .Bind(5, p.consent_id)
      .BindStatic(6, r.recipient_company_id())
      .Bind(7, p.campaign_id)
      .BindStatic(8, r.recipient_name())
      .BindStatic(9, r.recipient_address())
      .BindStatic(10, r.recipient_representative())
      .BindStatic(11, items)
      .BindBlob(12, p.phone_pseudonym)
      .Bind(13, p.phone_masked)
      .Bind(14, p.retain_until);
  RETURN_IF_ERROR(s.Run());
  w.pending().dials.push_back({p.phone_pseudonym, r.recipient_company_id(),
                               p.campaign_id, p.provided_at});
  return absl::OkStatus();
}

absl::StatusOr<LoggedDecision> LoadDecision(sqlite::Connection& db,
                                            std::string_view decision_id) {
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      db.Prepare("SELECT seq FROM decisions WHERE decision_id = ?"));
  s.Bind(1, decision_id);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) {
    return absl::NotFoundError(
        StrCat("decision_id: no decision ", decision_id));
  }
  const uint64_t seq = static_cast<uint64_t>(s.Int(0));
  ASSIGN_OR_RETURN(std::optional<AuditRecord> entry, ReadAuditEntry(db, seq));
  if (!entry.has_value()) {
    return absl::DataLossError(StrCat("decision ", decision_id,
                                      " is indexed at audit entry ", seq,
                                      ", which is missing"));
  }
  v1::DecisionPayload p;
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(entry->payload_json, &p,
                                                   opts)
           .ok() ||
      p.decision_id() != decision_id) {
    return absl::DataLossError(
        StrCat("audit entry ", seq, " does not hold decision ", decision_id));
  }
  LoggedDecision d;
  d.decision_id = p.decision_id();
  d.audit_seq = seq;
  d.decided_at = entry->at;
  d.kind = entry->kind;
  d.verdict = p.verdict();
  d.customer_id = entry->customer_id;
  d.company_id = p.company_id();
  d.campaign_id = p.campaign_id();
  d.agent_id = p.agent_id();
  d.consent_id = p.consent_id();
  if (auto raw = FromHex(p.phone_hmac()); raw.ok()) {
    d.phone_pseudonym = *std::move(raw);
  }
  d.phone_masked = p.phone_masked();
  d.goods_type = p.disclosure().goods_type();
  return d;
}

absl::StatusOr<std::vector<v1::ProvisionRecord>> ReadProvisions(
    sqlite::Connection& db, const std::vector<uint64_t>& seqs) {
  std::vector<v1::ProvisionRecord> out;
  for (uint64_t seq : seqs) {
    ASSIGN_OR_RETURN(
        sqlite::Stmt s,
        db.Prepare("SELECT decision_id, provided_at, customer_id, consent_id, "
                   "company_id, campaign_id, recipient_name, "
                   "recipient_address, recipient_representative, data_items, "
                   "phone_masked, retain_until FROM provision_records "
                   "WHERE seq = ?"));
    s.Bind(1, static_cast<int64_t>(seq));
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) continue;
    v1::ProvisionRecord r;
    r.set_decision_id(s.Text(0));
    r.set_audit_seq(seq);
    *r.mutable_provided_at() = FromMicros(s.Int(1));
    r.set_customer_id(s.Text(2));
    r.set_consent_id(s.Text(3));
    r.set_recipient_company_id(s.Text(4));
    r.set_campaign_id(s.Text(5));
    r.set_recipient_name(s.Text(6));
    r.set_recipient_address(s.Text(7));
    r.set_recipient_representative(s.Text(8));
    for (absl::string_view item :
         absl::StrSplit(s.Text(9), ',', absl::SkipEmpty())) {
      r.add_data_items(std::string(item));
    }
    r.set_phone_masked(s.Text(10));
    *r.mutable_retain_until() = FromMicros(s.Int(11));
    out.push_back(std::move(r));
  }
  return out;
}

absl::Status LoadRecentDials(sqlite::Connection& db, Micros since,
                             DialCounter& counter) {
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      db.Prepare("SELECT phone_hmac, company_id, campaign_id, provided_at "
                 "FROM provision_records ORDER BY seq DESC"));
  std::vector<DialCounter::Dial> dials;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    const Micros at = s.Int(3);
    if (at <= since) break;
    dials.push_back({s.Text(0), s.Text(1), s.Text(2), at});
  }
  std::reverse(dials.begin(), dials.end());  // oldest first, as committed
  counter.Add(dials);
  return absl::OkStatus();
}

}  // namespace gatekeeper

#include "daemon/server/subject_report.h"

#include <google/protobuf/util/json_util.h>

#include <limits>

#include "daemon/audit/print_batch.h"
#include "daemon/common/status_macros.h"
#include "daemon/common/strings.h"
#include "gatekeeper/v1/audit_payload.pb.h"

namespace gatekeeper {
namespace {

absl::Status ParsePayload(const AuditRecord& r,
                          google::protobuf::Message* out) {
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = true;  // entries written by newer releases
  if (!google::protobuf::util::JsonStringToMessage(r.payload_json, out, opts)
           .ok()) {
    return absl::DataLossError(
        StrCat("audit entry ", r.seq, " (", r.kind, ") does not parse"));
  }
  return absl::OkStatus();
}

v1::DecisionSummary Summarize(const AuditRecord& r,
                              const v1::DecisionPayload& p) {
  v1::DecisionSummary d;
  d.set_decision_id(p.decision_id());
  d.set_audit_seq(r.seq);
  *d.mutable_decided_at() = FromMicros(r.at);
  d.set_purpose(p.purpose());
  d.set_verdict(p.verdict());
  *d.mutable_reasons() = p.reasons();
  d.set_campaign_id(p.campaign_id());
  d.set_company_id(p.company_id());
  d.set_consent_id(p.consent_id());
  d.set_print_run_id(p.print_run_id());
  d.set_document_id(p.document_id());
  d.set_agent_id(p.agent_id());
  d.set_phone_masked(p.phone_masked());
  return d;
}

}  // namespace

absl::StatusOr<v1::SubjectReportResponse> BuildSubjectReport(
    Store& store, const v1::SubjectReportRequest& req, Micros now) {
  v1::SubjectReportResponse out;
  out.set_customer_id(req.customer_id());
  *out.mutable_generated_at() = FromMicros(now);
  v1::SubjectReportPayload logged;
  logged.set_customer_id(req.customer_id());
  logged.set_requested_by(req.requested_by());
  std::string json;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(logged, &json, opts);
  ASSIGN_OR_RETURN(uint64_t seq,
                   store.LogEvent({"subject.report", req.requested_by(),
                                   req.customer_id(), std::move(json)}));
  out.set_audit_seq(seq);

  ASSIGN_OR_RETURN(std::vector<v1::ConsentRecord> consents,
                   store.ListConsents(req.customer_id(), true));
  for (auto& c : consents) *out.add_consents() = std::move(c);

  std::vector<uint64_t> provided;  // seqs of ALLOWed dials
  absl::Status parse_error;
  RETURN_IF_ERROR(store.ScanAudit(
      0, std::numeric_limits<uint32_t>::max(), req.customer_id(),
      [&](const AuditRecord& r) {
        if (r.kind == "decision.insert" || r.kind == "decision.dial") {
          v1::DecisionPayload p;
          parse_error = ParsePayload(r, &p);
          if (!parse_error.ok()) return false;
          *out.add_decisions() = Summarize(r, p);
          if (r.kind == "decision.dial" && p.verdict() == v1::VERDICT_ALLOW) {
            provided.push_back(r.seq);
          }
        } else if (r.kind == "print.batch") {
          v1::PrintBatchPayload p;
          parse_error = ParsePayload(r, &p);
          if (!parse_error.ok()) return false;
          auto docs = PrintBatchMembers(store, r.seq, req.customer_id());
          if (!docs.ok()) {
            parse_error = docs.status();
            return false;
          }
          for (v1::PrintedDocument& d : *docs) {
            for (v1::PrintedDecision& c : *d.mutable_decisions()) {
              v1::DecisionSummary* s = out.add_decisions();
              s->set_audit_seq(r.seq);
              *s->mutable_decided_at() = FromMicros(r.at);
              s->set_purpose(v1::PURPOSE_AD_INSERT);
              s->set_verdict(c.verdict());
              *s->mutable_reasons() = std::move(*c.mutable_reasons());
              s->set_campaign_id(c.campaign_id());
              s->set_consent_id(c.consent_id());
              s->set_print_run_id(p.print_run_id());
              s->set_document_id(d.document_id());
            }
          }
        } else if (r.kind == "disclosure.reported" ||
                   r.kind == "disclosure.violation") {
          v1::DisclosureReport* d = out.add_disclosure_reports();
          parse_error = ParsePayload(r, d);
          d->set_audit_seq(r.seq);
        } else if (r.kind == "call.outcome") {
          v1::OutcomeReport* o = out.add_outcomes();
          parse_error = ParsePayload(r, o);
          o->set_audit_seq(r.seq);
        }
        return parse_error.ok();
      }));
  RETURN_IF_ERROR(parse_error);

  ASSIGN_OR_RETURN(std::vector<v1::ProvisionRecord> provisions,
                   store.ProvisionsBySeq(provided));
  for (auto& p : provisions) *out.add_provisions() = std::move(p);
  ASSIGN_OR_RETURN(std::vector<v1::DoNotSolicitEntry> entries,
                   store.ListDoNotSolicit(req.customer_id(), "", true));
  for (auto& e : entries) *out.add_do_not_solicit() = std::move(e);
  return out;
}

absl::StatusOr<std::vector<v1::PrintedDocument>> PrintBatchMembers(
    Store& store, uint64_t seq, std::string_view customer_id) {
  ASSIGN_OR_RETURN(std::optional<std::string> body, store.PrintBatchBody(seq));
  if (!body.has_value()) {
    return absl::DataLossError(
        StrCat("print batch ", seq, ": its decisions are missing"));
  }
  ASSIGN_OR_RETURN(std::vector<DocumentVerdicts> docs, DecodePrintBatch(*body));
  std::vector<v1::PrintedDocument> out;
  for (const DocumentVerdicts& d : docs) {
    if (!customer_id.empty() && d.customer_id != customer_id) continue;
    v1::PrintedDocument& m = out.emplace_back();
    m.set_document_id(d.document_id);
    m.set_customer_id(d.customer_id);
    for (const CampaignVerdict& c : d.campaigns) {
      v1::PrintedDecision* x = m.add_decisions();
      x->set_campaign_id(c.campaign_id);
      x->set_verdict(IsAllow(c.reasons) ? v1::VERDICT_ALLOW
                                        : v1::VERDICT_BLOCK);
      ForEachReason(c.reasons,
                    [&](int r) { x->add_reasons(static_cast<v1::Reason>(r)); });
      x->set_consent_id(c.consent_id);
    }
  }
  return out;
}

}  // namespace gatekeeper

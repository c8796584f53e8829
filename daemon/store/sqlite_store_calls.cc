// SqliteStore: decisions and the records of telemarketing calls. The commit
// pipeline is in sqlite_store.cc.
#include <google/protobuf/util/json_util.h>

#include <future>

#include "absl/status/status.h"
#include "daemon/common/crypto.h"
#include "daemon/common/status_macros.h"
#include "daemon/common/strings.h"
#include "daemon/store/call_report_records.h"
#include "daemon/store/consent_records.h"
#include "daemon/store/decision_records.h"
#include "daemon/store/do_not_solicit_records.h"
#include "daemon/store/sqlite_store.h"
#include "gatekeeper/v1/audit_payload.pb.h"

namespace gatekeeper {
namespace {

// The answer to a repeated report: the stored report when the request is the
// same (same fingerprint), ALREADY_EXISTS when it differs, nullopt when the
// decision has no report of this kind yet.
template <typename Report>
absl::StatusOr<std::optional<Report>> StoredAnswer(
    WriteContext& w, CallReportKind kind, std::string_view what,
    std::string_view decision_id, std::string_view fingerprint) {
  ASSIGN_OR_RETURN(std::optional<StoredCallReport> stored,
                   ReadCallReport(w.db(), kind, decision_id));
  if (!stored.has_value()) return std::optional<Report>();
  if (stored->fingerprint != fingerprint) {
    return absl::AlreadyExistsError(StrCat("decision_id: ", decision_id,
                                           " already has a ", what,
                                           " report with different content"));
  }
  Report r;
  if (!r.ParseFromString(stored->body)) {
    return absl::DataLossError(
        StrCat("the stored report of ", decision_id, " does not parse"));
  }
  return std::optional<Report>(std::move(r));
}

}  // namespace

void SqliteStore::SubmitAppend(
    std::function<absl::StatusOr<uint64_t>(WriteContext&)> write, bool isolated,
    AppendDone done) {
  auto seq = std::make_shared<uint64_t>(0);
  Submit({[write = std::move(write), seq](WriteContext& w) -> absl::Status {
            ASSIGN_OR_RETURN(*seq, write(w));
            return absl::OkStatus();
          },
          [seq, done = std::move(done)](absl::Status s) {
            if (s.ok()) {
              done(*seq);
            } else {
              done(std::move(s));
            }
          },
          /*changes_state=*/false, isolated});
}

bool SqliteStore::CapReached(WriteContext& w, const NewProvision& p) {
  if (p.cap_per_campaign_day == 0 && p.cap_per_company_30d == 0) return false;
  const DialCounts counts =
      w.CountDials(p.phone_pseudonym, p.recipient->recipient_company_id(),
                   p.campaign_id, p.day_start, p.since);
  return (p.cap_per_campaign_day != 0 &&
          counts.campaign_today >= p.cap_per_campaign_day) ||
         (p.cap_per_company_30d != 0 &&
          counts.company_30d >= p.cap_per_company_30d);
}

absl::StatusOr<uint64_t> SqliteStore::WriteDecision(WriteContext& w,
                                                    DecisionWrite& write) {
  ASSIGN_OR_RETURN(uint64_t seq, w.Append(std::move(write.draft)));
  RETURN_IF_ERROR(InsertDecisionId(w, write.decision_id, seq));
  if (write.provision.has_value()) {
    RETURN_IF_ERROR(InsertProvision(w, *write.provision, seq));
  }
  return seq;
}

void SqliteStore::AppendDecisionAsync(DecisionWrite write,
                                      DecisionInputs inputs, AppendDone done) {
  SubmitAppend(
      [this, write = std::move(write), inputs = std::move(inputs)](
          WriteContext& w) mutable -> absl::StatusOr<uint64_t> {
        // Both refusals come before any SQL: nothing to undo.
        if (Conflicts(inputs)) {
          return absl::AbortedError(
              "consents, campaigns or do-not-solicit entries changed while "
              "deciding");
        }
        if (write.provision.has_value() && CapReached(w, *write.provision)) {
          return absl::AbortedError(
              "another dial to the number reached a frequency cap while "
              "deciding");
        }
        return WriteDecision(w, write);
      },
      /*isolated=*/false, std::move(done));
}

void SqliteStore::DecideInWriterAsync(Decider decide, AppendDone done) {
  SubmitAppend(
      [this, decide = std::move(decide)](
          WriteContext& w) -> absl::StatusOr<uint64_t> {
        ASSIGN_OR_RETURN(DecisionWrite write, decide(w));
        return WriteDecision(w, write);
      },
      /*isolated=*/true, std::move(done));
}

void SqliteStore::ReportDisclosureAsync(
    std::string decision_id, std::string fingerprint, DisclosureJudge judge,
    std::function<void(absl::StatusOr<v1::DisclosureReport>)> done) {
  auto out = std::make_shared<v1::DisclosureReport>();
  SubmitWrite(
      [decision_id = std::move(decision_id),
       fingerprint = std::move(fingerprint), judge = std::move(judge),
       out](WriteContext& w) -> absl::Status {
        ASSIGN_OR_RETURN(std::optional<v1::DisclosureReport> stored,
                         StoredAnswer<v1::DisclosureReport>(
                             w, CallReportKind::kDisclosure, "disclosure",
                             decision_id, fingerprint));
        if (stored.has_value()) {
          *out = *std::move(stored);
          return absl::OkStatus();
        }
        ASSIGN_OR_RETURN(LoggedDecision decision,
                         LoadDecision(w.db(), decision_id));
        ASSIGN_OR_RETURN(*out, judge(decision));
        ASSIGN_OR_RETURN(uint64_t seq,
                         w.Append({out->compliant() ? "disclosure.reported"
                                                    : "disclosure.violation",
                                   StrCat("agent:", out->agent_id()),
                                   decision.customer_id, ProtoJson(*out)}));
        out->set_audit_seq(seq);
        std::string body;
        out->SerializeToString(&body);
        return InsertCallReport(w.db(), CallReportKind::kDisclosure,
                                decision_id, seq, fingerprint, body);
      },
      /*changes_state=*/false,
      [out, done = std::move(done)](absl::Status s) {
        if (!s.ok()) return done(std::move(s));
        done(std::move(*out));
      });
}

void SqliteStore::ReportOutcomeAsync(
    std::string decision_id, std::string fingerprint, OutcomeJudge judge,
    std::function<void(absl::StatusOr<v1::OutcomeReport>)> done) {
  auto out = std::make_shared<v1::OutcomeReport>();
  SubmitWrite(
      [decision_id = std::move(decision_id),
       fingerprint = std::move(fingerprint), judge = std::move(judge),
       out](WriteContext& w) -> absl::Status {
        ASSIGN_OR_RETURN(std::optional<v1::OutcomeReport> stored,
                         StoredAnswer<v1::OutcomeReport>(
                             w, CallReportKind::kOutcome, "call outcome",
                             decision_id, fingerprint));
        if (stored.has_value()) {
          *out = *std::move(stored);
          return absl::OkStatus();
        }
        ASSIGN_OR_RETURN(LoggedDecision decision,
                         LoadDecision(w.db(), decision_id));
        ASSIGN_OR_RETURN(JudgedOutcome judged, judge(decision));
        *out = std::move(judged.report);
        const OutcomeChanges& changes = judged.changes;
        const Micros now = w.Now();
        const std::string actor = StrCat("agent:", out->agent_id());
        // The consents a stop request or a wrong party takes away.
        WithdrawScope scope{decision.customer_id, v1::PURPOSE_TELEMARKETING, "",
                            ""};
        if (changes.withdraw_company_consents) {
          scope.company_id = decision.company_id;
        } else if (changes.withdraw_number_consents) {
          scope.phone_pseudonym = decision.phone_pseudonym;
        }
        std::vector<std::string> to_withdraw;
        if (changes.withdraw_company_consents ||
            changes.withdraw_number_consents) {
          ASSIGN_OR_RETURN(to_withdraw, ConsentsInScope(w.db(), scope));
        }
        if (changes.do_not_solicit) {
          v1::DoNotSolicitEntry* e = out->add_do_not_solicit();
          e->set_entry_id(NewId("dns_"));
          e->set_customer_id(decision.customer_id);
          e->set_phone_masked(decision.phone_masked);
          e->set_company_id(decision.company_id);
          if (changes.all_goods_types) {
            e->set_all_goods_types(true);
          } else {
            e->set_goods_type(decision.goods_type);
          }
          *e->mutable_created_at() = FromMicros(now);
          e->set_source(out->outcome());
          e->set_decision_id(decision.decision_id);
          e->set_agent_id(out->agent_id());
          e->set_active(true);
        }
        for (const std::string& id : to_withdraw) {
          out->add_withdrawn_consent_ids(id);
        }
        // The outcome's entry records its effects; the entries' audit_seq
        // is that entry's.
        ASSIGN_OR_RETURN(uint64_t seq,
                         w.Append({"call.outcome", actor, decision.customer_id,
                                   ProtoJson(*out)}));
        out->set_audit_seq(seq);
        for (v1::DoNotSolicitEntry& e : *out->mutable_do_not_solicit()) {
          e.set_audit_seq(seq);
          RETURN_IF_ERROR(InsertDoNotSolicit(w, e, decision.phone_pseudonym));
        }
        if (!to_withdraw.empty()) {
          // A withdrawal entry like WithdrawConsent's, so that the consents'
          // history and the dashboards see it as one.
          const std::string evidence = StrCat("call:", decision.decision_id);
          const std::string reason =
              StrCat(v1::CallOutcome_Name(out->outcome()), " on call ",
                     decision.decision_id);
          v1::WithdrawalPayload payload;
          payload.set_customer_id(decision.customer_id);
          payload.set_purpose(v1::PURPOSE_TELEMARKETING);
          payload.set_company_id(scope.company_id);
          payload.set_channel(v1::CONSENT_CHANNEL_RECORDED_CALL);
          payload.set_evidence_ref(evidence);
          payload.set_reason(reason);
          payload.set_requested_by(actor);
          for (const auto& id : to_withdraw) payload.add_consent_ids(id);
          ASSIGN_OR_RETURN(uint64_t wseq, w.Append({"consent.withdrawn", actor,
                                                    decision.customer_id,
                                                    ProtoJson(payload)}));
          RETURN_IF_ERROR(WithdrawInScope(w, scope, now,
                                          v1::CONSENT_CHANNEL_RECORDED_CALL,
                                          evidence, reason, wseq)
                              .status());
        }
        std::string body;
        out->SerializeToString(&body);
        return InsertCallReport(w.db(), CallReportKind::kOutcome, decision_id,
                                seq, fingerprint, body);
      },
      /*changes_state=*/true,
      [out, done = std::move(done)](absl::Status s) {
        if (!s.ok()) return done(std::move(s));
        done(std::move(*out));
      });
}

absl::StatusOr<std::vector<v1::DoNotSolicitEntry>>
SqliteStore::ListDoNotSolicit(std::string_view customer_id,
                              std::string_view phone_pseudonym,
                              bool include_cleared) {
  ReadLease db = Acquire();
  RETURN_IF_ERROR(db.status());
  return ListDoNotSolicitRows(*db, customer_id, phone_pseudonym,
                              include_cleared);
}

absl::StatusOr<v1::DoNotSolicitEntry> SqliteStore::ClearDoNotSolicit(
    const v1::ClearDoNotSolicitRequest& req, Micros at) {
  v1::DoNotSolicitEntry out;
  absl::Status s = Write([&](WriteContext& w) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<StoredDoNotSolicit> stored,
                     ReadDoNotSolicit(w.db(), req.entry_id()));
    if (!stored.has_value()) {
      return absl::NotFoundError(
          StrCat("entry_id: no do-not-solicit entry ", req.entry_id()));
    }
    if (!stored->entry.active()) {
      return absl::FailedPreconditionError(
          StrCat("entry_id: ", req.entry_id(),
                 " was cleared already (audit "
                 "entry ",
                 stored->entry.cleared_audit_seq(), ")"));
    }
    out = stored->entry;
    out.set_active(false);
    *out.mutable_cleared_at() = FromMicros(at);
    out.set_cleared_evidence_ref(req.evidence_ref());
    out.set_cleared_by(req.requested_by());
    out.set_cleared_reason(req.reason());
    ASSIGN_OR_RETURN(uint64_t seq,
                     w.Append({"dnc.cleared", req.requested_by(),
                               out.customer_id(), ProtoJson(out)}));
    out.set_cleared_audit_seq(seq);
    return MarkDoNotSolicitCleared(w, out, stored->phone_pseudonym);
  });
  if (!s.ok()) return s;
  return out;
}

absl::StatusOr<std::vector<v1::ProvisionRecord>> SqliteStore::ProvisionsBySeq(
    const std::vector<uint64_t>& seqs) {
  ReadLease db = Acquire();
  RETURN_IF_ERROR(db.status());
  RETURN_IF_ERROR(db->Exec("BEGIN"));
  auto result = ReadProvisions(*db, seqs);
  (void)db->Exec("COMMIT");
  return result;
}

}  // namespace gatekeeper

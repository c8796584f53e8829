#include "daemon/server/services.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>

#include "daemon/common/crypto.h"
#include "daemon/common/strings.h"
#include "daemon/policy/campaign.h"
#include "daemon/policy/request_strings.h"
#include "daemon/policy/validate.h"
#include "daemon/server/fingerprint.h"
#include "daemon/server/new_consent.h"
#include "daemon/server/subject_report.h"
#include "gatekeeper/v1/audit_payload.pb.h"

namespace gatekeeper {

grpc::Status BoundedStrings(const google::protobuf::Message& request) {
  return ToGrpcStatus(policy::CheckRequestStrings(request));
}

grpc::Status ToGrpcStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()),
                      std::string(s.message()));
}

// ---- ConsentService ----

grpc::Status ConsentServiceImpl::RecordConsent(
    grpc::ServerContext* ctx, const v1::RecordConsentRequest* req,
    v1::ConsentRecord* resp) {
  if (auto caller = deps_.access.Check(
          *ctx, "/gatekeeper.v1.ConsentService/RecordConsent",
          {{"collected_by", req->collected_by()}});
      !caller.status.ok()) {
    return caller.status;
  }
  if (grpc::Status s = BoundedStrings(*req); !s.ok()) return s;
  auto c = ToNewConsent(*req, deps_.config.Get()->index, deps_.pseudonymizer,
                        deps_.clock.Now());
  if (!c.ok()) return ToGrpcStatus(c.status());
  auto record = deps_.store.RecordConsent(*c);
  if (!record.ok()) return ToGrpcStatus(record.status());
  *resp = *std::move(record);
  return grpc::Status::OK;
}

grpc::Status ConsentServiceImpl::WithdrawConsent(
    grpc::ServerContext* ctx, const v1::WithdrawConsentRequest* req,
    v1::WithdrawConsentResponse* resp) {
  if (auto caller = deps_.access.Check(
          *ctx, "/gatekeeper.v1.ConsentService/WithdrawConsent",
          {{"requested_by", req->requested_by()}});
      !caller.status.ok()) {
    return caller.status;
  }
  if (grpc::Status s = BoundedStrings(*req); !s.ok()) return s;
  if (absl::Status s =
          policy::ValidateWithdrawConsent(*req, deps_.config.Get()->index);
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  Withdrawal w{*req, Fingerprint(deps_.pseudonymizer, "WithdrawConsent", *req),
               deps_.clock.Now()};
  auto out = deps_.store.WithdrawConsent(w);
  if (!out.ok()) return ToGrpcStatus(out.status());
  *resp = *std::move(out);
  return grpc::Status::OK;
}

grpc::Status ConsentServiceImpl::ListConsents(
    grpc::ServerContext* ctx, const v1::ListConsentsRequest* req,
    v1::ListConsentsResponse* resp) {
  if (auto caller = deps_.access.Check(
          *ctx, "/gatekeeper.v1.ConsentService/ListConsents");
      !caller.status.ok()) {
    return caller.status;
  }
  if (grpc::Status s = BoundedStrings(*req); !s.ok()) return s;
  if (absl::Status s =
          policy::ValidateCustomerId("customer_id", req->customer_id());
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  auto out =
      deps_.store.ListConsents(req->customer_id(), req->include_history());
  if (!out.ok()) return ToGrpcStatus(out.status());
  for (auto& r : *out) *resp->add_consents() = std::move(r);
  return grpc::Status::OK;
}

grpc::Status ConsentServiceImpl::ListDoNotSolicit(
    grpc::ServerContext* ctx, const v1::ListDoNotSolicitRequest* req,
    v1::ListDoNotSolicitResponse* resp) {
  if (auto caller = deps_.access.Check(
          *ctx, "/gatekeeper.v1.ConsentService/ListDoNotSolicit");
      !caller.status.ok()) {
    return caller.status;
  }
  if (grpc::Status s = BoundedStrings(*req); !s.ok()) return s;
  auto phone = policy::ValidateListDoNotSolicit(*req);
  if (!phone.ok()) return ToGrpcStatus(phone.status());
  const std::string pseudonym =
      phone->has_value() ? deps_.pseudonymizer.Pseudonym((*phone)->e164) : "";
  auto out = deps_.store.ListDoNotSolicit(req->customer_id(), pseudonym,
                                          req->include_cleared());
  if (!out.ok()) return ToGrpcStatus(out.status());
  for (auto& e : *out) *resp->add_entries() = std::move(e);
  return grpc::Status::OK;
}

grpc::Status ConsentServiceImpl::ClearDoNotSolicit(
    grpc::ServerContext* ctx, const v1::ClearDoNotSolicitRequest* req,
    v1::DoNotSolicitEntry* resp) {
  if (auto caller = deps_.access.Check(
          *ctx, "/gatekeeper.v1.ConsentService/ClearDoNotSolicit",
          {{"requested_by", req->requested_by()}});
      !caller.status.ok()) {
    return caller.status;
  }
  if (grpc::Status s = BoundedStrings(*req); !s.ok()) return s;
  if (absl::Status s = policy::ValidateClearDoNotSolicit(*req); !s.ok()) {
    return ToGrpcStatus(s);
  }
  auto out = deps_.store.ClearDoNotSolicit(*req, deps_.clock.Now());
  if (!out.ok()) return ToGrpcStatus(out.status());
  *resp = *std::move(out);
  return grpc::Status::OK;
}

namespace {

// Counts rows and keeps the first rejections by row.
class ImportTally {
 public:
  explicit ImportTally(v1::ImportConsentsResponse* resp) : resp_(resp) {}

  void SetMaxErrors(uint32_t n) {
    max_errors_ = n == 0 ? kDefaultImportErrors : std::min(n, kMaxImportErrors);
  }

  void Count(ImportOutcome o, uint64_t row) {
    switch (o) {
      case ImportOutcome::kImported:
        resp_->set_imported(resp_->imported() + 1);
        break;
      case ImportOutcome::kAlreadyPresent:
        resp_->set_already_present(resp_->already_present() + 1);
        break;
      case ImportOutcome::kConflict:
        Reject(row, absl::AlreadyExistsError(
                        "request_id: was already used for a consent with "
                        "different content"));
        break;
    }
  }

  // `why`'s message starts with the field ("phone_number: ...").
  void Reject(uint64_t row, const absl::Status& why) {
    resp_->set_rejected(resp_->rejected() + 1);
    errors_.push_back({row, why});
  }

  // Rejections are found out of row order (validation before the store's
  // conflicts); the response lists the first ones by row.
  void Finish() {
    std::sort(errors_.begin(), errors_.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [row, why] : errors_) {
      if (static_cast<uint32_t>(resp_->errors_size()) >= max_errors_) break;
      v1::ImportError* e = resp_->add_errors();
      e->set_row(row);
      const std::string m(why.message());
      const size_t colon = m.find(": ");
      if (colon != std::string::npos) {
        e->set_field(std::string(m.substr(0, colon)));
        e->set_reason(std::string(m.substr(colon + 2)));
      } else {
        e->set_reason(std::string(m));
      }
      e->set_code(static_cast<int32_t>(why.code()));
    }
  }

  // Keeps memory bounded on a file full of bad rows: only the first
  // max_errors_ by row can be reported, and rows only grow from one message
  // to the next.
  void Trim() {
    if (errors_.size() <= 2 * static_cast<size_t>(max_errors_)) return;
    std::sort(errors_.begin(), errors_.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    errors_.resize(max_errors_);
  }

 private:
  v1::ImportConsentsResponse* resp_;
  uint32_t max_errors_ = kDefaultImportErrors;
  std::vector<std::pair<uint64_t, absl::Status>> errors_;
};

}  // namespace

grpc::Status ConsentServiceImpl::ImportConsents(
    grpc::ServerContext* ctx,
    grpc::ServerReader<v1::ImportConsentsRequest>* reader,
    v1::ImportConsentsResponse* resp) {
  const auto caller = deps_.access.CheckStream(
      *ctx, "/gatekeeper.v1.ConsentService/ImportConsents");
  if (!caller.status.ok()) return caller.status;
  const int max_rows =
      static_cast<int>(deps_.config.Get()->config().limits().max_batch_items());
  ImportTally tally(resp);
  v1::ImportConsentsRequest msg;
  uint64_t next_row = 1;
  bool first = true;
  bool validate_only = false;
  std::vector<NewConsent> batch;
  std::vector<uint64_t> rows;  // batch[i] is row rows[i]
  while (reader->Read(&msg)) {
    if (first) {
      validate_only = msg.validate_only();
      tally.SetMaxErrors(msg.max_errors());
    }
    first = false;
    const uint64_t base = next_row;
    next_row += static_cast<uint64_t>(msg.consents_size());
    if (msg.consents_size() > max_rows) {
      return grpc::Status(
          grpc::StatusCode::INVALID_ARGUMENT,
          StrCat("consents: rows ", base, " to ", next_row - 1, ": at most ",
                 max_rows,
                 " rows a message (limits.max_batch_items; rows before were "
                 "processed)"));
    }
    // request_id is checked for the whole message first, so that nothing of
    // a message with a row missing it is stored.
    for (int i = 0; i < msg.consents_size(); ++i) {
      if (msg.consents(i).request_id().empty()) {
        return grpc::Status(
            grpc::StatusCode::INVALID_ARGUMENT,
            StrCat("row ", base + static_cast<uint64_t>(i),
                   ": request_id: is required for an import (rows of "
                   "earlier messages were processed)"));
      }
    }
    const auto config = deps_.config.Get();
    const Micros now = deps_.clock.Now();
    batch.clear();
    rows.clear();
    batch.reserve(static_cast<size_t>(msg.consents_size()));
    for (int i = 0; i < msg.consents_size(); ++i) {
      const uint64_t row = base + static_cast<uint64_t>(i);
      auto c = ToNewConsent(msg.consents(i), config->index, deps_.pseudonymizer,
                            now);
      if (!c.ok()) {
        tally.Reject(row, c.status());
        continue;
      }
      batch.push_back(*std::move(c));
      rows.push_back(row);
    }
    if (!batch.empty()) {
      auto outcomes = validate_only ? deps_.store.ClassifyImport(batch)
                                    : deps_.store.ImportConsentBatch(batch);
      if (!outcomes.ok()) return ToGrpcStatus(outcomes.status());
      for (size_t i = 0; i < outcomes->size(); ++i) {
        tally.Count((*outcomes)[i], rows[i]);
      }
    }
    tally.Trim();
  }
  // Read ends the same way when the call was cancelled (by the client, or
  // by limits.default_deadline_ms): the rows stored so far stay stored.
  if (ctx->IsCancelled()) return grpc::Status::CANCELLED;
  resp->set_validate_only(validate_only);
  tally.Finish();
  return grpc::Status::OK;
}

grpc::Status ConsentServiceImpl::ExportConsents(
    grpc::ServerContext* ctx, const v1::ExportConsentsRequest* req,
    grpc::ServerWriter<v1::ExportConsentsResponse>* writer) {
  const auto caller = deps_.access.CheckStream(
      *ctx, "/gatekeeper.v1.ConsentService/ExportConsents",
      {{"requested_by", req->requested_by()}});
  if (!caller.status.ok()) return caller.status;
  if (grpc::Status s = BoundedStrings(*req); !s.ok()) return s;
  if (absl::Status s = policy::ValidateExportConsents(*req); !s.ok()) {
    return ToGrpcStatus(s);
  }
  const Micros now = deps_.clock.Now();
  // Logged first: no consent leaves without the entry saying who took it.
  v1::ConsentsExportedPayload logged;
  logged.set_customer_id(req->customer_id());
  logged.set_requested_by(req->requested_by());
  std::string json;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(logged, &json, opts);
  auto seq = deps_.store.LogEvent({"consent.exported", req->requested_by(),
                                   req->customer_id(), std::move(json)});
  if (!seq.ok()) return ToGrpcStatus(seq.status());
  std::string after;
  bool sent = false;
  while (true) {
    auto page =
        deps_.store.ConsentPage(req->customer_id(), after, kExportPageSize);
    if (!page.ok()) return ToGrpcStatus(page.status());
    // An empty export still answers once, with as_of and audit_seq.
    if (page->empty() && sent) break;
    sent = true;
    v1::ExportConsentsResponse out;
    *out.mutable_as_of() = FromMicros(now);
    out.set_audit_seq(*seq);
    if (!page->empty()) after = page->back().consent_id();
    const bool last = page->size() < kExportPageSize;
    for (auto& r : *page) *out.add_consents() = std::move(r);
    if (ctx->IsCancelled() || !writer->Write(out)) {
      return grpc::Status(grpc::StatusCode::CANCELLED, "the client went away");
    }
    if (last) break;
  }
  return grpc::Status::OK;
}

// ---- CampaignService ----

grpc::Status CampaignServiceImpl::CreateCampaign(
    grpc::ServerContext* ctx, const v1::CreateCampaignRequest* req,
    v1::Campaign* resp) {
  const auto caller =
      deps_.access.Check(*ctx, "/gatekeeper.v1.CampaignService/CreateCampaign",
                         {{"actor", req->actor()}});
  if (!caller.status.ok()) return caller.status;
  if (grpc::Status s = BoundedStrings(*req); !s.ok()) return s;
  if (absl::Status s =
          policy::ValidateCreateCampaign(*req, deps_.config.Get()->index);
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  v1::Campaign draft = policy::NewDraft(*req, deps_.clock.Now());
  if (caller.principal) draft.set_created_by_principal(caller.principal->name);
  auto out = deps_.store.CreateCampaign(draft, req->actor());
  if (!out.ok()) return ToGrpcStatus(out.status());
  *resp = *std::move(out);
  return grpc::Status::OK;
}

grpc::Status CampaignServiceImpl::ApproveCampaign(
    grpc::ServerContext* ctx, const v1::ApproveCampaignRequest* req,
    v1::Campaign* resp) {
  const auto caller =
      deps_.access.Check(*ctx, "/gatekeeper.v1.CampaignService/ApproveCampaign",
                         {{"approver", req->approver()}});
  if (!caller.status.ok()) return caller.status;
  if (grpc::Status s = BoundedStrings(*req); !s.ok()) return s;
  if (absl::Status s =
          policy::ValidateCampaignId("campaign_id", req->campaign_id());
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  if (req->approver().empty()) {
    return ToGrpcStatus(absl::InvalidArgumentError("approver: is required"));
  }
  const Micros now = deps_.clock.Now();
  const std::shared_ptr<const ConfigSnapshot> config = deps_.config.Get();
  auto out = deps_.store.TransitionCampaign(
      req->campaign_id(), "campaign.approved", req->approver(),
      [&](const v1::Campaign& c) {
        return policy::Approve(c, req->approver(),
                               caller.principal ? caller.principal->name : "",
                               now,
                               {config->config().ad_display_items().begin(),
                                config->config().ad_display_items().end()});
      });
  if (!out.ok()) return ToGrpcStatus(out.status());
  *resp = *std::move(out);
  return grpc::Status::OK;
}

grpc::Status CampaignServiceImpl::RetireCampaign(
    grpc::ServerContext* ctx, const v1::RetireCampaignRequest* req,
    v1::Campaign* resp) {
  if (auto caller = deps_.access.Check(
          *ctx, "/gatekeeper.v1.CampaignService/RetireCampaign",
          {{"actor", req->actor()}});
      !caller.status.ok()) {
    return caller.status;
  }
  if (grpc::Status s = BoundedStrings(*req); !s.ok()) return s;
  if (absl::Status s =
          policy::ValidateCampaignId("campaign_id", req->campaign_id());
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  if (req->actor().empty()) {
    return ToGrpcStatus(absl::InvalidArgumentError("actor: is required"));
  }
  auto out = deps_.store.TransitionCampaign(
      req->campaign_id(), "campaign.retired", req->actor(),
      [](const v1::Campaign& c) { return policy::Retire(c); });
  if (!out.ok()) return ToGrpcStatus(out.status());
  *resp = *std::move(out);
  return grpc::Status::OK;
}

grpc::Status CampaignServiceImpl::GetCampaign(grpc::ServerContext* ctx,
                                              const v1::GetCampaignRequest* req,
                                              v1::Campaign* resp) {
  if (auto caller = deps_.access.Check(
          *ctx, "/gatekeeper.v1.CampaignService/GetCampaign");
      !caller.status.ok()) {
    return caller.status;
  }
  if (grpc::Status s = BoundedStrings(*req); !s.ok()) return s;
  if (absl::Status s =
          policy::ValidateCampaignId("campaign_id", req->campaign_id());
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  auto out = deps_.store.GetCampaign(req->campaign_id());
  if (!out.ok()) return ToGrpcStatus(out.status());
  if (*out == nullptr) {
    return grpc::Status(
        grpc::StatusCode::NOT_FOUND,
        StrCat("campaign_id: no campaign \"", req->campaign_id(), "\""));
  }
  *resp = **std::move(out);
  return grpc::Status::OK;
}

grpc::Status CampaignServiceImpl::ListCampaigns(
    grpc::ServerContext* ctx, const v1::ListCampaignsRequest* req,
    v1::ListCampaignsResponse* resp) {
  if (auto caller = deps_.access.Check(
          *ctx, "/gatekeeper.v1.CampaignService/ListCampaigns");
      !caller.status.ok()) {
    return caller.status;
  }
  if (grpc::Status s = BoundedStrings(*req); !s.ok()) return s;
  auto out = deps_.store.ListCampaigns();
  if (!out.ok()) return ToGrpcStatus(out.status());
  for (auto& c : *out) {
    if (!req->company_id().empty() && c.company_id() != req->company_id()) {
      continue;
    }
    if (req->kind() != v1::CAMPAIGN_KIND_UNSPECIFIED &&
        c.kind() != req->kind()) {
      continue;
    }
    *resp->add_campaigns() = std::move(c);
  }
  return grpc::Status::OK;
}

// ---- AuditService ----

grpc::Status AuditServiceImpl::QueryAudit(
    grpc::ServerContext* ctx, const v1::QueryAuditRequest* req,
    grpc::ServerWriter<v1::AuditEntry>* writer) {
  const auto caller =
      deps_.access.CheckStream(*ctx, "/gatekeeper.v1.AuditService/QueryAudit");
  if (!caller.status.ok()) return caller.status;
  if (grpc::Status s = BoundedStrings(*req); !s.ok()) return s;
  constexpr uint32_t kDefaultLimit = 1000, kMaxLimit = 100000;
  if (req->limit() > kMaxLimit) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        StrCat("limit: must be at most ", kMaxLimit)));
  }
  const uint32_t limit = req->limit() == 0 ? kDefaultLimit : req->limit();
  absl::Status member_error;
  absl::Status s = deps_.store.ScanAudit(
      req->after_seq(), limit, req->customer_id(), [&](const AuditRecord& r) {
        if (ctx->IsCancelled()) return false;
        v1::AuditEntry e = ToAuditEntry(r);
        if ((!req->customer_id().empty() || req->expand_print_batches()) &&
            r.kind == "print.batch") {
          // The customer's documents in the batch, which the entry's
          // payload commits to by hash.
          auto members =
              PrintBatchMembers(deps_.store, r.seq, req->customer_id());
          if (!members.ok()) {
            member_error = members.status();
            return false;
          }
          std::string json = "[";
          for (const v1::PrintedDocument& m : *members) {
            std::string one;
            google::protobuf::util::JsonPrintOptions opts;
            opts.preserve_proto_field_names = true;
            (void)google::protobuf::util::MessageToJsonString(m, &one, opts);
            if (json.size() > 1) json += ",";
            json += one;
          }
          e.set_member_json(json + "]");
        }
        return writer->Write(e);
      });
  return ToGrpcStatus(s.ok() ? member_error : s);
}

grpc::Status AuditServiceImpl::VerifyAudit(grpc::ServerContext* ctx,
                                           const v1::VerifyAuditRequest*,
                                           v1::VerifyAuditResponse* resp) {
  if (auto caller =
          deps_.access.Check(*ctx, "/gatekeeper.v1.AuditService/VerifyAudit");
      !caller.status.ok()) {
    return caller.status;
  }
  auto r = deps_.store.VerifyAudit();
  if (last_verify_ != nullptr) last_verify_->Record(deps_.clock.Now(), r);
  if (!r.ok()) return ToGrpcStatus(r.status());
  resp->set_ok(r->ok);
  resp->set_entries_checked(r->entries_checked);
  resp->set_first_bad_seq(r->first_bad_seq);
  resp->set_detail(r->detail);
  resp->set_head_hash(ToHex(r->head_hash));
  return grpc::Status::OK;
}

grpc::Status AuditServiceImpl::SubjectReport(
    grpc::ServerContext* ctx, const v1::SubjectReportRequest* req,
    v1::SubjectReportResponse* resp) {
  if (auto caller =
          deps_.access.Check(*ctx, "/gatekeeper.v1.AuditService/SubjectReport",
                             {{"requested_by", req->requested_by()}});
      !caller.status.ok()) {
    return caller.status;
  }
  if (grpc::Status s = BoundedStrings(*req); !s.ok()) return s;
  if (absl::Status s = policy::ValidateSubjectReport(*req); !s.ok()) {
    return ToGrpcStatus(s);
  }
  auto out = BuildSubjectReport(deps_.store, *req, deps_.clock.Now());
  if (!out.ok()) return ToGrpcStatus(out.status());
  *resp = *std::move(out);
  return grpc::Status::OK;
}

// ---- Gates ----

grpc::ServerUnaryReactor* InsertGateImpl::CheckInsert(
    grpc::CallbackServerContext* ctx, const v1::CheckInsertRequest* req,
    v1::Decision* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (auto caller =
          access_.Check(*ctx, "/gatekeeper.v1.InsertGate/CheckInsert");
      !caller.status.ok()) {
    reactor->Finish(caller.status);
    return reactor;
  }
  if (grpc::Status s = BoundedStrings(*req); !s.ok()) {
    reactor->Finish(s);
    return reactor;
  }
  gates_.CheckInsert(
      *req, [reactor, resp, checks = checks_](absl::StatusOr<v1::Decision> d) {
        if (d.ok()) *resp = *std::move(d);
        if (checks != nullptr)
          checks->Count(static_cast<int>(d.status().code()));
        reactor->Finish(ToGrpcStatus(d.status()));
      });
  return reactor;
}

grpc::ServerUnaryReactor* DialGateImpl::CheckDial(
    grpc::CallbackServerContext* ctx, const v1::CheckDialRequest* req,
    v1::CheckDialResponse* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (auto caller = access_.Check(*ctx, "/gatekeeper.v1.DialGate/CheckDial",
                                  {{"agent_id", req->agent_id()}});
      !caller.status.ok()) {
    reactor->Finish(caller.status);
    return reactor;
  }
  if (grpc::Status s = BoundedStrings(*req); !s.ok()) {
    reactor->Finish(s);
    return reactor;
  }
  gates_.CheckDial(*req, [reactor, resp, checks = checks_](
                             absl::StatusOr<v1::CheckDialResponse> d) {
    if (d.ok()) *resp = *std::move(d);
    if (checks != nullptr) checks->Count(static_cast<int>(d.status().code()));
    reactor->Finish(ToGrpcStatus(d.status()));
  });
  return reactor;
}

grpc::ServerUnaryReactor* DialGateImpl::ReportDisclosure(
    grpc::CallbackServerContext* ctx, const v1::ReportDisclosureRequest* req,
    v1::ReportDisclosureResponse* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (auto caller =
          access_.Check(*ctx, "/gatekeeper.v1.DialGate/ReportDisclosure",
                        {{"agent_id", req->agent_id()}});
      !caller.status.ok()) {
    reactor->Finish(caller.status);
    return reactor;
  }
  if (grpc::Status s = BoundedStrings(*req); !s.ok()) {
    reactor->Finish(s);
    return reactor;
  }
  reports_.ReportDisclosure(
      *req, [reactor, resp](absl::StatusOr<v1::ReportDisclosureResponse> r) {
        if (r.ok()) *resp = *std::move(r);
        reactor->Finish(ToGrpcStatus(r.status()));
      });
  return reactor;
}

grpc::ServerUnaryReactor* DialGateImpl::ReportOutcome(
    grpc::CallbackServerContext* ctx, const v1::ReportOutcomeRequest* req,
    v1::ReportOutcomeResponse* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  if (auto caller = access_.Check(*ctx, "/gatekeeper.v1.DialGate/ReportOutcome",
                                  {{"agent_id", req->agent_id()}});
      !caller.status.ok()) {
    reactor->Finish(caller.status);
    return reactor;
  }
  if (grpc::Status s = BoundedStrings(*req); !s.ok()) {
    reactor->Finish(s);
    return reactor;
  }
  reports_.ReportOutcome(
      *req, [reactor, resp](absl::StatusOr<v1::ReportOutcomeResponse> r) {
        if (r.ok()) *resp = *std::move(r);
        reactor->Finish(ToGrpcStatus(r.status()));
      });
  return reactor;
}

}  // namespace gatekeeper

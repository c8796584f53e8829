#include "daemon/server/services.h"

#include <google/protobuf/util/json_util.h>

#include "daemon/common/crypto.h"
#include "daemon/common/strings.h"
#include "daemon/policy/campaign.h"
#include "daemon/policy/validate.h"
#include "daemon/server/fingerprint.h"
#include "daemon/server/subject_report.h"

namespace gatekeeper {

grpc::Status ToGrpcStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()),
                      std::string(s.message()));
}

// ---- ConsentService ----

grpc::Status ConsentServiceImpl::RecordConsent(
    grpc::ServerContext*, const v1::RecordConsentRequest* req,
    v1::ConsentRecord* resp) {
  const Micros now = deps_.clock.Now();
  auto phone =
      policy::ValidateRecordConsent(*req, deps_.config.Get()->index, now);
  if (!phone.ok()) return ToGrpcStatus(phone.status());
  NewConsent c;
  c.consent_id = NewId("cns_");
  c.request_id = req->request_id();
  c.fingerprint = Fingerprint(deps_.pseudonymizer, "RecordConsent", *req);
  c.customer_id = req->customer_id();
  c.purpose = req->purpose();
  c.company_id = req->company_id();
  if (phone->has_value()) {
    c.phone_pseudonym = deps_.pseudonymizer.Pseudonym((*phone)->e164);
    c.phone_masked = (*phone)->masked;
  }
  c.notice_id = req->notice_id();
  c.channel = req->channel();
  c.evidence_ref = req->evidence_ref();
  c.collected_at =
      req->has_collected_at() ? ToMicros(req->collected_at()) : now;
  c.expires_at = req->has_expires_at() ? ToMicros(req->expires_at()) : 0;
  c.collected_by = req->collected_by();
  c.recorded_at = now;
  auto record = deps_.store.RecordConsent(c);
  if (!record.ok()) return ToGrpcStatus(record.status());
  *resp = *std::move(record);
  return grpc::Status::OK;
}

grpc::Status ConsentServiceImpl::WithdrawConsent(
    grpc::ServerContext*, const v1::WithdrawConsentRequest* req,
    v1::WithdrawConsentResponse* resp) {
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
    grpc::ServerContext*, const v1::ListConsentsRequest* req,
    v1::ListConsentsResponse* resp) {
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
    grpc::ServerContext*, const v1::ListDoNotSolicitRequest* req,
    v1::ListDoNotSolicitResponse* resp) {
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
    grpc::ServerContext*, const v1::ClearDoNotSolicitRequest* req,
    v1::DoNotSolicitEntry* resp) {
  if (absl::Status s = policy::ValidateClearDoNotSolicit(*req); !s.ok()) {
    return ToGrpcStatus(s);
  }
  auto out = deps_.store.ClearDoNotSolicit(*req, deps_.clock.Now());
  if (!out.ok()) return ToGrpcStatus(out.status());
  *resp = *std::move(out);
  return grpc::Status::OK;
}

// ---- CampaignService ----

grpc::Status CampaignServiceImpl::CreateCampaign(
    grpc::ServerContext*, const v1::CreateCampaignRequest* req,
    v1::Campaign* resp) {
  if (absl::Status s =
          policy::ValidateCreateCampaign(*req, deps_.config.Get()->index);
      !s.ok()) {
    return ToGrpcStatus(s);
  }
  auto out = deps_.store.CreateCampaign(
      policy::NewDraft(*req, deps_.clock.Now()), req->actor());
  if (!out.ok()) return ToGrpcStatus(out.status());
  *resp = *std::move(out);
  return grpc::Status::OK;
}

grpc::Status CampaignServiceImpl::ApproveCampaign(
    grpc::ServerContext*, const v1::ApproveCampaignRequest* req,
    v1::Campaign* resp) {
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
        return policy::Approve(c, req->approver(), now,
                               {config->config().ad_display_items().begin(),
                                config->config().ad_display_items().end()});
      });
  if (!out.ok()) return ToGrpcStatus(out.status());
  *resp = *std::move(out);
  return grpc::Status::OK;
}

grpc::Status CampaignServiceImpl::RetireCampaign(
    grpc::ServerContext*, const v1::RetireCampaignRequest* req,
    v1::Campaign* resp) {
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

grpc::Status CampaignServiceImpl::GetCampaign(grpc::ServerContext*,
                                              const v1::GetCampaignRequest* req,
                                              v1::Campaign* resp) {
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
    grpc::ServerContext*, const v1::ListCampaignsRequest* req,
    v1::ListCampaignsResponse* resp) {
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

grpc::Status AuditServiceImpl::VerifyAudit(grpc::ServerContext*,
                                           const v1::VerifyAuditRequest*,
                                           v1::VerifyAuditResponse* resp) {
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
    grpc::ServerContext*, const v1::SubjectReportRequest* req,
    v1::SubjectReportResponse* resp) {
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
  reports_.ReportOutcome(
      *req, [reactor, resp](absl::StatusOr<v1::ReportOutcomeResponse> r) {
        if (r.ok()) *resp = *std::move(r);
        reactor->Finish(ToGrpcStatus(r.status()));
      });
  return reactor;
}

}  // namespace gatekeeper

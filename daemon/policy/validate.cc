#include "daemon/policy/validate.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "daemon/common/strings.h"

namespace gatekeeper::policy {
namespace {

absl::Status Invalid(std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(StrCat(field, ": ", what));
}

// Free text that ends up in records: bounded and without control characters.
absl::Status ValidateText(std::string_view field, std::string_view s,
                          bool required, size_t max = 256) {
  if (s.empty()) {
    return required ? Invalid(field, "is required") : absl::OkStatus();
  }
  if (s.size() > max) {
    return Invalid(field, StrCat("is longer than ", max, " bytes"));
  }
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) {
      return Invalid(field, "contains a control character");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateChannel(std::string_view field, v1::ConsentChannel ch) {
  if (ch == v1::CONSENT_CHANNEL_UNSPECIFIED)
    return Invalid(field, "is required");
  if (!v1::ConsentChannel_IsValid(ch)) return Invalid(field, "unknown value");
  return absl::OkStatus();
}

absl::Status ValidatePurpose(std::string_view field, v1::Purpose p,
                             bool required) {
  if (p == v1::PURPOSE_UNSPECIFIED) {
    return required ? Invalid(field, "is required") : absl::OkStatus();
  }
  if (!v1::Purpose_IsValid(p)) return Invalid(field, "unknown value");
  return absl::OkStatus();
}

absl::Status ValidateCompany(std::string_view field, std::string_view id,
                             const ConfigIndex& config) {
  if (id.empty()) return Invalid(field, "is required");
  if (config.FindCompany(id) == nullptr) {
    return Invalid(field, StrCat("unknown company \"", id,
                                 "\" (not in the configuration)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateCustomerId(std::string_view field, std::string_view id) {
  return ValidateText(field, id, /*required=*/true, 128);
}

absl::Status ValidateCampaignId(std::string_view field, std::string_view id) {
  if (id.empty()) return Invalid(field, "is required");
  if (id.size() > 64) return Invalid(field, "is longer than 64 characters");
  for (char c : id) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '.') {
      return Invalid(field, "may only contain [A-Za-z0-9._-]");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<ParsedPhone>> ValidateRecordConsent(
    const v1::RecordConsentRequest& req, const ConfigIndex& config,
    Micros now) {
  absl::Status s;
  if (!(s = ValidateText("request_id", req.request_id(), false, 128)).ok() ||
      !(s = ValidateCustomerId("customer_id", req.customer_id())).ok() ||
      !(s = ValidatePurpose("purpose", req.purpose(), true)).ok() ||
      !(s = ValidateCompany("company_id", req.company_id(), config)).ok() ||
      !(s = ValidateChannel("channel", req.channel())).ok() ||
      !(s = ValidateText("evidence_ref", req.evidence_ref(), true)).ok() ||
      !(s = ValidateText("collected_by", req.collected_by(), true, 128)).ok()) {
    return s;
  }
  if (req.notice_id().empty()) return Invalid("notice_id", "is required");
  const Notice* notice = config.FindNotice(req.notice_id());
  if (notice == nullptr) {
    return Invalid("notice_id", StrCat("unknown notice \"", req.notice_id(),
                                       "\" (not in the configuration)"));
  }
  if (notice->purpose() != req.purpose()) {
    return Invalid("notice_id",
                   StrCat("notice \"", notice->id(), "\" covers ",
                          v1::Purpose_Name(notice->purpose()), ", not ",
                          v1::Purpose_Name(req.purpose())));
  }
  bool names_company = false;
  for (const auto& c : notice->company_ids()) {
    names_company = names_company || c == req.company_id();
  }
  if (!names_company) {
    return Invalid("notice_id", StrCat("notice \"", notice->id(),
                                       "\" does not name company \"",
                                       req.company_id(), "\""));
  }
  if (req.has_collected_at()) {
    const Micros collected = ToMicros(req.collected_at());
    if (collected > now + kMaxClockSkew) {
      return Invalid("collected_at", "is in the future");
    }
    if (req.has_expires_at() && ToMicros(req.expires_at()) <= collected) {
      return Invalid("expires_at", "must be later than collected_at");
    }
  } else if (req.has_expires_at() && ToMicros(req.expires_at()) <= now) {
    return Invalid("expires_at", "must be later than collected_at");
  }
  if (req.purpose() == v1::PURPOSE_TELEMARKETING) {
    if (req.phone_number().empty()) {
      return Invalid("phone_number", "is required for PURPOSE_TELEMARKETING");
    }
    auto phone = ParsePhone(req.phone_number());
    if (!phone.ok())
      return Invalid("phone_number", std::string(phone.status().message()));
    return std::optional<ParsedPhone>(*std::move(phone));
  }
  if (!req.phone_number().empty()) {
    return Invalid("phone_number",
                   "must be empty for PURPOSE_AD_INSERT (not collected without "
                   "need)");
  }
  return std::optional<ParsedPhone>();
}

absl::Status ValidateWithdrawConsent(const v1::WithdrawConsentRequest& req,
                                     const ConfigIndex& config) {
  absl::Status s;
  if (!(s = ValidateText("request_id", req.request_id(), false, 128)).ok() ||
      !(s = ValidateCustomerId("customer_id", req.customer_id())).ok() ||
      !(s = ValidatePurpose("purpose", req.purpose(), false)).ok() ||
      !(s = ValidateChannel("channel", req.channel())).ok() ||
      !(s = ValidateText("evidence_ref", req.evidence_ref(), false)).ok() ||
      !(s = ValidateText("reason", req.reason(), false, 1024)).ok() ||
      !(s = ValidateText("requested_by", req.requested_by(), false, 128))
           .ok()) {
    return s;
  }
  if (!req.company_id().empty()) {
    return ValidateCompany("company_id", req.company_id(), config);
  }
  return absl::OkStatus();
}

absl::Status ValidateCreateCampaign(const v1::CreateCampaignRequest& req,
                                    const ConfigIndex& config) {
  if (!req.has_campaign()) return Invalid("campaign", "is required");
  const v1::Campaign& c = req.campaign();
  absl::Status s;
  if (!(s = ValidateCampaignId("campaign.campaign_id", c.campaign_id())).ok() ||
      !(s = ValidateCompany("campaign.company_id", c.company_id(), config))
           .ok() ||
      !(s = ValidateText("campaign.goods_type", c.goods_type(),
                         c.kind() == v1::CAMPAIGN_KIND_CALL))
           .ok() ||
      !(s = ValidateText("campaign.description", c.description(), false, 1024))
           .ok() ||
      !(s = ValidateText("actor", req.actor(), true, 128)).ok()) {
    return s;
  }
  if (c.kind() == v1::CAMPAIGN_KIND_UNSPECIFIED) {
    return Invalid("campaign.kind", "is required");
  }
  if (!v1::CampaignKind_IsValid(c.kind())) {
    return Invalid("campaign.kind", "unknown value");
  }
  if (!c.has_starts_at()) return Invalid("campaign.starts_at", "is required");
  if (!c.has_ends_at()) return Invalid("campaign.ends_at", "is required");
  if (ToMicros(c.ends_at()) <= ToMicros(c.starts_at())) {
    return Invalid("campaign.ends_at", "must be later than starts_at");
  }
  for (const auto& [k, v] : c.disclosures()) {
    if (!(s = ValidateText(StrCat("campaign.disclosures[", k, "]"), v, false,
                           4096))
             .ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateCheckInsert(const v1::CheckInsertRequest& req) {
  absl::Status s;
  if (!(s = ValidateCustomerId("customer_id", req.customer_id())).ok() ||
      !(s = ValidateCampaignId("campaign_id", req.campaign_id())).ok() ||
      !(s = ValidateText("print_run_id", req.print_run_id(), false, 128))
           .ok() ||
      !(s = ValidateText("document_id", req.document_id(), false, 128)).ok()) {
    return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<ParsedPhone> ValidateCheckDial(const v1::CheckDialRequest& req,
                                              const KnownPhone& known) {
  absl::Status s;
  if (!(s = ValidateCampaignId("campaign_id", req.campaign_id())).ok() ||
      !(s = ValidateText("agent_id", req.agent_id(), true, 128)).ok()) {
    return s;
  }
  if (!req.customer_id().empty()) {
    if (!(s = ValidateCustomerId("customer_id", req.customer_id())).ok()) {
      return s;
    }
  }
  if (req.phone_number().empty()) return Invalid("phone_number", "is required");
  if (known) {
    if (auto e164 = JapaneseE164Candidate(req.phone_number())) {
      if (auto phone = known(*e164)) return *std::move(phone);
    }
  }
  auto phone = ParsePhone(req.phone_number());
  if (!phone.ok())
    return Invalid("phone_number", std::string(phone.status().message()));
  return *std::move(phone);
}

}  // namespace gatekeeper::policy

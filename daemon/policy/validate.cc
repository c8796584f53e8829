#include "daemon/policy/validate.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "daemon/common/local_time.h"
#include "daemon/common/strings.h"
#include "daemon/policy/request_strings.h"

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
  return CheckText(field, s, max);
}

// A phone number is parsed only when it is of a sane length (the message
// does not echo it).
absl::Status PhoneLength(std::string_view number) {
  if (number.size() > 64)
    return Invalid("phone_number", "is longer than 64 bytes");
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
  if (absl::Status s = ValidateText(field, id, /*required=*/true, 64);
      !s.ok()) {
    return s;
  }
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
  if (!(s = ValidateText("notice_id", req.notice_id(), true, 64)).ok()) {
    return s;
  }
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
    if (absl::Status p = PhoneLength(req.phone_number()); !p.ok()) return p;
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
  if (!v1::Regime_IsValid(c.regime())) {
    return Invalid("campaign.regime", "unknown value");
  }
  const bool has_window =
      !c.calling_window_start().empty() || !c.calling_window_end().empty();
  if (c.kind() != v1::CAMPAIGN_KIND_CALL) {
    if (c.regime() != v1::REGIME_UNSPECIFIED) {
      return Invalid("campaign.regime", "is for CALL campaigns only");
    }
    if (has_window) {
      return Invalid(c.calling_window_start().empty()
                         ? "campaign.calling_window_end"
                         : "campaign.calling_window_start",
                     "is for CALL campaigns only");
    }
  } else if (has_window) {
    if (c.calling_window_start().empty() || c.calling_window_end().empty()) {
      return Invalid(c.calling_window_start().empty()
                         ? "campaign.calling_window_start"
                         : "campaign.calling_window_end",
                     "is required with the other (both or neither)");
    }
    auto ws = ParseTimeOfDay(c.calling_window_start(), false);
    if (!ws.ok()) {
      return Invalid("campaign.calling_window_start",
                     std::string(ws.status().message()));
    }
    auto we = ParseTimeOfDay(c.calling_window_end(), true);
    if (!we.ok()) {
      return Invalid("campaign.calling_window_end",
                     std::string(we.status().message()));
    }
    if (*we <= *ws) {
      return Invalid("campaign.calling_window_end",
                     "must be later than calling_window_start");
    }
  }
  if (c.kind() == v1::CAMPAIGN_KIND_INSERT) {
    if (!c.leaflet_sha256().empty()) {
      bool hex = c.leaflet_sha256().size() == 64;
      for (char ch : c.leaflet_sha256()) hex = hex && absl::ascii_isxdigit(ch);
      if (!hex) {
        return Invalid("campaign.leaflet_sha256",
                       "expected the SHA-256 of the artwork: 64 hex digits");
      }
    }
    if (!(s = ValidateText("campaign.legal_review_id", c.legal_review_id(),
                           false, 128))
             .ok()) {
      return s;
    }
  } else if (!c.leaflet_sha256().empty() || !c.legal_review_id().empty()) {
    return Invalid(c.leaflet_sha256().empty() ? "campaign.legal_review_id"
                                              : "campaign.leaflet_sha256",
                   "is for INSERT campaigns only");
  }
  for (const auto& [k, v] : c.disclosures()) {
    bool key_ok = !k.empty() && k.size() <= 64;
    for (char ch : k) {
      key_ok = key_ok &&
               (absl::ascii_isalnum(ch) || ch == '_' || ch == '-' || ch == '.');
    }
    if (!key_ok) {
      return Invalid("campaign.disclosures",
                     "keys are 1-64 characters of [A-Za-z0-9_.-], e.g. PRICE");
    }
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
  if (absl::Status p = PhoneLength(req.phone_number()); !p.ok()) return p;
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

absl::Status ValidateDecisionId(std::string_view field, std::string_view id) {
  if (id.empty()) return Invalid(field, "is required");
  constexpr std::string_view kPrefix = "dec_";
  bool ok = id.size() == kPrefix.size() + 32 && id.rfind(kPrefix, 0) == 0;
  for (size_t i = kPrefix.size(); ok && i < id.size(); ++i) {
    ok = absl::ascii_isdigit(id[i]) || (id[i] >= 'a' && id[i] <= 'f');
  }
  if (!ok) {
    return Invalid(field, "is not a decision id (dec_ and 32 hex digits)");
  }
  return absl::OkStatus();
}

absl::Status ValidateReportDisclosure(const v1::ReportDisclosureRequest& req,
                                      Micros now) {
  absl::Status s;
  if (!(s = ValidateDecisionId("decision_id", req.decision_id())).ok() ||
      !(s = ValidateText("agent_id", req.agent_id(), true, 128)).ok() ||
      !(s = ValidateText("recording_ref", req.recording_ref(), false)).ok()) {
    return s;
  }
  for (int i = 0; i < req.items_size(); ++i) {
    const std::string field = StrCat("items[", i, "]");
    const int item = req.items(i);
    if (item == v1::DISCLOSURE_ITEM_UNSPECIFIED) {
      return Invalid(field, "DISCLOSURE_ITEM_UNSPECIFIED is not an item");
    }
    if (!v1::DisclosureItem_IsValid(item)) {
      return Invalid(field, "unknown value");
    }
    for (int j = 0; j < i; ++j) {
      if (req.items(j) == item) return Invalid(field, "duplicate item");
    }
  }
  if (!req.has_disclosed_at()) return Invalid("disclosed_at", "is required");
  if (!req.has_pitch_started_at()) {
    return Invalid("pitch_started_at", "is required");
  }
  if (ToMicros(req.disclosed_at()) > now + kMaxClockSkew) {
    return Invalid("disclosed_at", "is in the future");
  }
  if (ToMicros(req.pitch_started_at()) > now + kMaxClockSkew) {
    return Invalid("pitch_started_at", "is in the future");
  }
  return absl::OkStatus();
}

absl::Status ValidateReportOutcome(const v1::ReportOutcomeRequest& req) {
  absl::Status s;
  if (!(s = ValidateDecisionId("decision_id", req.decision_id())).ok() ||
      !(s = ValidateText("agent_id", req.agent_id(), true, 128)).ok() ||
      !(s = ValidateText("note", req.note(), false, 1024)).ok()) {
    return s;
  }
  if (req.outcome() == v1::CALL_OUTCOME_UNSPECIFIED) {
    return Invalid("outcome", "is required");
  }
  if (!v1::CallOutcome_IsValid(req.outcome())) {
    return Invalid("outcome", "unknown value");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<ParsedPhone>> ValidateListDoNotSolicit(
    const v1::ListDoNotSolicitRequest& req) {
  switch (req.key_case()) {
    case v1::ListDoNotSolicitRequest::kCustomerId: {
      absl::Status s = ValidateCustomerId("customer_id", req.customer_id());
      if (!s.ok()) return s;
      return std::optional<ParsedPhone>();
    }
    case v1::ListDoNotSolicitRequest::kPhoneNumber: {
      if (req.phone_number().empty()) {
        return Invalid("phone_number", "is required");
      }
      if (absl::Status p = PhoneLength(req.phone_number()); !p.ok()) return p;
      auto phone = ParsePhone(req.phone_number());
      if (!phone.ok()) {
        return Invalid("phone_number", std::string(phone.status().message()));
      }
      return std::optional<ParsedPhone>(*std::move(phone));
    }
    default:
      return Invalid("customer_id", "customer_id or phone_number is required");
  }
}

absl::Status ValidateClearDoNotSolicit(
    const v1::ClearDoNotSolicitRequest& req) {
  absl::Status s;
  if (!(s = ValidateText("entry_id", req.entry_id(), true, 64)).ok() ||
      !(s = ValidateText("evidence_ref", req.evidence_ref(), true)).ok() ||
      !(s = ValidateText("requested_by", req.requested_by(), true, 128)).ok() ||
      !(s = ValidateText("reason", req.reason(), false, 1024)).ok()) {
    return s;
  }
  return absl::OkStatus();
}

absl::Status ValidateSubjectReport(const v1::SubjectReportRequest& req) {
  absl::Status s;
  if (!(s = ValidateCustomerId("customer_id", req.customer_id())).ok() ||
      !(s = ValidateText("requested_by", req.requested_by(), true, 128)).ok()) {
    return s;
  }
  return absl::OkStatus();
}

absl::Status ValidateExportConsents(const v1::ExportConsentsRequest& req) {
  absl::Status s;
  if ((!req.customer_id().empty() &&
       !(s = ValidateCustomerId("customer_id", req.customer_id())).ok()) ||
      !(s = ValidateText("requested_by", req.requested_by(), true, 128)).ok()) {
    return s;
  }
  return absl::OkStatus();
}

}  // namespace gatekeeper::policy

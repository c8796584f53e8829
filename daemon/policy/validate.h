// Request validation: what makes a request well-formed and consistent with the
// configuration. Pure functions of (request, config, now). Every error is
// InvalidArgument with a message that starts with the field path, e.g.
// "company_id: unknown company \"x\"". Thread-safe.
#ifndef GATEKEEPER_DAEMON_POLICY_VALIDATE_H_
#define GATEKEEPER_DAEMON_POLICY_VALIDATE_H_

#include <functional>
#include <optional>

#include "absl/status/statusor.h"
#include "daemon/common/clock.h"
#include "daemon/common/phone.h"
#include "daemon/config/config.h"
#include "gatekeeper/v1/audit_service.pb.h"
#include "gatekeeper/v1/campaign_service.pb.h"
#include "gatekeeper/v1/consent_service.pb.h"
#include "gatekeeper/v1/dial_gate.pb.h"
#include "gatekeeper/v1/insert_gate.pb.h"

namespace gatekeeper::policy {

// How far in the future collected_at may lie, for clock skew between the
// capturing system and the daemon.
inline constexpr Micros kMaxClockSkew = 5'000'000;

// Returns the parsed phone number for TELEMARKETING, nullopt for AD_INSERT.
absl::StatusOr<std::optional<ParsedPhone>> ValidateRecordConsent(
    const v1::RecordConsentRequest& req, const ConfigIndex& config, Micros now);

absl::Status ValidateWithdrawConsent(const v1::WithdrawConsentRequest& req,
                                     const ConfigIndex& config);

absl::Status ValidateCustomerId(std::string_view field, std::string_view id);

absl::Status ValidateCreateCampaign(const v1::CreateCampaignRequest& req,
                                    const ConfigIndex& config);

// campaign_id syntax: [A-Za-z0-9._-], 1 to 64 characters.
absl::Status ValidateCampaignId(std::string_view field, std::string_view id);

absl::Status ValidateCheckInsert(const v1::CheckInsertRequest& req);

// Returns the parsed number to dial.
// `known`, when given, is asked first about the number's E.164 candidate
// (JapaneseE164Candidate) and answers for a number on record, which skips
// parsing it.
using KnownPhone =
    std::function<std::optional<ParsedPhone>(std::string_view e164)>;
absl::StatusOr<ParsedPhone> ValidateCheckDial(const v1::CheckDialRequest& req,
                                              const KnownPhone& known = {});

// Decision ids as the daemon makes them: "dec_" and 32 lowercase hex digits.
absl::Status ValidateDecisionId(std::string_view field, std::string_view id);

absl::Status ValidateReportDisclosure(const v1::ReportDisclosureRequest& req,
                                      Micros now);
absl::Status ValidateReportOutcome(const v1::ReportOutcomeRequest& req);

// Returns the parsed number when the request names one.
absl::StatusOr<std::optional<ParsedPhone>> ValidateListDoNotSolicit(
    const v1::ListDoNotSolicitRequest& req);
absl::Status ValidateClearDoNotSolicit(const v1::ClearDoNotSolicitRequest& req);

absl::Status ValidateSubjectReport(const v1::SubjectReportRequest& req);

// customer_id optional (empty: every customer), requested_by required.
absl::Status ValidateExportConsents(const v1::ExportConsentsRequest& req);

}  // namespace gatekeeper::policy

#endif  // GATEKEEPER_DAEMON_POLICY_VALIDATE_H_

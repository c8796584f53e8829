#include "daemon/store/write_context.h"

#include <google/protobuf/util/json_util.h>

#include "daemon/common/status_macros.h"
#include "daemon/common/strings.h"
#include "daemon/store/audit_table.h"
#include "daemon/store/campaign_records.h"
#include "daemon/store/consent_records.h"
#include "daemon/store/do_not_solicit_records.h"

namespace gatekeeper {

std::string ProtoJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, opts);
  return out;
}

absl::StatusOr<uint64_t> WriteContext::Append(AuditDraft draft) {
  AuditRecord r = chain_.Seal(std::move(draft), clock_.Now());
  RETURN_IF_ERROR(InsertAuditRow(db_, r));
  pending_.appended.emplace_back(r.seq, std::move(r.customer_id));
  return r.seq;
}

absl::StatusOr<std::optional<std::string>> WriteContext::SeenRequest(
    std::string_view method, std::string_view request_id,
    std::string_view fingerprint) {
  if (request_id.empty()) return std::optional<std::string>();
  ASSIGN_OR_RETURN(sqlite::Stmt s,
                   db_.Prepare("SELECT fingerprint, result FROM requests "
                               "WHERE method = ? AND request_id = ?"));
  s.Bind(1, method).Bind(2, request_id);
  ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<std::string>();
  if (s.Text(0) != fingerprint) {
    return absl::AlreadyExistsError(
        StrCat("request_id: \"", request_id,
               "\" was already used for a request with different content"));
  }
  return std::optional<std::string>(s.Text(1));
}

absl::Status WriteContext::RememberRequest(std::string_view method,
                                           std::string_view request_id,
                                           std::string_view fingerprint,
                                           std::string_view result) {
  if (request_id.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(sqlite::Stmt s,
                   db_.Prepare("INSERT INTO requests(method, request_id, "
                               "fingerprint, result) VALUES(?,?,?,?)"));
  s.Bind(1, method)
      .Bind(2, request_id)
      .BindBlob(3, fingerprint)
      .BindBlob(4, result);
  return s.Run();
}

absl::StatusOr<std::shared_ptr<const v1::Campaign>> WriteContext::GetCampaign(
    std::string_view campaign_id) {
  ASSIGN_OR_RETURN(std::optional<v1::Campaign> c,
                   ReadCampaign(db_, campaign_id));
  if (!c.has_value()) return std::shared_ptr<const v1::Campaign>();
  return std::make_shared<const v1::Campaign>(*std::move(c));
}

absl::StatusOr<std::vector<ConsentFact>> WriteContext::ConsentsOfCustomer(
    std::string_view customer_id, v1::Purpose purpose,
    std::string_view company_id) {
  return ConsentFactsOfCustomer(db_, customer_id, purpose, company_id);
}

absl::StatusOr<std::vector<ConsentFact>> WriteContext::ConsentsOfPhone(
    std::string_view phone_pseudonym, v1::Purpose purpose,
    std::string_view company_id) {
  return ConsentFactsOfPhone(db_, phone_pseudonym, purpose, company_id);
}

absl::StatusOr<std::vector<DoNotSolicitFact>> WriteContext::DoNotSolicitOf(
    std::string_view phone_pseudonym,
    const std::vector<std::string>& customer_ids) {
  return ActiveDoNotSolicit(db_, phone_pseudonym, customer_ids);
}

DialCounts WriteContext::CountDials(std::string_view phone_pseudonym,
                                    std::string_view company_id,
                                    std::string_view campaign_id,
                                    Micros day_start, Micros since) {
  // Only the writer adds to the counter, so committed + pending is exact.
  DialCounts counts =
      dials_.Count(phone_pseudonym, company_id, campaign_id, day_start, since);
  DialCounter::CountPending(pending_.dials, phone_pseudonym, company_id,
                            campaign_id, day_start, since, counts);
  return counts;
}

WriteContext::Mark WriteContext::mark() const {
  return {chain_.head(),
          pending_.campaigns.size(),
          pending_.consents.size(),
          pending_.do_not_solicit.size(),
          pending_.dials.size(),
          pending_.appended.size(),
          pending_.touched.size()};
}

void WriteContext::RollbackTo(const Mark& m) {
  chain_.Rewind(m.head);
  pending_.campaigns.resize(m.campaigns);
  pending_.consents.resize(m.consents, {{}, false});
  pending_.do_not_solicit.resize(m.do_not_solicit);
  pending_.dials.resize(m.dials);
  pending_.appended.resize(m.appended);
  pending_.touched.resize(m.touched);
}

}  // namespace gatekeeper

// What the print-run code shares between deciding runs (print_runs.cc) and
// checking them after printing (print_checks.cc): a document's leaflets
// decided with CheckInsert's rules, and the small helpers around batches.
// Internal to daemon/server.
#ifndef GATEKEEPER_DAEMON_SERVER_PRINT_DECISIONS_H_
#define GATEKEEPER_DAEMON_SERVER_PRINT_DECISIONS_H_

#include <google/protobuf/message.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "daemon/audit/print_batch.h"
#include "daemon/common/clock.h"
#include "daemon/common/facts.h"
#include "daemon/policy/decide.h"
#include "daemon/store/store.h"

namespace gatekeeper {

// An audit payload as JSON (proto field names).
std::string Json(const google::protobuf::Message& m);

// The hash a run keeps of each document id, for duplicates.
uint64_t DocHash(std::string_view document_id);

// document_id: [A-Za-z0-9._:/-], 1 to 128 characters.
bool IsDocumentId(std::string_view id);

// Decides the candidate leaflets of one document against `state`, with a
// cache of campaigns for its life (a batch, a pull list) and of the last
// customer's consents. Not thread-safe.
class DocumentDecider {
 public:
  DocumentDecider(StateView& state, Micros now) : state_(state), now_(now) {}

  CampaignVerdict Decide(std::string_view customer_id,
                         const std::string& campaign_id) {
    CampaignVerdict v;
    v.campaign_id = campaign_id;
    absl::Status error;
    const v1::Campaign* campaign = CampaignOf(campaign_id, &error);
    const std::vector<ConsentFact>* consents = &kNoConsents;
    if (error.ok() && campaign != nullptr) {
      consents = ConsentsOf(customer_id, campaign->company_id(), &error);
    }
    policy::Outcome o =
        error.ok() ? policy::DecideInsert(campaign, *consents, now_)
                   : policy::InternalError(std::string(error.message()));
    for (v1::Reason r : o.reasons) v.reasons |= 1u << r;
    v.consent_id = std::move(o.consent_id);
    return v;
  }

 private:
  static inline const std::vector<ConsentFact> kNoConsents;

  // The customer's AD_INSERT consents for the company. The last answer is
  // kept: a document's leaflets are mostly of one company, asked in a row.
  const std::vector<ConsentFact>* ConsentsOf(std::string_view customer_id,
                                             const std::string& company_id,
                                             absl::Status* error) {
    if (has_last_ && last_customer_ == customer_id &&
        last_company_ == company_id) {
      return &last_consents_;
    }
    has_last_ = false;
    auto facts = state_.ConsentsOfCustomer(customer_id, v1::PURPOSE_AD_INSERT,
                                           company_id);
    if (!facts.ok()) {
      *error = facts.status();
      return &kNoConsents;
    }
    last_consents_ = *std::move(facts);
    last_customer_.assign(customer_id);
    last_company_ = company_id;
    has_last_ = true;
    return &last_consents_;
  }

  // The campaign (nullptr: unknown), kept for the decider's life.
  const v1::Campaign* CampaignOf(const std::string& id, absl::Status* error) {
    auto it = campaigns_.find(id);
    if (it != campaigns_.end()) return it->second.get();
    auto c = state_.GetCampaign(id);
    if (!c.ok()) {
      *error = c.status();
      return nullptr;
    }
    return campaigns_.emplace(id, *std::move(c)).first->second.get();
  }

  StateView& state_;
  const Micros now_;
  std::unordered_map<std::string, std::shared_ptr<const v1::Campaign>>
      campaigns_;
  bool has_last_ = false;
  std::string last_customer_, last_company_;
  std::vector<ConsentFact> last_consents_;
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_SERVER_PRINT_DECISIONS_H_

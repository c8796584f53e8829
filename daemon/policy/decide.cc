#include "daemon/policy/decide.h"

#include <algorithm>

#include "absl/strings/str_join.h"
#include "daemon/common/strings.h"

namespace gatekeeper::policy {
namespace {

enum class ConsentStatus { kEffective, kWithdrawn, kExpired, kNotYet, kNone };

ConsentStatus StatusAt(const ConsentFact& c, Micros now) {
  if (c.state == v1::CONSENT_STATE_WITHDRAWN) return ConsentStatus::kWithdrawn;
  if (c.state != v1::CONSENT_STATE_GRANTED) return ConsentStatus::kNone;
  if (c.collected_at > now) return ConsentStatus::kNotYet;
  if (c.expires_at != 0 && c.expires_at <= now) return ConsentStatus::kExpired;
  return ConsentStatus::kEffective;
}

// Collects the outcome while rules are applied.
class Builder {
 public:
  void Block(v1::Reason r, std::string why) {
    if (std::find(reasons_.begin(), reasons_.end(), r) == reasons_.end()) {
      reasons_.push_back(r);
      why_.push_back(std::move(why));
    }
  }
  bool blocked() const { return !reasons_.empty(); }

  Outcome Finish(const ConsentFact* relied_on) {
    Outcome o;
    if (reasons_.empty() && relied_on != nullptr) {
      o.verdict = v1::VERDICT_ALLOW;
      o.reasons = {v1::REASON_CONSENT_ON_RECORD};
      o.consent_id = relied_on->consent_id;
      o.explanation = StrCat("consent ", relied_on->consent_id, " is in force");
      return o;
    }
    o.verdict = v1::VERDICT_BLOCK;
    o.reasons = reasons_;
    o.explanation = absl::StrJoin(why_, "; ");
    return o;
  }

 private:
  std::vector<v1::Reason> reasons_;
  std::vector<std::string> why_;
};

// Applies the campaign rules; false when the campaign is unknown (nothing else
// can be judged then).
bool CheckCampaign(const v1::Campaign* campaign, v1::CampaignKind want,
                   Micros now, Builder& b) {
  if (campaign == nullptr) {
    b.Block(v1::REASON_UNKNOWN_CAMPAIGN, "no campaign has this id");
    return false;
  }
  const std::string& id = campaign->campaign_id();
  if (campaign->kind() != want) {
    b.Block(
        v1::REASON_CAMPAIGN_WRONG_KIND,
        StrCat("campaign ", id, " is ", v1::CampaignKind_Name(campaign->kind()),
               ", not ", v1::CampaignKind_Name(want)));
  }
  if (campaign->state() != v1::CAMPAIGN_STATE_APPROVED) {
    b.Block(v1::REASON_CAMPAIGN_NOT_APPROVED,
            StrCat("campaign ", id, " is ",
                   v1::CampaignState_Name(campaign->state())));
  }
  const Micros starts = ToMicros(campaign->starts_at());
  const Micros ends = ToMicros(campaign->ends_at());
  if (now < starts || now >= ends) {
    b.Block(v1::REASON_CAMPAIGN_OUTSIDE_WINDOW,
            StrCat("campaign ", id, " runs from ", FormatRfc3339(starts),
                   " to ", FormatRfc3339(ends)));
  }
  return true;
}

// The consent the decision relies on: the most recently collected effective
// one. Reports withdrawn and expired consents when none is effective.
const ConsentFact* Effective(const std::vector<const ConsentFact*>& matching,
                             Micros now, Builder& b, bool* any_reason) {
  const ConsentFact* best = nullptr;
  bool withdrawn = false, expired = false;
  for (const ConsentFact* c : matching) {
    switch (StatusAt(*c, now)) {
      case ConsentStatus::kEffective:
        if (best == nullptr || c->collected_at > best->collected_at) best = c;
        break;
      case ConsentStatus::kWithdrawn:
        withdrawn = true;
        break;
      case ConsentStatus::kExpired:
        expired = true;
        break;
      default:
        break;
    }
  }
  *any_reason = false;
  if (best != nullptr) return best;
  if (withdrawn) {
    b.Block(v1::REASON_CONSENT_WITHDRAWN, "the consent was withdrawn");
    *any_reason = true;
  }
  if (expired) {
    b.Block(v1::REASON_CONSENT_EXPIRED, "the consent has expired");
    *any_reason = true;
  }
  return nullptr;
}

}  // namespace

Outcome DecideInsert(const v1::Campaign* campaign,
                     std::span<const ConsentFact> consents, Micros now) {
  Builder b;
  if (!CheckCampaign(campaign, v1::CAMPAIGN_KIND_INSERT, now, b)) {
    return b.Finish(nullptr);
  }
  std::vector<const ConsentFact*> matching;
  for (const ConsentFact& c : consents) matching.push_back(&c);
  bool reported = false;
  const ConsentFact* relied = Effective(matching, now, b, &reported);
  if (relied == nullptr && !reported) {
    b.Block(v1::REASON_NO_CONSENT,
            StrCat("no AD_INSERT consent on record for company ",
                   campaign->company_id()));
  }
  return b.Finish(relied);
}

Outcome DecideDial(const v1::Campaign* campaign, const DialQuery& query,
                   std::span<const ConsentFact> consents, Micros now) {
  Builder b;
  if (!CheckCampaign(campaign, v1::CAMPAIGN_KIND_CALL, now, b)) {
    return b.Finish(nullptr);
  }
  std::vector<const ConsentFact*> this_number;
  bool other_number_in_force = false;
  for (const ConsentFact& c : consents) {
    if (!query.customer_id.empty() && c.customer_id != query.customer_id) {
      continue;
    }
    if (c.phone_pseudonym == query.phone_pseudonym) {
      this_number.push_back(&c);
    } else if (!query.customer_id.empty() &&
               StatusAt(c, now) == ConsentStatus::kEffective) {
      other_number_in_force = true;
    }
  }
  bool reported = false;
  const ConsentFact* relied = Effective(this_number, now, b, &reported);
  if (relied == nullptr && other_number_in_force) {
    b.Block(v1::REASON_PHONE_NOT_CONSENTED,
            "the customer consented to calls on another number only");
    reported = true;
  }
  if (relied == nullptr && !reported) {
    b.Block(v1::REASON_NO_CONSENT,
            StrCat("no TELEMARKETING consent on record for this number "
                   "and company ",
                   campaign->company_id()));
  }
  return b.Finish(relied);
}

Outcome InternalError(std::string_view what) {
  Outcome o;
  o.verdict = v1::VERDICT_BLOCK;
  o.reasons = {v1::REASON_INTERNAL_ERROR};
  o.explanation = StrCat("internal error: ", what);
  return o;
}

}  // namespace gatekeeper::policy

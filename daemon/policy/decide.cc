#include "daemon/policy/decide.h"

#include <algorithm>

#include "absl/container/inlined_vector.h"
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
  // A reason is listed once; every explanation is kept.
  void Block(v1::Reason r, std::string why) {
    if (std::find(reasons_.begin(), reasons_.end(), r) == reasons_.end()) {
      reasons_.push_back(r);
    }
    why_.push_back(std::move(why));
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
const ConsentFact* Effective(std::span<const ConsentFact* const> matching,
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
  // Pointers to all of them (a customer has a few): kept inline, no
  // allocation a decision.
  absl::InlinedVector<const ConsentFact*, 8> matching;
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

std::vector<std::string> DialSubjects(const DialQuery& query,
                                      std::span<const ConsentFact> consents) {
  std::vector<std::string> out;
  if (!query.customer_id.empty()) {
    out.push_back(query.customer_id);
    return out;
  }
  for (const ConsentFact& c : consents) {
    if (c.phone_pseudonym == query.phone_pseudonym &&
        std::find(out.begin(), out.end(), c.customer_id) == out.end()) {
      out.push_back(c.customer_id);
    }
  }
  return out;
}

Outcome DecideDial(const DialInputs& in, const CallingRules& rules) {
  const v1::Campaign* campaign = in.campaign;
  const DialQuery& query = in.query;
  const Micros now = in.now;
  Builder b;
  if (!CheckCampaign(campaign, v1::CAMPAIGN_KIND_CALL, now, b)) {
    Outcome o = b.Finish(nullptr);
    o.customer_id = query.customer_id;
    return o;
  }
  if (auto why = OutsideCallingHours(rules, *campaign, now)) {
    b.Block(v1::REASON_OUTSIDE_CALLING_HOURS, *std::move(why));
  }
  std::vector<const ConsentFact*> this_number;
  bool other_number_in_force = false;
  const std::vector<std::string> subjects = DialSubjects(query, in.consents);
  for (const ConsentFact& c : in.consents) {
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
  for (const DoNotSolicitFact& e : in.do_not_solicit) {
    if (e.company_id != campaign->company_id() ||
        !(e.all_goods_types || e.goods_type == campaign->goods_type())) {
      continue;
    }
    const bool names_number = !e.phone_pseudonym.empty() &&
                              e.phone_pseudonym == query.phone_pseudonym;
    const bool names_customer = std::find(subjects.begin(), subjects.end(),
                                          e.customer_id) != subjects.end();
    if (names_number || names_customer) {
      b.Block(v1::REASON_DO_NOT_SOLICIT,
              StrCat("do-not-solicit entry ", e.entry_id, " (",
                     names_number ? "this number" : "this customer", ", ",
                     e.all_goods_types ? std::string("every goods type")
                                       : e.goods_type,
                     ")"));
    }
  }
  if (rules.cap_per_campaign_day != 0 &&
      in.counts.campaign_today >= rules.cap_per_campaign_day) {
    b.Block(v1::REASON_FREQUENCY_CAP,
            StrCat("dials to this number allowed today for campaign ",
                   campaign->campaign_id(), ": ", in.counts.campaign_today,
                   " (cap ", rules.cap_per_campaign_day, " a day)"));
  }
  if (rules.cap_per_company_30d != 0 &&
      in.counts.company_30d >= rules.cap_per_company_30d) {
    b.Block(v1::REASON_FREQUENCY_CAP,
            StrCat("dials to this number allowed in 30 days for company ",
                   campaign->company_id(), ": ", in.counts.company_30d,
                   " (cap ", rules.cap_per_company_30d, " in 30 days)"));
  }
  Outcome o = b.Finish(relied);
  if (!query.customer_id.empty()) {
    o.customer_id = query.customer_id;
  } else if (relied != nullptr) {
    o.customer_id = relied->customer_id;
  } else if (subjects.size() == 1) {
    o.customer_id = subjects[0];
  }
  return o;
}

Outcome InternalError(std::string_view what) {
  Outcome o;
  o.verdict = v1::VERDICT_BLOCK;
  o.reasons = {v1::REASON_INTERNAL_ERROR};
  o.explanation = StrCat("internal error: ", what);
  return o;
}

}  // namespace gatekeeper::policy

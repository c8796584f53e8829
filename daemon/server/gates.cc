#include "daemon/server/gates.h"

#include "daemon/common/crypto.h"
#include "daemon/common/strings.h"
#include "daemon/policy/decide.h"
#include "daemon/policy/validate.h"
#include "daemon/server/payload_json.h"
#include "gatekeeper/v1/audit_payload.pb.h"

namespace gatekeeper {
namespace {

// Looks the campaign up; a read failure is reported through `error`.
std::shared_ptr<const v1::Campaign> FindCampaign(StateView& store,
                                                 std::string_view id,
                                                 absl::Status* error) {
  auto c = store.GetCampaign(id);
  if (!c.ok()) {
    *error = c.status();
    return nullptr;
  }
  return *std::move(c);
}

v1::Decision ToDecision(const policy::Outcome& o, Micros now) {
  v1::Decision d;
  d.set_decision_id(NewId("dec_"));
  d.set_verdict(o.verdict);
  for (v1::Reason r : o.reasons) d.add_reasons(r);
  d.set_consent_id(o.consent_id);
  d.set_explanation(o.explanation);
  *d.mutable_decided_at() = FromMicros(now);
  return d;
}

// Microseconds from a check's arrival to its decision (clamped).
uint32_t LatencyMicros(Micros received, Micros decided) {
  if (decided <= received) return 0;
  return static_cast<uint32_t>(
      std::min<Micros>(decided - received, UINT32_MAX));
}

void FillPayload(const v1::Decision& d, v1::DecisionPayload& p) {
  p.set_decision_id(d.decision_id());
  p.set_verdict(d.verdict());
  *p.mutable_reasons() = d.reasons();
  p.set_consent_id(d.consent_id());
  p.set_policy_version(policy::kPolicyVersion);
}

// The configured statement that the call solicits a contract, with
// "{goods_type}" replaced by the campaign's goods type.
std::string SolicitationStatement(const Config& config,
                                  std::string_view goods_type) {
  std::string s = config.solicitation_statement();
  constexpr std::string_view kSlot = "{goods_type}";
  for (size_t at = s.find(kSlot); at != std::string::npos;
       at = s.find(kSlot, at + goods_type.size())) {
    s.replace(at, kSlot.size(), goods_type);
  }
  return s;
}

// The status a check returns when its entry could not be appended.
absl::Status AppendFailure(const absl::Status& s) {
  return absl::UnavailableError(StrCat(
      "the decision could not be logged, so none is given: ", s.message()));
}

}  // namespace

void Gates::CheckInsert(const v1::CheckInsertRequest& req, InsertDone done) {
  const Micros received = clock_.Now();
  if (absl::Status s = policy::ValidateCheckInsert(req); !s.ok()) {
    return done(s);
  }
  DecideInsert(req, received, 1, std::move(done));
}

DecisionWrite Gates::BuildInsert(StateView& state,
                                 const v1::CheckInsertRequest& req,
                                 Micros received, v1::Decision& out) const {
  const Micros now = clock_.Now();
  absl::Status read_error;
  const std::shared_ptr<const v1::Campaign> campaign =
      FindCampaign(state, req.campaign_id(), &read_error);
  std::vector<ConsentFact> consents;
  if (read_error.ok() && campaign != nullptr) {
    auto facts = state.ConsentsOfCustomer(
        req.customer_id(), v1::PURPOSE_AD_INSERT, campaign->company_id());
    if (facts.ok()) {
      consents = *std::move(facts);
    } else {
      read_error = facts.status();
    }
  }
  const policy::Outcome outcome =
      read_error.ok()
          ? policy::DecideInsert(campaign.get(), consents, now)
          : policy::InternalError(std::string(read_error.message()));
  out = ToDecision(outcome, now);
  v1::DecisionPayload p;
  FillPayload(out, p);
  p.set_purpose(v1::PURPOSE_AD_INSERT);
  p.set_campaign_id(req.campaign_id());
  if (campaign != nullptr) p.set_company_id(campaign->company_id());
  p.set_customer_id(req.customer_id());
  p.set_print_run_id(req.print_run_id());
  p.set_document_id(req.document_id());
  p.set_latency_us(LatencyMicros(received, now));
  return {
      {"decision.insert",
       req.print_run_id().empty() ? std::string("insert-gate")
                                  : StrCat("print-run:", req.print_run_id()),
       req.customer_id(), DecisionPayloadJson(p)},
      out.decision_id(),
      std::nullopt};
}

void Gates::DecideInsert(const v1::CheckInsertRequest& req, Micros received,
                         int attempt, InsertDone done) {
  auto decision = std::make_shared<v1::Decision>();
  if (attempt >= kMaxAttempts) {
    // Inputs kept changing under the fast path: decide in the writer, where
    // nothing can change in between.
    store_.DecideInWriterAsync(
        [this, req, received,
         decision](StateView& state) -> absl::StatusOr<DecisionWrite> {
          return BuildInsert(state, req, received, *decision);
        },
        [this, campaign = req.campaign_id(), received, decision,
         done = std::move(done)](absl::StatusOr<uint64_t> seq) {
          if (!seq.ok()) return done(AppendFailure(seq.status()));
          decision->set_audit_seq(*seq);
          Count(*decision, v1::PURPOSE_AD_INSERT, campaign, received);
          done(std::move(*decision));
        });
    return;
  }
  DecisionInputs inputs{
      store_.StateVersion(),
      {CampaignKey(req.campaign_id()), CustomerKey(req.customer_id())}};
  DecisionWrite write = BuildInsert(store_, req, received, *decision);
  store_.AppendDecisionAsync(
      std::move(write), std::move(inputs),
      [this, req, received, attempt, decision,
       done = std::move(done)](absl::StatusOr<uint64_t> seq) mutable {
        if (seq.status().code() == absl::StatusCode::kAborted) {
          return DecideInsert(req, received, attempt + 1, std::move(done));
        }
        if (!seq.ok()) return done(AppendFailure(seq.status()));
        decision->set_audit_seq(*seq);
        Count(*decision, v1::PURPOSE_AD_INSERT, req.campaign_id(), received);
        done(std::move(*decision));
      });
}

void Gates::Count(const v1::Decision& d, v1::Purpose purpose,
                  const std::string& campaign_id, Micros received) const {
  if (metrics_ == nullptr) return;
  uint32_t bits = 0;
  for (int r : d.reasons()) bits |= 1u << (r & 31);
  std::string company;
  if (auto c = store_.GetCampaign(campaign_id); c.ok() && *c != nullptr) {
    company = (*c)->company_id();
  }
  const bool allow = d.verdict() == v1::VERDICT_ALLOW;
  metrics_->CountDecision(purpose, allow, bits, company);
  metrics_->CountVerdict(purpose, allow, 1, ToMicros(d.decided_at()));
  metrics_->ObserveDecisionDuration(
      purpose, static_cast<double>(clock_.Now() - received) / 1e6);
}

void Gates::CheckDial(const v1::CheckDialRequest& req, DialDone done) {
  const Micros received = clock_.Now();
  // A number already on record needs no parsing (see JapaneseE164Candidate).
  std::string hashed, pseudonym;
  auto phone = policy::ValidateCheckDial(
      req, [&](std::string_view e164) -> std::optional<ParsedPhone> {
        hashed = std::string(e164);
        pseudonym = pseudonymizer_.Pseudonym(e164);
        std::optional<std::string> masked = store_.KnownPhoneMask(pseudonym);
        if (!masked.has_value()) return std::nullopt;
        return ParsedPhone{hashed, *std::move(masked)};
      });
  if (!phone.ok()) return done(phone.status());
  if (hashed != phone->e164) pseudonym = pseudonymizer_.Pseudonym(phone->e164);
  DialTarget target{*phone, std::move(pseudonym)};
  DecideDial(req, target, received, 1, std::move(done));
}

DecisionWrite Gates::BuildDial(StateView& state,
                               const v1::CheckDialRequest& req,
                               const DialTarget& target, Micros received,
                               v1::CheckDialResponse& out,
                               std::vector<std::string>* subjects) const {
  const Micros now = clock_.Now();
  // One snapshot for the whole decision: a reload in between cannot mix
  // old hours with a new seller.
  const std::shared_ptr<const ConfigSnapshot> config = config_.Get();
  const policy::CallingRules& rules = config->rules;
  const std::string& pseudonym = target.pseudonym;
  absl::Status read_error;
  const std::shared_ptr<const v1::Campaign> campaign =
      FindCampaign(state, req.campaign_id(), &read_error);
  std::vector<ConsentFact> consents;
  std::vector<DoNotSolicitFact> refusals;
  DialCounts counts;
  const policy::CapWindows windows = policy::CapWindowsAt(rules, now);
  const policy::DialQuery query{req.customer_id(), pseudonym};
  out.Clear();
  if (read_error.ok() && campaign != nullptr) {
    auto facts =
        req.customer_id().empty()
            ? state.ConsentsOfPhone(pseudonym, v1::PURPOSE_TELEMARKETING,
                                    campaign->company_id())
            : state.ConsentsOfCustomer(req.customer_id(),
                                       v1::PURPOSE_TELEMARKETING,
                                       campaign->company_id());
    if (facts.ok()) {
      consents = *std::move(facts);
      std::vector<std::string> customers =
          policy::DialSubjects(query, consents);
      auto entries = state.DoNotSolicitOf(pseudonym, customers);
      if (subjects != nullptr) *subjects = std::move(customers);
      if (entries.ok()) {
        refusals = *std::move(entries);
      } else {
        read_error = entries.status();
      }
    } else {
      read_error = facts.status();
    }
    if (rules.has_caps()) {
      counts = state.CountDials(pseudonym, campaign->company_id(),
                                campaign->campaign_id(), windows.day_start,
                                windows.since_30d);
    }
  }
  const policy::Outcome outcome =
      read_error.ok()
          ? policy::DecideDial(
                {campaign.get(), query, consents, refusals, counts, now}, rules)
          : policy::InternalError(std::string(read_error.message()));
  *out.mutable_decision() = ToDecision(outcome, now);
  const bool allow = outcome.verdict == v1::VERDICT_ALLOW;
  const Company* company =
      campaign != nullptr ? config->index.FindCompany(campaign->company_id())
                          : nullptr;
  if (allow && company == nullptr) {
    // A campaign of a company no longer configured: no seller to disclose,
    // no recipient to record. Fail closed.
    *out.mutable_decision() = ToDecision(
        policy::InternalError(StrCat("company ", campaign->company_id(),
                                     " is not in the configuration")),
        now);
  }
  v1::DecisionPayload p;
  FillPayload(out.decision(), p);
  p.set_purpose(v1::PURPOSE_TELEMARKETING);
  p.set_campaign_id(req.campaign_id());
  if (campaign != nullptr) p.set_company_id(campaign->company_id());
  p.set_customer_id(outcome.customer_id);
  p.set_agent_id(req.agent_id());
  p.set_phone_hmac(ToHex(pseudonym));
  p.set_phone_masked(target.phone.masked);
  p.set_latency_us(LatencyMicros(received, now));
  std::optional<NewProvision> provision;
  std::string disclosure_json, provision_json;
  if (out.decision().verdict() == v1::VERDICT_ALLOW) {
    const std::shared_ptr<const DialScript> script =
        ScriptFor(campaign, *company, *config);
    // What the agent must say first (特定商取引法 Art. 16), recorded as
    // returned.
    v1::Disclosure* d = out.mutable_disclosure();
    *d = script->disclosure;
    d->set_agent_id(req.agent_id());
    disclosure_json =
        WithLastField(script->disclosure_json, "agent_id", req.agent_id());
    // The number goes to the company: its provision record (APPI Art. 29).
    provision.emplace();
    NewProvision& r = *provision;
    r.recipient = script->recipient;
    r.decision_id = out.decision().decision_id();
    r.customer_id = outcome.customer_id;
    r.consent_id = outcome.consent_id;
    r.campaign_id = campaign->campaign_id();
    r.phone_masked = target.phone.masked;
    r.phone_pseudonym = pseudonym;
    r.provided_at = now;
    r.retain_until = now + kProvisionRetention;
    provision_json = WithLastField(script->provision_json, "retain_until",
                                   FormatRfc3339(r.retain_until));
    r.cap_per_campaign_day = rules.cap_per_campaign_day;
    r.cap_per_company_30d = rules.cap_per_company_30d;
    r.day_start = windows.day_start;
    r.since = windows.since_30d;
  }
  return {
      {"decision.dial", StrCat("agent:", req.agent_id()), outcome.customer_id,
       DecisionPayloadJson(p, disclosure_json, provision_json)},
      out.decision().decision_id(),
      std::move(provision)};
}

std::shared_ptr<const Gates::DialScript> Gates::ScriptFor(
    const std::shared_ptr<const v1::Campaign>& campaign, const Company& company,
    const ConfigSnapshot& config) const {
  {
    std::shared_lock<std::shared_mutex> lock(scripts_mu_);
    auto it = scripts_.find(campaign->campaign_id());
    if (it != scripts_.end() && it->second->campaign == campaign &&
        it->second->config_generation == config.generation) {
      return it->second;
    }
  }
  auto script = std::make_shared<DialScript>();
  script->campaign = campaign;
  script->config_generation = config.generation;
  v1::Disclosure& d = script->disclosure;
  d.set_seller_name(company.legal_name());
  d.set_seller_address(company.address());
  d.set_seller_phone(company.phone());
  d.set_goods_type(campaign->goods_type());
  d.set_solicitation_statement(
      SolicitationStatement(config.config(), campaign->goods_type()));
  script->disclosure_json = DisclosureJson(d);
  auto recipient = std::make_shared<v1::ProvisionRecord>();
  recipient->set_recipient_company_id(company.id());
  recipient->set_recipient_name(company.legal_name());
  recipient->set_recipient_address(company.address());
  recipient->set_recipient_representative(company.representative());
  recipient->add_data_items("phone_number");
  // The log's copy: the recipient and the data items (the rest are the
  // decision's own fields), then retain_until per decision.
  v1::ProvisionRecord logged;
  logged.set_recipient_name(recipient->recipient_name());
  logged.set_recipient_address(recipient->recipient_address());
  logged.set_recipient_representative(recipient->recipient_representative());
  *logged.mutable_data_items() = recipient->data_items();
  script->provision_json = ProvisionJson(logged);
  script->recipient = std::move(recipient);
  std::unique_lock<std::shared_mutex> lock(scripts_mu_);
  scripts_[campaign->campaign_id()] = script;
  return script;
}

void Gates::DecideDial(const v1::CheckDialRequest& req,
                       const DialTarget& target, Micros received, int attempt,
                       DialDone done) {
  auto response = std::make_shared<v1::CheckDialResponse>();
  if (attempt >= kMaxAttempts) {
    store_.DecideInWriterAsync(
        [this, req, target, received,
         response](StateView& state) -> absl::StatusOr<DecisionWrite> {
          return BuildDial(state, req, target, received, *response, nullptr);
        },
        [this, campaign = req.campaign_id(), received, response,
         done = std::move(done)](absl::StatusOr<uint64_t> seq) {
          if (!seq.ok()) return done(AppendFailure(seq.status()));
          response->mutable_decision()->set_audit_seq(*seq);
          Count(response->decision(), v1::PURPOSE_TELEMARKETING, campaign,
                received);
          done(std::move(*response));
        });
    return;
  }
  DecisionInputs inputs{
      store_.StateVersion(),
      {CampaignKey(req.campaign_id()), PhoneKey(target.pseudonym)}};
  // The customers whose consents and refusals the decision read: the
  // request's, or those holding a consent for the number.
  std::vector<std::string> subjects;
  DecisionWrite write =
      BuildDial(store_, req, target, received, *response, &subjects);
  for (const std::string& c : subjects) inputs.keys.push_back(CustomerKey(c));
  store_.AppendDecisionAsync(
      std::move(write), std::move(inputs),
      [this, req, target, received, attempt, response,
       done = std::move(done)](absl::StatusOr<uint64_t> seq) mutable {
        if (seq.status().code() == absl::StatusCode::kAborted) {
          return DecideDial(req, target, received, attempt + 1,
                            std::move(done));
        }
        if (!seq.ok()) return done(AppendFailure(seq.status()));
        response->mutable_decision()->set_audit_seq(*seq);
        Count(response->decision(), v1::PURPOSE_TELEMARKETING,
              req.campaign_id(), received);
        done(std::move(*response));
      });
}

}  // namespace gatekeeper

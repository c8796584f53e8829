#include "daemon/server/new_consent.h"

#include "daemon/common/crypto.h"
#include "daemon/policy/validate.h"
#include "daemon/server/fingerprint.h"

namespace gatekeeper {

absl::StatusOr<NewConsent> ToNewConsent(const v1::RecordConsentRequest& req,
                                        const ConfigIndex& config,
                                        const Pseudonymizer& pseudonymizer,
                                        Micros now) {
  auto phone = policy::ValidateRecordConsent(req, config, now);
  if (!phone.ok()) return phone.status();
  NewConsent c;
  c.consent_id = NewId("cns_");
  c.request_id = req.request_id();
  c.fingerprint = Fingerprint(pseudonymizer, "RecordConsent", req);
  c.customer_id = req.customer_id();
  c.purpose = req.purpose();
  c.company_id = req.company_id();
  if (phone->has_value()) {
    c.phone_pseudonym = pseudonymizer.Pseudonym((*phone)->e164);
    c.phone_masked = (*phone)->masked;
  }
  c.notice_id = req.notice_id();
  c.channel = req.channel();
  c.evidence_ref = req.evidence_ref();
  c.collected_at = req.has_collected_at() ? ToMicros(req.collected_at()) : now;
  c.expires_at = req.has_expires_at() ? ToMicros(req.expires_at()) : 0;
  c.collected_by = req.collected_by();
  c.recorded_at = now;
  return c;
}

}  // namespace gatekeeper

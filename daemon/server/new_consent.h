// RecordConsentRequest -> NewConsent: validation (policy/validate.h), the
// phone number reduced to its pseudonym and masked form, the request's
// fingerprint, a new consent id. Shared by RecordConsent and ImportConsents
// so that an imported consent is exactly what RecordConsent would have
// stored. Thread-safe.
#ifndef GATEKEEPER_DAEMON_SERVER_NEW_CONSENT_H_
#define GATEKEEPER_DAEMON_SERVER_NEW_CONSENT_H_

#include "absl/status/statusor.h"
#include "daemon/common/clock.h"
#include "daemon/common/phone.h"
#include "daemon/config/config.h"
#include "daemon/store/store.h"
#include "gatekeeper/v1/consent_service.pb.h"

namespace gatekeeper {

// INVALID_ARGUMENT naming the field (ValidateRecordConsent) when `req` is not
// a valid consent at `now`.
absl::StatusOr<NewConsent> ToNewConsent(const v1::RecordConsentRequest& req,
                                        const ConfigIndex& config,
                                        const Pseudonymizer& pseudonymizer,
                                        Micros now);

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_SERVER_NEW_CONSENT_H_

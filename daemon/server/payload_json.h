// The JSON of a decision's audit payload, written directly: protobuf's
// reflective JSON printer was an eighth of a decision's CPU. The output is
// protobuf's JSON mapping of v1::DecisionPayload (field names as in the proto,
// enums by name, defaults omitted, fields in number order), so dashboards may
// parse it with any JSON or protobuf library; tests/unit/payload_json_test.cc
// holds the two in step. Thread-safe.
#ifndef GATEKEEPER_DAEMON_SERVER_PAYLOAD_JSON_H_
#define GATEKEEPER_DAEMON_SERVER_PAYLOAD_JSON_H_

#include <string>
#include <string_view>

#include "gatekeeper/v1/audit_payload.pb.h"

namespace gatekeeper {

// `disclosure_json` and `provision_json`, when not empty, are written as the
// disclosure and provision objects instead of p's (already rendered by
// DisclosureJson / ProvisionJson: a dial's objects are mostly the same for
// every call of a campaign).
std::string DecisionPayloadJson(const v1::DecisionPayload& p,
                                std::string_view disclosure_json = {},
                                std::string_view provision_json = {});

// The objects as DecisionPayloadJson writes them.
std::string DisclosureJson(const v1::Disclosure& d);
std::string ProvisionJson(const v1::ProvisionRecord& r);

// `object` (a JSON object) with the string field `name` appended as its last
// field, as the writers above would have written it; unchanged when `value`
// is empty (protobuf omits empty strings).
std::string WithLastField(std::string_view object, std::string_view name,
                          std::string_view value);

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_SERVER_PAYLOAD_JSON_H_

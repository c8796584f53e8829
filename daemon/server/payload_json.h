// The JSON of a decision's audit payload, written directly: protobuf's
// reflective JSON printer was an eighth of a decision's CPU. The output is
// protobuf's JSON mapping of v1::DecisionPayload (field names as in the proto,
// enums by name, defaults omitted, fields in number order), so dashboards may
// parse it with any JSON or protobuf library; tests/unit/payload_json_test.cc
// holds the two in step. Thread-safe.
#ifndef GATEKEEPER_DAEMON_SERVER_PAYLOAD_JSON_H_
#define GATEKEEPER_DAEMON_SERVER_PAYLOAD_JSON_H_

#include <string>

#include "gatekeeper/v1/audit_payload.pb.h"

namespace gatekeeper {

std::string DecisionPayloadJson(const v1::DecisionPayload& p);

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_SERVER_PAYLOAD_JSON_H_

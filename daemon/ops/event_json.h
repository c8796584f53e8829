// An audit entry as a line of the event log (what dashboards and log shippers
// read): one JSON object with the entry's time at the deployment's UTC offset
// (`ts`, RFC 3339), `seq`, `kind`, `actor`, `customer_id` when the entry has
// one, and the fields of its payload flattened into the top level (for a
// decision: decision_id, purpose, campaign_id, company_id, print_run_id,
// document_id, agent_id, phone_masked, verdict, reasons, consent_id,
// policy_version, latency_us, ...; nested objects such as a dial's
// disclosure stay objects). Phone numbers appear only masked: the keyed
// pseudonyms of numbers (`phone_hmac`, at any depth) are left out. A payload
// field named like one of the entry's own is written as `payload_<name>`
// unless it holds the same value. Thread-safe.
#ifndef GATEKEEPER_DAEMON_OPS_EVENT_JSON_H_
#define GATEKEEPER_DAEMON_OPS_EVENT_JSON_H_

#include <nlohmann/json.hpp>
#include <string>

#include "daemon/audit/chain.h"

namespace gatekeeper {

// "2026-12-01T09:30:00.25+09:00" ("Z" for offset 0).
std::string FormatRfc3339WithOffset(Micros at, int utc_offset_seconds);

// The entry as the object its line holds (the dashboard picks fields of it).
nlohmann::ordered_json EventObject(const AuditRecord& entry,
                                   int utc_offset_seconds);

// Appends the entry's line, with its LF, to `out`.
void AppendEventLine(const AuditRecord& entry, int utc_offset_seconds,
                     std::string& out);

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_OPS_EVENT_JSON_H_

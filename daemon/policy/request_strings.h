// The bound on every string a client sends, whatever the RPC: a maximum
// length for every string field of a request (nested messages, repeated
// fields and maps included) and no control characters in any of them. The
// per-RPC validation (validate.h) is narrower where a field has a syntax of
// its own (campaign ids, phone numbers); this is the floor under all of it,
// derived from the message's descriptor, so that a field added later is
// bounded too. Pure. Thread-safe.
//
// The bound by field name:
//   identifiers and names: *_id, *_ids, actor, approver, requested_by,
//     collected_by, created_by, created_by_principal, approved_by,
//     reprint_of, kinds, and map keys                           128 bytes
//   phone_number                                                 64 bytes
//   every other string (free text: reason, note, description,
//     evidence_ref, disclosures' values, ...)                  4096 bytes
#ifndef GATEKEEPER_DAEMON_POLICY_REQUEST_STRINGS_H_
#define GATEKEEPER_DAEMON_POLICY_REQUEST_STRINGS_H_

#include <google/protobuf/message.h>

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"

namespace gatekeeper::policy {

inline constexpr size_t kMaxIdBytes = 128;
inline constexpr size_t kMaxPhoneBytes = 64;
inline constexpr size_t kMaxTextBytes = 4096;

// OK when `value` is at most `max` bytes without control characters; else
// INVALID_ARGUMENT "<field>: is longer than <max> bytes" or "<field>:
// contains a control character". validate.h's checks use it too.
absl::Status CheckText(std::string_view field, std::string_view value,
                       size_t max);

// The bound of a string field by its name (see above).
size_t MaxStringBytes(std::string_view field_name);

// OK, or INVALID_ARGUMENT naming the field's path ("campaign.description",
// "consents[3].evidence_ref", "campaign.disclosures[PRICE]") and what is
// wrong: "is longer than 128 bytes", "contains a control character".
absl::Status CheckRequestStrings(const google::protobuf::Message& request);

}  // namespace gatekeeper::policy

#endif  // GATEKEEPER_DAEMON_POLICY_REQUEST_STRINGS_H_

// A print-run batch's decisions as evidence: their compact stored encoding
// and the canonical decision lines that the batch's audit entry and the run's
// digest hash (the definition is RunSummary.run_digest in
// proto/gatekeeper/v1/insert_gate.proto; anyone can recompute it from a
// manifest and its rejects). Pure functions; thread-safe.
//
// Encoding (all integers unsigned LEB128 varints; strings are a varint length
// and the bytes):
//   u8 version (1)
//   campaign dictionary: count, then each campaign id
//   documents: count, then for each: document id, customer id, candidate
//     count, then for each candidate: its dictionary index, its reasons as a
//     bitmask (bit r for v1::Reason r), and the consent relied on: u8 kind
//     (0 none, 1 an id "cns_" + 32 hex digits as 16 bytes, 2 other text as a
//     string)
// About 60 bytes a document of two candidates, where a document's JSON would
// take several hundred.
#ifndef GATEKEEPER_DAEMON_AUDIT_PRINT_BATCH_H_
#define GATEKEEPER_DAEMON_AUDIT_PRINT_BATCH_H_

#include <bit>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace gatekeeper {

// One candidate leaflet of a document, decided.
struct CampaignVerdict {
  std::string campaign_id;
  uint32_t reasons = 0;    // bit r set for each v1::Reason r that applies
  std::string consent_id;  // the consent an ALLOW relied on
};

struct DocumentVerdicts {
  std::string document_id;
  std::string customer_id;
  std::vector<CampaignVerdict> campaigns;  // in the item's order
};

// The reasons bitmask of an ALLOW (exactly REASON_CONSENT_ON_RECORD).
uint32_t AllowMask();
inline bool IsAllow(uint32_t reasons) { return reasons == AllowMask(); }

std::string EncodePrintBatch(const std::vector<DocumentVerdicts>& docs);
// DATA_LOSS when `body` is not an encoding of version 1.
absl::StatusOr<std::vector<DocumentVerdicts>> DecodePrintBatch(
    std::string_view body);

// Appends the canonical decision lines of `doc` to `out`:
//   document_id TAB customer_id TAB campaign_id TAB ALLOW|BLOCK TAB reasons LF
// reasons by name without "REASON_", ';'-joined in ascending code order.
void AppendDecisionLines(const DocumentVerdicts& doc, std::string& out);

// "NO_CONSENT;CONSENT_WITHDRAWN" for a bitmask.
std::string ReasonNames(uint32_t reasons);
// The same, appended to `out`.
void AppendReasonNames(uint32_t reasons, std::string& out);

// Calls fn(r) for each reason code r set in the bitmask, in ascending order.
// Calls fn(r) for each bit r set, in ascending order.
template <typename Fn>
void ForEachReason(uint32_t reasons, Fn&& fn) {
  while (reasons != 0) {
    fn(std::countr_zero(reasons));
    reasons &= reasons - 1;
  }
}

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_AUDIT_PRINT_BATCH_H_

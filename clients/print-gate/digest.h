// The run digest of insert_gate.proto (RunSummary.run_digest): the hex
// SHA-256 over the run's decision lines, in document order and, within a
// document, in the order its row named the codes:
//   document_id TAB customer_id TAB campaign_id TAB verdict TAB reasons LF
// verdict ALLOW or BLOCK; reasons the Reason names without "REASON_"
// (CONSENT_ON_RECORD for an ALLOW), joined by ";" in ascending code order.
// print-gate computes it over what it writes for the run (and per batch,
// batch_sha256, for batches replayed in full), and refuses answers that do
// not match. Sha256 is not
// thread-safe; the functions are.
#ifndef GATEKEEPER_CLIENTS_PRINT_GATE_DIGEST_H_
#define GATEKEEPER_CLIENTS_PRINT_GATE_DIGEST_H_

#include <google/protobuf/repeated_field.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace printgate {

// Incremental SHA-256 (OpenSSL EVP).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(std::string_view data);
  // Lowercase hex of the digest so far; the object can go on being updated.
  std::string HexDigest() const;

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

// A Reason's name without "REASON_", or its number when this build does not
// know it.
std::string ReasonName(int reason);

// "NO_CONSENT;CONSENT_WITHDRAWN": the names in ascending code order.
std::string JoinReasons(const google::protobuf::RepeatedField<int>& reasons);

// The same for BatchDecided.reason_bits: bit r set for each Reason r.
std::string JoinReasonBits(uint32_t bits);

// One decision line (with its LF) appended to `out`. `reasons` as from
// JoinReasons; ignored for an ALLOW.
void AppendDecisionLine(std::string& out, std::string_view document_id,
                        std::string_view customer_id,
                        std::string_view campaign_id, bool allow,
                        std::string_view reasons);

}  // namespace printgate

#endif  // GATEKEEPER_CLIENTS_PRINT_GATE_DIGEST_H_

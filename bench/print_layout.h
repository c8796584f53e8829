// The print-run benchmark's world as pure functions of an index, so that the
// seeder, the manifest writer, the reference server, the bare streaming client
// and the verifier agree on every customer, document and verdict without
// reading anything back.
//
// Customers (index i, id CustomerIdOf(i), "cust-00000042"), by i mod 20:
//   0-10  an effective AD_INSERT consent for hikari-net       -> ALLOW
//   11-12 one, later withdrawn                                ->
//   CONSENT_WITHDRAWN 13-14 one collected and expired in the past ->
//   CONSENT_EXPIRED 15-19 none -> NO_CONSENT
// and, whatever the above, a TELEMARKETING consent for hikari-net on
// Phone(i) (bench/seed.h) when i mod 3 is 0.
// Documents (index d, id "BILL-202612-00000042"): customer d mod M (billing
// runs are sorted by customer), one to three of the three approved INSERT
// campaigns (about a third each of 1, 2 and 3), and for 1 document in 1000
// also the unknown code "leaflet-old" (UNKNOWN_CAMPAIGN).
// Thread-safe (no state).
#ifndef GATEKEEPER_BENCH_PRINT_LAYOUT_H_
#define GATEKEEPER_BENCH_PRINT_LAYOUT_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gatekeeper::bench {

inline constexpr std::array<const char*, 3> kLeaflets = {
    "leaflet-a", "leaflet-b", "leaflet-c"};
inline constexpr char kUnknownLeaflet[] = "leaflet-old";

enum class ConsentKind { kEffective, kWithdrawn, kExpired, kNone };

ConsentKind KindOf(uint64_t customer);
// Whether customer i has an AD_INSERT consent (effective, withdrawn or
// expired).
inline bool HasInsertConsent(uint64_t customer) {
  return KindOf(customer) != ConsentKind::kNone;
}
inline bool HasPhoneConsent(uint64_t customer) { return customer % 3 == 0; }

// "cust-00000042": fixed width (13 characters below 100 million).
std::string CustomerIdOf(uint64_t customer);
// The index of a CustomerIdOf id; nullopt for any other text.
std::optional<uint64_t> CustomerIndexOf(std::string_view id);
// "BILL-202612-00000042": 20 characters below 100 million.
std::string DocumentIdOf(uint64_t document);
inline uint64_t CustomerOfDocument(uint64_t document, uint64_t customers) {
  return document % customers;
}

// A document's candidate leaflets, in the order the manifest names them.
struct DocumentCodes {
  std::array<const char*, 4> codes{};
  int count = 0;
};
DocumentCodes CodesOfDocument(uint64_t document);

// The reasons (bit r for v1::Reason r, as daemon/audit/print_batch.h) the
// daemon must give for `code` in a document of customer `customer_id`:
// CONSENT_ON_RECORD alone for an ALLOW.
uint32_t ExpectedReasons(std::string_view customer_id, std::string_view code);

}  // namespace gatekeeper::bench

#endif  // GATEKEEPER_BENCH_PRINT_LAYOUT_H_

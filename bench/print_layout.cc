#include "bench/print_layout.h"

#include <cinttypes>
#include <cstdio>

#include "gatekeeper/v1/types.pb.h"

namespace gatekeeper::bench {
namespace {

constexpr std::string_view kCustomerPrefix = "cust-";

// SplitMix64's finalizer: a fixed, well-mixed function of the index.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint32_t Bit(v1::Reason r) { return 1u << static_cast<int>(r); }

}  // namespace

ConsentKind KindOf(uint64_t customer) {
  const uint64_t r = customer % 20;
  if (r < 11) return ConsentKind::kEffective;
  if (r < 13) return ConsentKind::kWithdrawn;
  if (r < 15) return ConsentKind::kExpired;
  return ConsentKind::kNone;
}

std::string CustomerIdOf(uint64_t customer) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "cust-%08" PRIu64, customer);
  return buf;
}

std::optional<uint64_t> CustomerIndexOf(std::string_view id) {
  if (id.size() <= kCustomerPrefix.size() ||
      id.substr(0, kCustomerPrefix.size()) != kCustomerPrefix ||
      id.size() > kCustomerPrefix.size() + 18) {
    return std::nullopt;
  }
  uint64_t n = 0;
  for (char c : id.substr(kCustomerPrefix.size())) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  // Only the canonical spelling (zero-padded to at least 8 digits).
  if (CustomerIdOf(n) != id) return std::nullopt;
  return n;
}

std::string DocumentIdOf(uint64_t document) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "BILL-202612-%08" PRIu64, document);
  return buf;
}

DocumentCodes CodesOfDocument(uint64_t document) {
  const uint64_t h = Mix(document);
  DocumentCodes out;
  const int n = 1 + static_cast<int>(h % 3);
  // Which leaflets and in what order: a rotation of a, b, c.
  const int first = static_cast<int>((h >> 8) % 3);
  for (int k = 0; k < n; ++k) {
    out.codes[static_cast<size_t>(out.count++)] =
        kLeaflets[static_cast<size_t>((first + k) % 3)];
  }
  if ((h >> 16) % 1000 == 0) {
    out.codes[static_cast<size_t>(out.count++)] = kUnknownLeaflet;
  }
  return out;
}

uint32_t ExpectedReasons(std::string_view customer_id, std::string_view code) {
  bool known = false;
  for (const char* l : kLeaflets) known = known || code == l;
  if (!known) return Bit(v1::REASON_UNKNOWN_CAMPAIGN);
  const std::optional<uint64_t> i = CustomerIndexOf(customer_id);
  if (!i.has_value()) return Bit(v1::REASON_NO_CONSENT);
  switch (KindOf(*i)) {
    case ConsentKind::kEffective:
      return Bit(v1::REASON_CONSENT_ON_RECORD);
    case ConsentKind::kWithdrawn:
      return Bit(v1::REASON_CONSENT_WITHDRAWN);
    case ConsentKind::kExpired:
      return Bit(v1::REASON_CONSENT_EXPIRED);
    case ConsentKind::kNone:
      break;
  }
  return Bit(v1::REASON_NO_CONSENT);
}

}  // namespace gatekeeper::bench

// The consent index as it was before the compact layout (daemon/store/
// consent_index.h at commit 798f3c3): std::string keys, a vector of entries per
// customer in an unordered_map, a vector of customer ids per phone. Kept for
// bench/index_bench.cc only, so that the compact index is compared with it on
// the same machine in the same run; the daemon does not use it. Takes the same
// Change as ConsentIndex. Thread-safe (readers share a lock).
#ifndef GATEKEEPER_BENCH_LEGACY_CONSENT_INDEX_H_
#define GATEKEEPER_BENCH_LEGACY_CONSENT_INDEX_H_

#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "daemon/common/facts.h"
#include "daemon/store/consent_index.h"
#include "daemon/store/pseudonym_hash.h"

namespace gatekeeper::bench {

class LegacyConsentIndex {
 public:
  using Entry = ConsentIndex::Entry;
  using Change = ConsentIndex::Change;

  void Apply(std::vector<Change>& changes);
  std::vector<ConsentFact> OfCustomer(std::string_view customer_id,
                                      v1::Purpose purpose,
                                      std::string_view company_id) const;
  std::vector<ConsentFact> OfPhone(std::string_view phone_pseudonym,
                                   v1::Purpose purpose,
                                   std::string_view company_id) const;
  std::optional<std::string> MaskOfPhone(
      std::string_view phone_pseudonym) const;
  size_t size() const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const {
      return std::hash<std::string_view>{}(s);
    }
  };
  using Map = std::unordered_map<std::string, std::vector<Entry>, Hash,
                                 std::equal_to<>>;
  void Collect(const std::vector<Entry>& entries, v1::Purpose purpose,
               std::string_view company_id, std::string_view phone,
               std::vector<ConsentFact>& out) const;

  mutable std::shared_mutex mu_;
  Map by_customer_;  // guarded by mu_
  struct Phone {
    std::string masked;
    std::vector<std::string> customers;  // holding a consent for it
  };
  // Phone pseudonym -> its masked form and customers.
  std::unordered_map<std::string, Phone, PseudonymHash, std::equal_to<>>
      customers_by_phone_;  // guarded by mu_
  size_t size_ = 0;         // guarded by mu_
};

}  // namespace gatekeeper::bench

#endif  // GATEKEEPER_BENCH_LEGACY_CONSENT_INDEX_H_

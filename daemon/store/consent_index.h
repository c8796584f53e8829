// The decision inputs of every consent, in memory: checks read them on every
// call, and SQLite reads (page-cache resets on every commit, WAL lookups) were
// most of a decision's cost. Built from the database at open; changed only by
// the store's writer after COMMIT, so it never holds uncommitted state.
// Roughly 400 bytes per consent (std::string keys and vectors). Thread-safe
// (readers share a lock).
#ifndef GATEKEEPER_DAEMON_STORE_CONSENT_INDEX_H_
#define GATEKEEPER_DAEMON_STORE_CONSENT_INDEX_H_

#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "daemon/common/facts.h"
#include "daemon/store/pseudonym_hash.h"

namespace gatekeeper {

class ConsentIndex {
 public:
  struct Entry {
    ConsentFact fact;
    v1::Purpose purpose = v1::PURPOSE_UNSPECIFIED;
    std::string company_id;
  };
  // A committed change: a new consent, or a new state of a known one.
  struct Change {
    Entry entry;      // entry.fact.consent_id and customer_id always set
    bool only_state;  // true: set entry.fact.state on the existing consent
    std::string phone_masked = {};  // with a new consent's phone_pseudonym
  };

  void Apply(std::vector<Change>& changes);
  std::vector<ConsentFact> OfCustomer(std::string_view customer_id,
                                      v1::Purpose purpose,
                                      std::string_view company_id) const;
  std::vector<ConsentFact> OfPhone(std::string_view phone_pseudonym,
                                   v1::Purpose purpose,
                                   std::string_view company_id) const;
  // The masked form of a number some consent names (nullopt: none does).
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

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_STORE_CONSENT_INDEX_H_

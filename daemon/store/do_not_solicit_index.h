// The active do-not-solicit entries, in memory: every dial check reads them.
// Built from the database at open; changed only by the store's writer after
// COMMIT. Entries are few (refusals), so lookups are two hash probes. Thread-
// safe (readers share a lock).
#ifndef GATEKEEPER_DAEMON_STORE_DO_NOT_SOLICIT_INDEX_H_
#define GATEKEEPER_DAEMON_STORE_DO_NOT_SOLICIT_INDEX_H_

#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "daemon/common/facts.h"
#include "daemon/store/pseudonym_hash.h"

namespace gatekeeper {

class DoNotSolicitIndex {
 public:
  // A committed change: a new active entry, or an entry cleared.
  struct Change {
    DoNotSolicitFact entry;
    bool cleared = false;
  };
  void Apply(const std::vector<Change>& changes);
  // Active entries naming the number or one of the customers (each once).
  std::vector<DoNotSolicitFact> Of(
      std::string_view phone_pseudonym,
      const std::vector<std::string>& customer_ids) const;
  size_t size() const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const {
      return std::hash<std::string_view>{}(s);
    }
  };
  using Map = std::unordered_map<std::string, std::vector<DoNotSolicitFact>,
                                 Hash, std::equal_to<>>;
  // Whether the entry was there.
  template <typename M>
  static bool Remove(M& map, const std::string& key,
                     const std::string& entry_id);

  mutable std::shared_mutex mu_;
  Map by_customer_;  // guarded by mu_
  std::unordered_map<std::string, std::vector<DoNotSolicitFact>, PseudonymHash,
                     std::equal_to<>>
      by_phone_;     // guarded by mu_
  size_t size_ = 0;  // guarded by mu_
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_STORE_DO_NOT_SOLICIT_INDEX_H_

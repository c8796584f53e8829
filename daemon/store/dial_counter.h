// The ALLOWed dials of the last 31 days per number, in memory, for the
// frequency caps: a check counts them on every dial. Built at open from the
// provision records (one per ALLOWed dial); changed only by the store's writer
// after COMMIT, so it never holds uncommitted dials. About 40 bytes a dial
// plus a map node per number. Thread-safe (readers share a lock).
#ifndef GATEKEEPER_DAEMON_STORE_DIAL_COUNTER_H_
#define GATEKEEPER_DAEMON_STORE_DIAL_COUNTER_H_

#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "daemon/common/clock.h"
#include "daemon/common/facts.h"
#include "daemon/store/pseudonym_hash.h"

namespace gatekeeper {

class DialCounter {
 public:
  // How long dials are kept: longer than the longest cap window (30 days).
  static constexpr Micros kKeep = 31 * 86'400'000'000LL;

  struct Dial {
    std::string phone_pseudonym;
    std::string company_id;
    std::string campaign_id;
    Micros at = 0;
  };

  // Adds committed dials (in time order per number) and forgets those older
  // than kKeep before the newest.
  void Add(const std::vector<Dial>& dials);
  // Dials to the number for the campaign at or after `day_start`, and for the
  // company after `since`.
  DialCounts Count(std::string_view phone_pseudonym,
                   std::string_view company_id, std::string_view campaign_id,
                   Micros day_start, Micros since) const;
  // Adds what `pending` (not yet committed) holds for the same question.
  static void CountPending(const std::vector<Dial>& pending,
                           std::string_view phone_pseudonym,
                           std::string_view company_id,
                           std::string_view campaign_id, Micros day_start,
                           Micros since, DialCounts& counts);
  size_t size() const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const {
      return std::hash<std::string_view>{}(s);
    }
  };
  struct Entry {
    Micros at;
    uint32_t company;   // interned
    uint32_t campaign;  // interned
  };
  uint32_t Intern(const std::string& name);  // under the unique lock
  // The interned id, or UINT32_MAX when never seen (under a lock).
  uint32_t Find(std::string_view name) const;

  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::vector<Entry>, PseudonymHash,
                     std::equal_to<>>
      by_phone_;  // guarded by mu_
  std::unordered_map<std::string, uint32_t, Hash, std::equal_to<>>
      ids_;              // guarded by mu_
  size_t size_ = 0;      // guarded by mu_
  Micros newest_ = 0;    // guarded by mu_
  Micros swept_at_ = 0;  // guarded by mu_: when stale numbers were last dropped
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_STORE_DIAL_COUNTER_H_

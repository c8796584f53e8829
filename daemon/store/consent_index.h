// The decision inputs of every consent, in memory: checks read them on every
// call, and SQLite reads (page-cache resets on every commit, WAL lookups) were
// most of a decision's cost. Built from the database at open; changed only by
// the store's writer after COMMIT, so it never holds uncommitted state.
// Thread-safe: readers share a lock, Apply takes it alone.
//
// Compact, so that 10 million consents fit in a daemon of 1 GiB (figures in
// bench/index_bench.cc; the former layout of std::string keys, vectors and
// map nodes took about 400 bytes a consent):
//   - every consent is one fixed-size record (48 bytes) in chunks that never
//     move: its id as 16 bytes when it is "cns_" + 32 lowercase hex digits
//     (NewId's form; any other id is kept as text), the times, state, purpose,
//     its company as an index into a small table of the distinct companies,
//     its number as an index into the phone table, and the index of its
//     customer's next consent;
//   - a customer is its id and the index of its first consent in an arena,
//     found through a hash set of 32-bit handles into that arena;
//   - a number is its 32-byte pseudonym, the handle of its masked form
//     (masked forms are interned: they repeat) and its customer (or a list,
//     for a number more than one customer named), found the same way.
// Facts are rebuilt from these on every lookup. A customer's consents are in
// the order they were first recorded, a number's customers too, as OfCustomer
// and OfPhone return them.
//
// Limits: fewer than 2^32 - 1 consents and numbers, and 8 GiB each of
// customer ids, masked forms, and ids that are not NewId's; the process
// aborts beyond them, as it would on running out of memory.
#ifndef GATEKEEPER_DAEMON_STORE_CONSENT_INDEX_H_
#define GATEKEEPER_DAEMON_STORE_CONSENT_INDEX_H_

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "daemon/common/facts.h"

namespace gatekeeper {

class SnapshotReader;
class SnapshotWriter;

class ConsentIndex {
 public:
  struct Entry {
    ConsentFact fact;
    v1::Purpose purpose = v1::PURPOSE_UNSPECIFIED;
    std::string company_id;
  };
  // A committed change: a new consent, a new state of a known one, or its
  // removal (retention purged it: in no answer from then on; its memory is
  // reclaimed at the next start).
  struct Change {
    Entry entry;           // entry.fact.consent_id and customer_id always set
    bool only_state;       // true: set entry.fact.state on the existing consent
    bool removed = false;  // true: remove the existing consent
    std::string phone_masked = {};  // with a new consent's phone_pseudonym
  };
  // A consent as the consents table holds it, for Load (the views need
  // outlive only the call).
  struct Row {
    std::string_view consent_id;
    std::string_view customer_id;
    std::string_view phone_pseudonym;  // empty: none
    std::string_view phone_masked;
    std::string_view company_id;
    v1::Purpose purpose = v1::PURPOSE_UNSPECIFIED;
    v1::ConsentState state = v1::CONSENT_STATE_UNSPECIFIED;
    Micros collected_at = 0;
    Micros expires_at = 0;
  };
  // The hash of customer ids; tests replace it to make ids collide.
  using StringHash = size_t (*)(std::string_view);

  ConsentIndex();
  explicit ConsentIndex(StringHash customer_hash);
  ~ConsentIndex();
  ConsentIndex(const ConsentIndex&) = delete;
  ConsentIndex& operator=(const ConsentIndex&) = delete;

  // Makes room for `consents` consents in all, and for half as many customers
  // and a quarter as many numbers, so that loading them does not grow the
  // hash tables step by step (each step rehashes every key, a cache miss
  // each). Optional.
  void Reserve(size_t consents);
  // Applies the changes in order. A new consent whose id the customer already
  // has replaces it; a state change of a consent the customer does not have is
  // ignored. A number keeps the first masked form given for it.
  void Apply(std::vector<Change>& changes);
  // Adds the consents as Apply adds new ones, without making Changes of
  // them first: the load at open (LoadConsentIndex).
  void Load(std::span<const Row> rows);
  // The customer's consents for the purpose and company, in the order they
  // were first recorded.
  std::vector<ConsentFact> OfCustomer(std::string_view customer_id,
                                      v1::Purpose purpose,
                                      std::string_view company_id) const;
  // Brings the parts of the customer table that looking these customers up
  // reads into the cache (a hint: at 10 million consents each lookup
  // otherwise waits on memory).
  void PrefetchCustomers(std::span<const std::string_view> customer_ids) const;
  // The consents naming the number for the purpose and company: those of its
  // customers in the order they first named it, each customer's in order.
  std::vector<ConsentFact> OfPhone(std::string_view phone_pseudonym,
                                   v1::Purpose purpose,
                                   std::string_view company_id) const;
  // The masked form of a number some consent names (nullopt: none does).
  std::optional<std::string> MaskOfPhone(
      std::string_view phone_pseudonym) const;
  size_t size() const;
  // Consents by purpose and the state of their latest event ("AD_INSERT",
  // "GRANTED"); an expired consent is still GRANTED here.
  std::map<std::pair<std::string, std::string>, uint64_t>
  CountsByPurposeAndState() const;
  // Heap bytes the tables have allocated (a chunk counts whole once begun,
  // though its untouched pages are not resident).
  size_t AllocatedBytes() const;

  // Writes the whole index into a snapshot (index_snapshot.h), in a form
  // Restore reads back without a hash lookup per consent.
  void Save(SnapshotWriter& w) const;
  // Replaces the index with the snapshot's once all of it is read and its
  // SHA-256 matches (SnapshotReader::Finish); otherwise DATA_LOSS, and the
  // index is unchanged.
  absl::Status Restore(SnapshotReader& r);

 private:
  class Tables;
  const StringHash customer_hash_;
  mutable std::shared_mutex mu_;
  std::unique_ptr<Tables> tables_;  // guarded by mu_
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_STORE_CONSENT_INDEX_H_

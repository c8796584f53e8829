// The audit log's per-customer index, kept off the decision path.
//
// A B-tree index on audit(customer_id, seq) costs every decision one random
// index page in its commit: a 4 KiB WAL frame to write and fsync, and later a
// random write when the checkpoint copies it back. At tens of thousands of
// decisions a second that page I/O, not the audit row, limited throughput.
//
// Instead the log is cut into runs of a fixed number of entries: run r holds
// seqs [r * run_entries + 1, (r + 1) * run_entries]. Once a run's last entry
// has committed, its (customer_id, seq) pairs are sorted and inserted, a few
// hundred per writer transaction, into
//   audit_customer_runs(run, customer_id, seq) PRIMARY KEY(run, customer_id,
//   seq)
// Keys of one run are inserted in key order, at the right edge of the B-tree,
// so a transaction touches one or two pages however many decisions it holds.
// audit_index_state.indexed_through says which runs are complete (always a
// multiple of run_entries); it changes in the transaction that inserts a run's
// last key.
//
// A per-customer query seeks once per indexed run, then scans the entries not
// yet indexed (at most about two runs). The index is derived data: on start the
// unindexed tail is read back from the audit table, and runs interrupted by a
// crash are inserted again (INSERT OR IGNORE).
#ifndef GATEKEEPER_DAEMON_STORE_CUSTOMER_RUNS_H_
#define GATEKEEPER_DAEMON_STORE_CUSTOMER_RUNS_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daemon/store/sqlite.h"

namespace gatekeeper {

inline constexpr char kCustomerRunsSchema[] = R"sql(
CREATE TABLE audit_customer_runs(
  run         INTEGER NOT NULL,
  customer_id TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  PRIMARY KEY(run, customer_id, seq)) WITHOUT ROWID;
CREATE TABLE audit_index_state(
  id              INTEGER PRIMARY KEY CHECK (id = 1),
  indexed_through INTEGER NOT NULL);
INSERT INTO audit_index_state(id, indexed_through) VALUES(1, 0);
)sql";

// Writer-thread state of the index. Not thread-safe.
class CustomerRunIndexer {
 public:
  explicit CustomerRunIndexer(uint64_t run_entries);

  // Reads the unindexed tail of the log and indexes every complete run in it,
  // in transactions of its own (call before the writer starts).
  absl::Status Load(sqlite::Connection& db);

  // Inside the writer's open transaction: inserts up to `max_rows` keys of the
  // oldest complete run. Tentative until Committed() or RolledBack().
  absl::Status Step(sqlite::Connection& db, size_t max_rows);
  // The transaction committed; `appended` are its new entries (seq, customer),
  // in seq order, and `head_seq` the log's last seq.
  void Committed(std::vector<std::pair<uint64_t, std::string>>& appended,
                 uint64_t head_seq);
  void RolledBack();

  // Calls fn with the seqs of the customer's entries after `after_seq`, in
  // order, until it returns false or `limit` were given. Call inside a read
  // transaction, so that index and log are one snapshot.
  static absl::Status Scan(
      sqlite::Connection& db, uint64_t run_entries, uint64_t after_seq,
      uint32_t limit, std::string_view customer_id,
      const std::function<absl::StatusOr<bool>(uint64_t seq)>& fn);

 private:
  struct Run {
    uint64_t run = 0;
    std::vector<std::pair<std::string, uint64_t>> keys;  // (customer, seq)
    bool sorted = false;
    size_t inserted = 0;   // committed
    size_t tentative = 0;  // inserted in the open transaction
  };
  Run& RunFor(uint64_t seq);
  absl::Status Insert(sqlite::Connection& db, Run& run, size_t max_rows,
                      bool* finished);

  const uint64_t run_entries_;
  uint64_t indexed_through_ = 0;
  uint64_t head_seq_ = 0;
  std::deque<Run> runs_;    // oldest first; the back one may be incomplete
  bool finishing_ = false;  // the open transaction completes runs_.front()
};

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_STORE_CUSTOMER_RUNS_H_

// Print runs (InsertGate.CheckInsertBatch): the runs, their decided batches
// (each body the compact encoding of daemon/audit/print_batch.h, under one
// chained "print.batch" entry) and, once a run is closed, its per-customer
// index: (run_no, customer hash, batch_no) keys written in key order at the
// right edge of the B-tree, so that finding a customer's print decisions is
// one seek per run and writing them never costs random pages while the run
// is decided.
#ifndef GATEKEEPER_DAEMON_STORE_PRINT_RUN_RECORDS_H_
#define GATEKEEPER_DAEMON_STORE_PRINT_RUN_RECORDS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/store/sqlite.h"
#include "daemon/store/store.h"

namespace gatekeeper {

// The schema of print runs (schema version 4).
extern const char kPrintRunSchema[];

// The 8-byte key a customer id is indexed under in print runs.
int64_t CustomerHash(std::string_view customer_id);

absl::StatusOr<std::optional<PrintRun>> ReadPrintRun(sqlite::Connection& db,
                                                     std::string_view run_id);
absl::Status InsertPrintRun(sqlite::Connection& db, const PrintRun& run);
// Sets next_batch_no, documents and decisions (and closed/summary).
absl::Status UpdatePrintRun(sqlite::Connection& db, const PrintRun& run);

absl::Status InsertPrintBatch(sqlite::Connection& db, std::string_view run_id,
                              uint64_t batch_no, uint64_t seq,
                              std::string_view body);

// Calls fn(batch_no, seq, body) for the run's batches from `from_batch` in
// order until it returns false.
absl::Status ScanPrintBatches(
    sqlite::Connection& db, std::string_view run_id, uint64_t from_batch,
    const std::function<bool(uint64_t, uint64_t, std::string_view)>& fn);

// The body of the batch written under audit entry `seq`; nullopt if none.
absl::StatusOr<std::optional<std::pair<std::string, std::string>>>
PrintBatchBySeq(sqlite::Connection& db, uint64_t seq);  // (run_id, body)

// Inserts index keys (customer hash, batch_no) of a run, sorted.
absl::Status InsertPrintIndex(
    sqlite::Connection& db, int64_t run_no,
    const std::vector<std::pair<int64_t, uint64_t>>& sorted_keys);

// The seqs of the batches that may hold the customer's documents: of closed
// runs through the index, of open runs every batch.
absl::StatusOr<std::vector<uint64_t>> PrintBatchSeqsOf(
    sqlite::Connection& db, std::string_view customer_id);

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_STORE_PRINT_RUN_RECORDS_H_

// Print runs (InsertGate.CheckInsertBatch): the runs, their decided batches
// (each body the compact encoding of daemon/audit/print_batch.h, under one
// chained "print.batch" entry) and, once a run is closed, its per-customer
// index: (32-bit customer key, batch_no) pairs in 4,096 buckets a run, one
// row per bucket, so that finding a customer's print decisions is one row
// per run and closing a run of ten million documents writes a few thousand
// rows (about 8 bytes a document). A key names candidates only: the reader
// checks the batch really holds the customer.
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

// The 32-bit key a customer id is indexed under in print runs (stable: it
// is stored).
uint32_t PrintCustomerKey(std::string_view customer_id);
// An index entry: the key in the upper half, the batch number in the lower;
// sorted entries are in bucket order.
inline uint64_t PrintIndexEntry(uint32_t key, uint32_t batch_no) {
  return (static_cast<uint64_t>(key) << 32) | batch_no;
}

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

// Writes the buckets of sorted, distinct `entries[0..n)` of a run; the range
// must hold whole buckets (see PrintIndexBucketEnd). Idempotent.
absl::Status InsertPrintIndex(sqlite::Connection& db, int64_t run_no,
                              const uint64_t* entries, size_t n);
// Sorts the entries (and drops duplicates) as InsertPrintIndex wants them:
// spread by their top 16 bits first, then each part sorted where it fits in
// the cache (about twice as fast as one sort of ten million).
void SortPrintIndexEntries(std::vector<uint64_t>& entries);
// The end of the bucket that sorted `entries[at]` is in.
size_t PrintIndexBucketEnd(const std::vector<uint64_t>& entries, size_t at);

// The seqs of the batches that may hold the customer's documents, sorted:
// of closed runs through the index, of open runs every batch.
absl::StatusOr<std::vector<uint64_t>> PrintBatchSeqsOf(
    sqlite::Connection& db, std::string_view customer_id);

}  // namespace gatekeeper

#endif  // GATEKEEPER_DAEMON_STORE_PRINT_RUN_RECORDS_H_

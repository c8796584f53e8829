// What the log holds of a print run, read from the database of a stopped
// daemon (read-only; the store is not opened, so no consent is loaded): every
// stored batch decoded (daemon/audit/print_batch.h) and re-hashed against its
// "print.batch" entry's decisions_sha256, every document checked against the
// manifest's layout (its position, id, customer, codes in order, and the
// verdict the seed implies: print_layout.h), the run's digest recomputed from
// the batches and the digest logged at close. Thread-compatible.
#ifndef GATEKEEPER_BENCH_PRINT_VERIFY_H_
#define GATEKEEPER_BENCH_PRINT_VERIFY_H_

#include <cstdint>
#include <filesystem>
#include <string>

#include "absl/status/statusor.h"

namespace gatekeeper::bench {

struct RunEvidence {
  bool closed = false;  // the run has its "print.closed" entry
  uint64_t batches = 0, documents = 0, decisions = 0;
  // Batches whose stored decisions do not hash to their entry's
  // decisions_sha256, or whose entry names another run or batch.
  uint64_t bad_batches = 0;
  // Documents that are not the manifest's row at their position, or whose
  // verdicts are not what the seed implies.
  uint64_t unexpected_documents = 0;
  std::string first_problem;  // the first of either, for the report
  std::string digest;         // hex, recomputed from the stored batches
  std::string logged_digest;  // hex, of the run's summary logged at close
  // Bytes of what the run stored: the batches' encoded decisions, their
  // entries' payload_json, and the per-customer index rows written at close.
  uint64_t body_bytes = 0, payload_bytes = 0, index_rows = 0;
  double seconds = 0;  // reading and checking
};

// NOT_FOUND when the database has no such run.
absl::StatusOr<RunEvidence> ReadRunEvidence(const std::filesystem::path& db,
                                            const std::string& run_id,
                                            uint64_t customers);

}  // namespace gatekeeper::bench

#endif  // GATEKEEPER_BENCH_PRINT_VERIFY_H_

// The benchmark's database: N consents imported through Store::ImportConsents
// (as a bulk import would, one audit entry each) plus an approved INSERT and
// CALL campaign. The mix is issue 12's realistic one: both purposes, a third
// of the consents with a number, some withdrawn and some expired. The layout
// is a pure function of the index, so the load generator can pick seeded
// customers and numbers without reading the DB. Consents come in threes, for
// two customers (2N/3 customers, N/3 numbers), all for hikari-net:
//   i % 3 == 0: AD_INSERT consent of customer CustomerId(i);
//   i % 3 == 1: TELEMARKETING consent of that same customer on Phone(i);
//   i % 3 == 2: AD_INSERT consent of customer CustomerId(i).
// In one group of three in ten (i / 3 % 10 == 7) the TELEMARKETING consent
// and the second customer's AD_INSERT one are withdrawn after the import; in
// another (== 8) all three expired on 2026-07-01.
#ifndef GATEKEEPER_BENCH_SEED_H_
#define GATEKEEPER_BENCH_SEED_H_

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>

#include "absl/status/statusor.h"
#include "daemon/config/config.h"

namespace gatekeeper::bench {

inline constexpr char kCompany[] = "hikari-net";
inline constexpr char kInsertNotice[] = "ad-2026-04";
inline constexpr char kDialNotice[] = "tm-2026-04";

// "bench-00000042": fixed width, so every request has the same size.
std::string CustomerId(uint64_t i);
// The indices whose consent is an AD_INSERT one (i % 3 != 1) and those whose
// is a TELEMARKETING one (i % 3 == 1), in order: the k-th of each kind, and
// how many of each kind the first `consents` indices hold.
uint64_t InsertIndex(uint64_t k);
uint64_t DialIndex(uint64_t k);
uint64_t InsertIndices(uint64_t consents);
uint64_t DialIndices(uint64_t consents);
// "090-1000-0042": a valid Japanese mobile number, distinct for every i below
// 90 million, in the dashed form a dialer would send.
std::string Phone(uint64_t i);

struct SeedResult {
  uint64_t layout_consents = 0;  // N of the layout (>= what was asked)
  uint64_t db_consents = 0;      // rows in the consents table
  bool reused = false;
  uint64_t imported = 0;  // consents written by this run
  double seconds = 0;     // seeding time of this run
  std::string insert_campaign;
  std::string call_campaign;
};

// Seeds `dir` with at least `consents` consents, or reuses the seed found
// there. Progress goes to `log`. Closes the store before returning. Stops
// between batches with CANCELLED once `*interrupted` is true (a later run
// resumes: known request_ids are skipped).
absl::StatusOr<SeedResult> Seed(const std::filesystem::path& dir,
                                const ConfigIndex& config, uint64_t consents,
                                std::ostream& log,
                                const std::atomic<bool>* interrupted);

// Read-only facts about the database of a stopped daemon.
struct DbFacts {
  uint64_t consents = 0;
  uint64_t head_seq = 0;         // the last audit entry
  uint64_t entries_after = 0;    // audit entries with seq > after_seq
  uint64_t decisions_after = 0;  // of which decision.insert/decision.dial
};
absl::StatusOr<DbFacts> ReadDbFacts(const std::filesystem::path& db,
                                    uint64_t after_seq);

}  // namespace gatekeeper::bench

#endif  // GATEKEEPER_BENCH_SEED_H_

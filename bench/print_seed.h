// The print-run benchmark's database and manifests (the layout of
// print_layout.h), made once per data directory and reused.
//
// The database is made through the daemon's own store, as a bulk import and
// the consent desk would: every consent by Store::ImportConsents (one audit
// entry each), every withdrawal by Store::WithdrawConsent from many threads at
// once (its own entry and history, group-committed), and the three INSERT
// campaigns created by one actor and approved by another. A marker file says
// how many customers are seeded; it is written last, so a seed cut off half
// way is resumed by the next run (known request ids are skipped). Not
// thread-safe; one caller at a time.
#ifndef GATEKEEPER_BENCH_PRINT_SEED_H_
#define GATEKEEPER_BENCH_PRINT_SEED_H_

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <iosfwd>

#include "absl/status/statusor.h"
#include "daemon/config/config.h"

namespace gatekeeper::bench {

struct PrintSeedResult {
  uint64_t customers = 0;  // of the layout in the database (>= asked)
  bool reused = false;
  // This run's work (all 0 when reused).
  uint64_t consents = 0;  // imported
  double import_seconds = 0;
  uint64_t withdrawals = 0;
  double withdraw_seconds = 0;
  double campaign_seconds = 0;
};

// Seeds `dir` (gatekeeper.db, pseudonym.key) with the first `customers`
// customers of the layout and the campaigns, or reuses the seed found there
// when it holds at least as many; then checks that the three campaigns are
// approved and in their window for at least a day (FAILED_PRECONDITION
// otherwise: a seed that old needs a fresh directory). Progress goes to
// `log`. CANCELLED between batches once `*interrupted` is true.
absl::StatusOr<PrintSeedResult> SeedPrint(const std::filesystem::path& dir,
                                          const ConfigIndex& config,
                                          uint64_t customers, std::ostream& log,
                                          const std::atomic<bool>* interrupted);

struct ManifestFile {
  std::filesystem::path path;
  uint64_t bytes = 0;
  bool reused = false;
  double seconds = 0;  // writing it (0 when reused)
};

// The manifest of the first `documents` documents over `customers`
// customers, in `dir`, named by both numbers; reused when present (it is
// written under a temporary name and renamed when complete).
absl::StatusOr<ManifestFile> EnsureManifest(const std::filesystem::path& dir,
                                            uint64_t documents,
                                            uint64_t customers);

}  // namespace gatekeeper::bench

#endif  // GATEKEEPER_BENCH_PRINT_SEED_H_

// gkindexbench: the memory, build time and lookup cost of the in-memory
// consent index (daemon/store/consent_index.h), with the index as it was
// before its compact layout (bench/legacy_consent_index.h) measured in the same
// run as the baseline.
//
// Both are built from the same synthetic consents, through Apply in batches
// of 100,000 as LoadConsentIndex does at open. The mix, for N consents:
// consents come in threes, one customer holding an ad-insert and a
// telemarketing consent, another an ad-insert one, so there are 2N/3
// customers (1.5 consents each) and a third of the consents name a number;
// one number in 20 is shared by two customers (a household line). Five group
// companies. One consent in ten is withdrawn, one in ten expired, four in ten
// expire in the future, the rest never. Customer ids are 12 characters
// ("CU" + 10 digits), consent ids "cns_" + 32 hex digits as NewId makes them,
// except one in 200 imported with a legacy id ("IMP-2019-" + digits); phone
// pseudonyms are 32 random bytes, masks "+81 90-****-1234".
//
// Memory is the growth of the resident set (/proc/self/statm) over the build,
// read after the allocator returned its free pages to the system (jemalloc,
// as in gatekeeperd), and the growth of the allocator's allocated bytes.
// Lookups are OfCustomer and OfPhone of existing consents in random order;
// each round times every lookup kind for both indexes (the order alternating
// from round to round), and the figure is the median of the rounds. The tool
// also checks that both indexes answer every sampled lookup alike, and exits 3
// when they do not.
#include <jemalloc/jemalloc.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "bench/legacy_consent_index.h"
#include "daemon/common/status_macros.h"
#include "daemon/common/strings.h"
#include "daemon/store/consent_index.h"
#include "daemon/store/consent_records.h"
#include "daemon/store/sqlite.h"
#include "daemon/store/sqlite_store.h"

namespace gatekeeper::bench {
namespace {

constexpr size_t kBatch = 100000;  // as LoadConsentIndex
constexpr Micros kSecond = 1'000'000;
constexpr Micros kDay = 86400 * kSecond;
// 2026-12-01T00:00:00Z.
constexpr Micros kNow = 1796083200LL * kSecond;
constexpr const char* kCompanies[] = {"hikari-net", "hikari-denki",
                                      "hikari-mobile", "hikari-gas",
                                      "hikari-insurance"};

uint64_t Mix(uint64_t z) {  // splitmix64's finaliser
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::string CustomerOf(uint64_t c) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "CU%010" PRIu64, c);
  return buf;
}

std::string PseudonymOf(uint64_t number) {
  std::string p(32, '\0');
  for (int i = 0; i < 4; ++i) {
    const uint64_t w = Mix(number * 4 + i + 0x5eed);
    std::memcpy(p.data() + 8 * i, &w, sizeof w);
  }
  return p;
}

std::string MaskOf(uint64_t number) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "+81 90-****-%04" PRIu64, number % 10000);
  return buf;
}

// The i-th consent of the mix (see the top of the file).
ConsentIndex::Change ConsentAt(uint64_t i) {
  const uint64_t t = i / 3;
  const uint64_t r = i % 3;
  const uint64_t h = Mix(i);
  ConsentIndex::Change c{{}, /*only_state=*/false};
  ConsentFact& f = c.entry.fact;
  if (h % 200 == 0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "IMP-2019-%09" PRIu64, i);
    f.consent_id = buf;
  } else {
    char buf[40];
    std::snprintf(
        buf, sizeof buf, "cns_%012" PRIx64 "%016" PRIx64 "%04" PRIx64,
        static_cast<uint64_t>(kNow / 1000 - i) & uint64_t{0xffffffffffff},
        Mix(h), Mix(h + 1) & 0xffff);
    f.consent_id = buf;
  }
  f.customer_id = CustomerOf(r == 1 ? 2 * t + 1 : 2 * t);
  f.collected_at =
      kNow - static_cast<Micros>(h % (3 * 365 * kDay / kSecond)) * kSecond -
      static_cast<Micros>((h >> 40) % kSecond);
  switch ((h >> 8) % 10) {
    case 0:
      f.expires_at = kNow - 30 * kDay;  // expired
      break;
    case 1:
    case 2:
    case 3:
    case 4:
      f.expires_at = f.collected_at + 3 * 365 * kDay + 30 * kDay;
      break;
    default:
      f.expires_at = 0;
  }
  f.state = (h >> 16) % 10 == 0 ? v1::CONSENT_STATE_WITHDRAWN
                                : v1::CONSENT_STATE_GRANTED;
  c.entry.purpose = r == 2 ? v1::PURPOSE_TELEMARKETING : v1::PURPOSE_AD_INSERT;
  c.entry.company_id = r == 0 ? kCompanies[0] : kCompanies[(h >> 24) % 5];
  if (r == 2) {
    // One number in 20 is the previous household's.
    const uint64_t number = ((h >> 32) % 20 == 0 && t > 0) ? t - 1 : t;
    f.phone_pseudonym = PseudonymOf(number);
    c.phone_masked = MaskOf(number);
  }
  return c;
}

void Batch(uint64_t from, uint64_t to, std::vector<ConsentIndex::Change>& out) {
  out.clear();
  for (uint64_t i = from; i < to; ++i) out.push_back(ConsentAt(i));
}

// --- Memory ---------------------------------------------------------------

size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// Returns the allocator's free pages to the system, so that the resident set
// holds what is allocated (and the allocator's own overhead).
void ReleaseFreePages() {
  mallctl("thread.tcache.flush", nullptr, nullptr, nullptr, 0);
  char purge[64];
  std::snprintf(purge, sizeof purge, "arena.%u.purge", MALLCTL_ARENAS_ALL);
  mallctl(purge, nullptr, nullptr, nullptr, 0);
}

size_t AllocatedBytes() {
  uint64_t epoch = 1;
  size_t len = sizeof epoch;
  mallctl("epoch", &epoch, &len, &epoch, len);
  size_t allocated = 0;
  len = sizeof allocated;
  mallctl("stats.allocated", &allocated, &len, nullptr, 0);
  return allocated;
}

struct Memory {
  size_t resident = 0;
  size_t allocated = 0;
};

Memory MemoryNow() {
  ReleaseFreePages();
  return {ResidentBytes(), AllocatedBytes()};
}

// --- Runs -----------------------------------------------------------------

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// CPU seconds of the process so far (all threads): on a shared machine, less
// at the mercy of other tenants than elapsed time.
double CpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

struct BuildFigures {
  double apply_seconds = 0;  // in Apply only
  double apply_cpu_seconds = 0;
  double total_seconds = 0;  // with making the changes
  double resident_per_consent = 0;
  double allocated_per_consent = 0;
};

template <typename Index>
BuildFigures Build(Index& index, uint64_t n) {
  BuildFigures out;
  std::vector<ConsentIndex::Change> batch;
  batch.reserve(kBatch);
  // The batch's own memory is counted in neither figure.
  Batch(0, std::min<uint64_t>(n, kBatch), batch);
  batch.clear();
  const Memory before = MemoryNow();
  Clock::duration apply{};
  const auto t0 = Clock::now();
  for (uint64_t from = 0; from < n; from += kBatch) {
    Batch(from, std::min(n, from + kBatch), batch);
    const auto a0 = Clock::now();
    const double c0 = CpuSeconds();
    index.Apply(batch);
    apply += Clock::now() - a0;
    out.apply_cpu_seconds += CpuSeconds() - c0;
  }
  out.total_seconds = Seconds(Clock::now() - t0);
  out.apply_seconds = Seconds(apply);
  batch.clear();
  const Memory after = MemoryNow();
  out.resident_per_consent =
      (static_cast<double>(after.resident) - before.resident) / n;
  out.allocated_per_consent =
      (static_cast<double>(after.allocated) - before.allocated) / n;
  return out;
}

struct Lookup {
  std::string key;  // customer id or phone pseudonym
  v1::Purpose purpose;
  std::string company;
};

struct Lookups {
  std::vector<Lookup> customers;
  std::vector<Lookup> phones;
};

Lookups SampleLookups(uint64_t n, size_t count) {
  Lookups out;
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<uint64_t> pick(0, n - 1);
  while (out.customers.size() < count) {
    ConsentIndex::Change c = ConsentAt(pick(rng));
    out.customers.push_back(
        {c.entry.fact.customer_id, c.entry.purpose, c.entry.company_id});
  }
  if (n >= 3) {
    std::uniform_int_distribution<uint64_t> triple(0, n / 3 - 1);
    while (out.phones.size() < count) {
      ConsentIndex::Change c = ConsentAt(triple(rng) * 3 + 2);
      out.phones.push_back(
          {c.entry.fact.phone_pseudonym, c.entry.purpose, c.entry.company_id});
    }
  }
  return out;
}

// ns per lookup; `found` counts the facts returned (so that nothing is
// optimised away, and both indexes can be compared).
template <typename Index>
double TimeOfCustomer(const Index& index, const std::vector<Lookup>& lookups,
                      size_t& found) {
  const auto t0 = Clock::now();
  for (const Lookup& l : lookups) {
    found += index.OfCustomer(l.key, l.purpose, l.company).size();
  }
  return Seconds(Clock::now() - t0) * 1e9 / lookups.size();
}

template <typename Index>
double TimeOfPhone(const Index& index, const std::vector<Lookup>& lookups,
                   size_t& found) {
  const auto t0 = Clock::now();
  for (const Lookup& l : lookups) {
    found += index.OfPhone(l.key, l.purpose, l.company).size();
  }
  return Seconds(Clock::now() - t0) * 1e9 / lookups.size();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
}

bool SameFacts(const std::vector<ConsentFact>& a,
               const std::vector<ConsentFact>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].consent_id != b[i].consent_id ||
        a[i].customer_id != b[i].customer_id ||
        a[i].phone_pseudonym != b[i].phone_pseudonym ||
        a[i].collected_at != b[i].collected_at ||
        a[i].expires_at != b[i].expires_at || a[i].state != b[i].state) {
      return false;
    }
  }
  return true;
}

// The number of sampled lookups on which the two indexes differ.
template <typename Other>
size_t Differences(const ConsentIndex& index, const Other& legacy,
                   const Lookups& lookups) {
  size_t differ = 0;
  for (const Lookup& l : lookups.customers) {
    differ += !SameFacts(index.OfCustomer(l.key, l.purpose, l.company),
                         legacy.OfCustomer(l.key, l.purpose, l.company));
  }
  for (const Lookup& l : lookups.phones) {
    differ += !SameFacts(index.OfPhone(l.key, l.purpose, l.company),
                         legacy.OfPhone(l.key, l.purpose, l.company));
    differ += index.MaskOfPhone(l.key) != legacy.MaskOfPhone(l.key);
  }
  differ += index.size() != legacy.size();
  return differ;
}

// --- Loading at open --------------------------------------------------------

// Creates the database of the mix at `path` (the store's schema, consents
// only: the store's import would cost minutes for millions), unless it holds
// n consents already.
absl::Status EnsureDatabase(const std::string& path, uint64_t n) {
  {
    SqliteStoreOptions options;
    options.path = path;
    auto store = SqliteStore::Open(options);  // creates the schema
    if (!store.ok()) return store.status();
  }
  ASSIGN_OR_RETURN(auto db,
                   sqlite::Connection::Open(path, SQLITE_OPEN_READWRITE));
  {
    ASSIGN_OR_RETURN(sqlite::Stmt count,
                     db->Prepare("SELECT count(*) FROM consents"));
    ASSIGN_OR_RETURN(bool row, count.Step());
    const auto have = row ? static_cast<uint64_t>(count.Int(0)) : 0;
    if (have == n) return absl::OkStatus();
    if (have != 0) {
      return absl::FailedPreconditionError(
          "the database holds another number of consents: remove it");
    }
  }
  std::printf("writing %" PRIu64 " consents to %s\n", n, path.c_str());
  std::fflush(stdout);
  const auto t0 = Clock::now();
  RETURN_IF_ERROR(db->Exec("PRAGMA synchronous = OFF"));
  std::vector<ConsentIndex::Change> batch;
  for (uint64_t from = 0; from < n; from += kBatch) {
    Batch(from, std::min(n, from + kBatch), batch);
    RETURN_IF_ERROR(db->Exec("BEGIN"));
    uint64_t i = from;
    for (const ConsentIndex::Change& c : batch) {
      const ConsentFact& f = c.entry.fact;
      ASSIGN_OR_RETURN(
          sqlite::Stmt s,
          db->Prepare("INSERT INTO consents(consent_id, customer_id, purpose, "
                      "company_id, phone_hmac, phone_masked, notice_id, "
                      "channel, evidence_ref, collected_at, expires_at, "
                      "collected_by, state, recorded_at, audit_seq, "
                      "request_id) VALUES(?, ?, ?, ?, ?, ?, 'notice-1', 1, "
                      "'gkindexbench', ?, ?, 'gkindexbench', ?, ?, ?, ?)"));
      s.Bind(1, f.consent_id).Bind(2, f.customer_id);
      s.Bind(3, int64_t{c.entry.purpose}).Bind(4, c.entry.company_id);
      if (f.phone_pseudonym.empty()) {
        s.BindNull(5);
      } else {
        s.BindBlob(5, f.phone_pseudonym);
      }
      s.Bind(6, c.phone_masked).Bind(7, f.collected_at);
      if (f.expires_at == 0) {
        s.BindNull(8);
      } else {
        s.Bind(8, f.expires_at);
      }
      s.Bind(9, int64_t{f.state}).Bind(10, f.collected_at);
      s.Bind(11, static_cast<int64_t>(i + 1));
      s.Bind(12, "gkindexbench-" + std::to_string(i));
      RETURN_IF_ERROR(s.Run());
      ++i;
    }
    RETURN_IF_ERROR(db->Exec("COMMIT"));
  }
  std::printf("written in %.1f s\n", Seconds(Clock::now() - t0));
  return absl::OkStatus();
}

// Reads every column LoadConsentIndex reads, copying nothing: what SQLite
// alone costs of the load.
absl::StatusOr<uint64_t> ScanConsents(sqlite::Connection& db) {
  ASSIGN_OR_RETURN(
      sqlite::Stmt s,
      db.Prepare("SELECT consent_id, customer_id, phone_hmac, "
                 "collected_at, expires_at, state, purpose, company_id, "
                 "phone_masked FROM consents"));
  uint64_t rows = 0, bytes = 0;
  while (true) {
    ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    ++rows;
    bytes += s.TextView(0).size() + s.TextView(1).size() +
             s.TextView(2).size() + s.TextView(7).size() + s.TextView(8).size();
    bytes += static_cast<uint64_t>(s.Int(3) + s.Int(4) + s.Int(5) + s.Int(6));
  }
  return rows + (bytes == 0 ? 1 : 0);
}

absl::Status TimeLoad(const std::string& path, uint64_t n) {
  RETURN_IF_ERROR(EnsureDatabase(path, n));
  ASSIGN_OR_RETURN(auto db,
                   sqlite::Connection::Open(path, SQLITE_OPEN_READWRITE));
  RETURN_IF_ERROR(db->Exec("PRAGMA cache_size = -65536"));  // as the store
  // The first scan brings the database into the page cache.
  ASSIGN_OR_RETURN(uint64_t rows, ScanConsents(*db));
  if (rows != n) return absl::DataLossError("unexpected row count");
  auto t0 = Clock::now();
  double c0 = CpuSeconds();
  ASSIGN_OR_RETURN(rows, ScanConsents(*db));
  const double scan = Seconds(Clock::now() - t0);
  const double scan_cpu = CpuSeconds() - c0;
  const Memory before = MemoryNow();
  auto index = std::make_unique<ConsentIndex>();
  t0 = Clock::now();
  c0 = CpuSeconds();
  RETURN_IF_ERROR(LoadConsentIndex(*db, *index));
  const double load = Seconds(Clock::now() - t0);
  const double load_cpu = CpuSeconds() - c0;
  const Memory after = MemoryNow();
  std::printf("\nloading %" PRIu64
              " consents from SQLite (page cache warm):\n"
              "  the scan alone (every column LoadConsentIndex reads): %.2f s "
              "(%.2f s CPU)\n"
              "  LoadConsentIndex: %.2f s (%.2f s CPU), %.1f bytes/consent "
              "resident\n",
              rows, scan, scan_cpu, load, load_cpu,
              (static_cast<double>(after.resident) - before.resident) / n);
  // The same consents through Apply must give the same answers.
  ConsentIndex applied;
  Build(applied, n);
  const size_t differ = Differences(*index, applied, SampleLookups(n, 100000));
  if (differ != 0) {
    return absl::InternalError(
        StrCat("the loaded index differs from the applied one on ", differ,
               " sampled lookups"));
  }
  std::printf(
      "the loaded index answered sampled lookups as one built by Apply\n");
  return absl::OkStatus();
}

struct Flags {
  uint64_t consents = 10'000'000;
  int rounds = 5;
  size_t lookups = 200'000;
  bool legacy = true;  // false: the compact index alone (for profiling)
  std::string db;      // non-empty: time loading from this database too
};

int Run(const Flags& flags) {
  const uint64_t n = flags.consents;
  if (!flags.db.empty()) {
    const absl::Status s = TimeLoad(flags.db, n);
    if (!s.ok()) {
      std::fprintf(stderr, "gkindexbench: %s\n", s.ToString().c_str());
      return 1;
    }
    return 0;
  }
  std::printf("gkindexbench: %" PRIu64
              " consents (2/3 ad-insert, 1/3 telemarketing with a number; "
              "%" PRIu64 " customers), batches of %zu\n",
              n, (n / 3) * 2 + std::min<uint64_t>(n % 3, 2), kBatch);
  const Lookups lookups = SampleLookups(n, flags.lookups);
  std::fflush(stdout);

  // The compact index first: the legacy one's freed memory cannot then
  // flatter it.
  auto index = std::make_unique<ConsentIndex>();
  const BuildFigures compact = Build(*index, n);
  std::printf("compact: built in %.2f s (Apply %.2f s, %.2f s CPU)\n",
              compact.total_seconds, compact.apply_seconds,
              compact.apply_cpu_seconds);
  std::fflush(stdout);
  if (!flags.legacy) {
    std::printf(
        "%.1f bytes/consent resident, %.1f allocated (%.1f by "
        "AllocatedBytes)\n",
        compact.resident_per_consent, compact.allocated_per_consent,
        static_cast<double>(index->AllocatedBytes()) / n);
    return 0;
  }
  auto legacy = std::make_unique<LegacyConsentIndex>();
  const BuildFigures old = Build(*legacy, n);
  std::printf("legacy:  built in %.2f s (Apply %.2f s, %.2f s CPU)\n",
              old.total_seconds, old.apply_seconds, old.apply_cpu_seconds);
  std::fflush(stdout);

  const size_t differ = Differences(*index, *legacy, lookups);

  std::vector<double> customer_ns[2], phone_ns[2];
  size_t found[2] = {0, 0};
  for (int round = 0; round < flags.rounds; ++round) {
    for (int k = 0; k < 2; ++k) {
      const int which = (round + k) % 2;  // 0 compact, 1 legacy
      customer_ns[which].push_back(
          which == 0 ? TimeOfCustomer(*index, lookups.customers, found[0])
                     : TimeOfCustomer(*legacy, lookups.customers, found[1]));
    }
    for (int k = 0; k < 2; ++k) {
      const int which = (round + k + 1) % 2;
      if (lookups.phones.empty()) continue;
      phone_ns[which].push_back(
          which == 0 ? TimeOfPhone(*index, lookups.phones, found[0])
                     : TimeOfPhone(*legacy, lookups.phones, found[1]));
    }
  }
  const auto median = [](const std::vector<double>& v) {
    return v.empty() ? 0.0 : Median(v);
  };

  std::printf(
      "\n| index | bytes/consent (resident) | bytes/consent (allocated) | "
      "build s (Apply) | OfCustomer ns | OfPhone ns |\n"
      "|---|---:|---:|---:|---:|---:|\n");
  std::printf("| compact | %.1f | %.1f | %.2f | %.0f | %.0f |\n",
              compact.resident_per_consent, compact.allocated_per_consent,
              compact.apply_seconds, median(customer_ns[0]),
              median(phone_ns[0]));
  std::printf("| legacy | %.1f | %.1f | %.2f | %.0f | %.0f |\n",
              old.resident_per_consent, old.allocated_per_consent,
              old.apply_seconds, median(customer_ns[1]), median(phone_ns[1]));
  std::printf("| compact / legacy | %.3f | %.3f | %.3f | %.3f | %.3f |\n",
              compact.resident_per_consent / old.resident_per_consent,
              compact.allocated_per_consent / old.allocated_per_consent,
              compact.apply_seconds / old.apply_seconds,
              median(customer_ns[0]) / median(customer_ns[1]),
              median(phone_ns[1]) > 0
                  ? median(phone_ns[0]) / median(phone_ns[1])
                  : 0.0);
  std::printf(
      "\n%d rounds of %zu OfCustomer and %zu OfPhone lookups each; facts "
      "returned: %zu compact, %zu legacy\n",
      flags.rounds, lookups.customers.size(), lookups.phones.size(), found[0],
      found[1]);
  if (differ != 0 || found[0] != found[1]) {
    std::printf("FAILED: the indexes differ on %zu sampled lookups\n", differ);
    return 3;
  }
  std::printf("both indexes answered every sampled lookup alike\n");
  return 0;
}

}  // namespace
}  // namespace gatekeeper::bench

int main(int argc, char** argv) {
  gatekeeper::bench::Flags flags;
  CLI::App app{"gkindexbench: memory and speed of the in-memory consent index"};
  app.add_option("--consents", flags.consents, "consents to index")
      ->check(CLI::Range(uint64_t{3}, uint64_t{1'000'000'000}))
      ->capture_default_str();
  app.add_option("--rounds", flags.rounds, "lookup rounds (median reported)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--lookups", flags.lookups, "lookups of each kind per round")
      ->check(CLI::Range(size_t{1}, size_t{100'000'000}))
      ->capture_default_str();
  app.add_flag("--legacy,!--no-legacy", flags.legacy,
               "also build the legacy index and compare (default)");
  app.add_option("--db", flags.db,
                 "instead, time LoadConsentIndex from a database of the mix "
                 "at this path (written on first use)");
  CLI11_PARSE(app, argc, argv);
  return gatekeeper::bench::Run(flags);
}
